package slack_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/touchbase/touchbase/bot/slack"
)

// Ensure a signed /log costs little beside its share of a group commit:
// 200 requests at a time through the bot's HTTP handler (no network),
// each verified, parsed, resolved by name, written durably and answered in
// Block Kit. ns/op is per request across all of them.
func BenchmarkSlashLog200(b *testing.B) {
	tb := newTestBot(b, nil)
	const leads = 200
	for i := range leads {
		tb.run("U1", fmt.Sprintf(`/lead "Lead %d" company:"Company %d"`, i, i))
	}
	var n atomic.Int64
	b.SetParallelism(max(1, 200/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			form := url.Values{
				"team_id": {"T1DC2JH3J"}, "channel_id": {"G8PSS9T3V"}, "user_id": {"U1"}, "user_name": {"u1"},
				"command": {"/log"}, "text": {fmt.Sprintf(`call "Company %d" asked for pricing`, i%leads)},
				"response_url": {"https://hooks.slack.com/commands/1/2/3"}, "trigger_id": {"1.2.3"},
			}
			body := []byte(form.Encode())
			req := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			ts, sig := slack.Sign(body, testSecret, testNow)
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", sig)
			rec := httptest.NewRecorder()
			tb.routes.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte("Logged call")) {
				b.Errorf("%d %s", rec.Code, rec.Body)
				return
			}
		}
	})
}
