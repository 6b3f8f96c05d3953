package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/touchbase/touchbase/bot/teams/fakebf"
)

// teamsEnv runs serve for Teams only, against the fake Bot Framework.
func teamsEnv(bf *fakebf.Server) map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "",
		"TEAMS_APP_ID": fakebf.AppID, "TEAMS_APP_PASSWORD": fakebf.AppPassword, "TEAMS_TENANT_ID": fakebf.TenantID,
		"TEAMS_OPENID_METADATA_URL": bf.MetadataURL(), "TEAMS_TOKEN_URL": bf.TokenURL(fakebf.TenantID),
	}
}

// message is a Teams message activity from a user, shaped like the docs'
// message_activity_personal example.
func message(bf *fakebf.Server, id, aad, name, conv, convType, text string) map[string]any {
	return map[string]any{
		"type": "message", "id": id, "timestamp": "2026-11-23T00:00:00.000Z", "serviceUrl": bf.ServiceURL(), "channelId": "msteams",
		"from":         map[string]any{"id": "29:" + aad, "name": name, "aadObjectId": aad},
		"conversation": map[string]any{"conversationType": convType, "id": conv, "tenantId": fakebf.TenantID},
		"recipient":    map[string]any{"id": "28:" + fakebf.AppID, "name": "touchbase"},
		"textFormat":   "plain", "text": text, "localTimezone": "Asia/Tokyo",
		"channelData": map[string]any{"tenant": map[string]any{"id": fakebf.TenantID}},
	}
}

// activity posts a to /api/messages with the bearer token.
func (s *served) activity(a map[string]any, token string) int {
	s.t.Helper()
	return s.activityResp(a, token).StatusCode
}

// activityResp is activity, returning the response (its body read).
func (s *served) activityResp(a map[string]any, token string) *http.Response {
	s.t.Helper()
	body, _ := json.Marshal(a)
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Ensure every activity's token is checked before anything is read into the
// store: expired, wrong audience, wrong issuer, unknown key, serviceUrl
// mismatch and no token are refused, and a valid one is answered with a card.
func TestTeams_Authentication(t *testing.T) {
	bf := fakebf.New(t)
	s := serve(t, teamsEnv(bf))
	bf.Now = s.clock
	lead := func(id string) map[string]any {
		return message(bf, id, "aad-sato", "Sato", "a:personal-sato", "personal", `lead "Mallory" company:Evil`)
	}
	for _, tt := range []struct {
		name  string
		token string
		want  int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"expired", bf.Token(fakebf.AppID, bf.ServiceURL(), func(c jwt.MapClaims) {
			c["exp"] = s.clock().Add(-10 * time.Minute).Unix()
			c["nbf"] = s.clock().Add(-time.Hour).Unix()
		}), http.StatusUnauthorized},
		{"wrong audience", bf.Token("someone-else", bf.ServiceURL(), nil), http.StatusForbidden},
		{"wrong issuer", bf.Token(fakebf.AppID, bf.ServiceURL(), func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), http.StatusForbidden},
		{"unknown key", bf.SignWith(bf.Claims(fakebf.AppID, bf.ServiceURL()), fakebf.UnknownKey(t)), http.StatusUnauthorized},
		{"serviceUrl mismatch", bf.Token(fakebf.AppID, "https://smba.evil.example/", nil), http.StatusForbidden},
	} {
		if got := s.activity(lead("bad-"+tt.name), tt.token); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := len(bf.Activities()); n != 0 {
		t.Fatalf("refused activities were answered: %d", n)
	}
	if got := s.activity(message(bf, "ok-1", "aad-sato", "Sato", "a:personal-sato", "personal", `lead "Taro Yamada" company:"Acme KK"`),
		bf.Token(fakebf.AppID, bf.ServiceURL(), nil)); got != http.StatusOK {
		t.Fatalf("valid activity: %d", got)
	}
	sent := bf.WaitActivities(1, 5*time.Second)
	if sent[0].ConversationID != "a:personal-sato" || sent[0].ReplyToID != "ok-1" || !strings.Contains(string(sent[0].JSON), "lead#1") ||
		!strings.Contains(string(sent[0].JSON), "application/vnd.microsoft.card.adaptive") {
		t.Fatalf("reply=%s", sent[0].JSON)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	var x struct{ Leads []struct{ Name string } }
	if err := json.Unmarshal([]byte(run(t, "", "export", "--db", s.db)), &x); err != nil {
		t.Fatal(err)
	}
	if len(x.Leads) != 1 || x.Leads[0].Name != "Taro Yamada" {
		t.Fatalf("leads=%+v, want only the authenticated one", x.Leads)
	}
}

// Ensure a command typed with an @mention in a channel, the BANT card
// submitted, a retried activity applied once, and a proactive handoff notice
// reaching another rep's stored conversation.
func TestTeams_CardsAndNotices(t *testing.T) {
	bf := fakebf.New(t)
	logs := &logBuffer{}
	s := serveAt(t, teamsEnv(bf), filepath.Join(t.TempDir(), "touchbase.db"), time.Time{}, nil, func(m *Main) {
		m.ServeLogger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	bf.Now = s.clock
	tok := func() string { return bf.Token(fakebf.AppID, bf.ServiceURL(), nil) }
	// The Field Sales rep writes to the bot once: touchbase keeps the way back.
	s.activity(message(bf, "ae-1", "aad-ae", "Ae", "a:personal-ae", "personal", "help"), tok())
	s.activity(message(bf, "m-1", "aad-sato", "Sato", "19:channel@thread.tacv2", "channel", `<at>touchbase</at> lead "Taro Yamada" company:"Acme KK"`), tok())
	bf.WaitActivities(2, 5*time.Second)
	// The BANT card: asked for, then submitted.
	s.activity(message(bf, "m-2", "aad-sato", "Sato", "a:personal-sato", "personal", "qualify Acme"), tok())
	sent := bf.WaitActivities(3, 5*time.Second)
	if !strings.Contains(string(sent[2].JSON), `"tb_form":"bant"`) {
		t.Fatalf("qualify answered %s, want the BANT card", sent[2].JSON)
	}
	submit := message(bf, "m-3", "aad-sato", "Sato", "a:personal-sato", "personal", "")
	submit["value"] = map[string]any{"tb_form": "bant", "tb_target": "lead#1", "b": "yes", "b_note": "5m", "a": "no", "n": "yes", "t": "unknown"}
	for range 2 { // Teams retries the same activity: applied once
		if got := s.activity(submit, tok()); got != http.StatusOK {
			t.Fatalf("submit: %d", got)
		}
	}
	sent = bf.WaitActivities(4, 5*time.Second)
	if !strings.Contains(string(sent[3].JSON), "2 of 4 yes") || !strings.Contains(string(sent[3].JSON), "convert lead#1") {
		t.Fatalf("submit answered %s", sent[3].JSON)
	}
	// Converting to the Field Sales rep tells them in their own chat.
	convert := s.activityResp(message(bf, "m-4", "aad-sato", "Sato", "a:personal-sato", "personal", "convert Acme to:@teams:aad-ae"), tok())
	sent = bf.WaitActivities(6, 5*time.Second)
	var notice *fakebf.Sent
	for i := range sent {
		if sent[i].ConversationID == "a:personal-ae" && sent[i].ReplyToID == "" {
			notice = &sent[i]
		}
	}
	if notice == nil || !strings.Contains(string(notice.JSON), "handed you a new opportunity") {
		t.Fatalf("no handoff notice in ae's chat: %d activities", len(sent))
	}
	// Delivered, as the outbox logs once the connector answered.
	logs.waitFor(t, 10*time.Second, `"msg":"message delivered"`, convert.Header.Get("X-Request-Id"))
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(bf.Activities()); n != 6 {
		t.Fatalf("%d activities sent, want 6 (the retry answered once)", n)
	}
	// The conversion's request id is on its HTTP line, its command line and
	// the notice's delivery.
	id := convert.Header.Get("X-Request-Id")
	records := logs.records(t)
	wantLine(t, records, id, "http request", map[string]any{"path": "/api/messages", "status": 200})
	wantLine(t, records, id, "command", map[string]any{"verb": "convert", "outcome": "ok", "user": "teams:aad-sato"})
	wantLine(t, records, id, "message delivered", map[string]any{"kind": "notice"})
	if all := logs.String(); strings.Contains(all, "Acme") || strings.Contains(all, "Bearer") || strings.Contains(all, "eyJ") || strings.Contains(all, fakebf.AppPassword) {
		t.Errorf("the log holds a name or a secret:\n%s", all)
	}
}

// Ensure the core's scripted sales scenario gives the same export through
// Teams as through the console, and that the weekly digest reaches a team's
// channel kept from a message there.
func TestTeams_Scenario(t *testing.T) {
	teamsRep := strings.NewReplacer("@ae", "@teams:aad-ae", "@kim", "@teams:aad-kim")
	is := teamsRep.Replace(mustRead(t, "testdata/scenario-is.txt"))
	fs := teamsRep.Replace(mustRead(t, "testdata/scenario-fs.txt"))
	monday, wednesday := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

	// Through the console.
	cdb := filepath.Join(t.TempDir(), "console.db")
	run(t, is, "console", "--db", cdb, "--user", "teams:aad-sato", "--name", "Sato", "--tz", "Asia/Tokyo", "--now", monday.Format(time.RFC3339))
	run(t, fs, "console", "--db", cdb, "--user", "teams:aad-ae", "--name", "Ae", "--tz", "Asia/Tokyo", "--now", wednesday.Format(time.RFC3339))
	want := run(t, "", "export", "--db", cdb)

	// Through Teams, the same lines typed to the bot.
	bf := fakebf.New(t)
	tdb := filepath.Join(t.TempDir(), "teams.db")
	for _, phase := range []struct {
		at        time.Time
		aad, name string
		script    string
	}{{monday, "aad-sato", "Sato", is}, {wednesday, "aad-ae", "Ae", fs}} {
		s := serveAt(t, teamsEnv(bf), tdb, phase.at, nil)
		bf.Now = s.clock
		for i, line := range strings.Split(phase.script, "\n") {
			if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			id := phase.aad + "-" + string(rune('a'+i%26)) + "-" + time.Duration(i).String()
			if got := s.activity(message(bf, id, phase.aad, phase.name, "a:personal-"+phase.aad, "personal", strings.TrimPrefix(line, "/")), bf.Token(fakebf.AppID, bf.ServiceURL(), nil)); got != http.StatusOK {
				t.Fatalf("%q: %d", line, got)
			}
		}
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
	}
	got := run(t, "", "export", "--db", tdb)
	strip := regexp.MustCompile(`"exported_at": "[^"]*"`)
	if strip.ReplaceAllString(got, "") != strip.ReplaceAllString(want, "") {
		os.WriteFile(filepath.Join(t.TempDir(), "teams.json"), []byte(got), 0o644)
		t.Fatalf("the Teams export differs from the console's:\n--- teams\n%s\n--- console\n%s", got, want)
	}

	// The Inside Sales team's channel is set from a message in it; on
	// Monday the digest job delivers the digest there through Teams.
	s := serveAt(t, teamsEnv(bf), tdb, wednesday, nil)
	bf.Now = s.clock
	if got := s.activity(message(bf, "ch-1", "aad-sato", "Sato", "19:is-tokyo@thread.tacv2", "channel",
		`<at>touchbase</at> tb team create "IS Teams" inside_sales here tz:Asia/Tokyo`), bf.Token(fakebf.AppID, bf.ServiceURL(), nil)); got != http.StatusOK {
		t.Fatalf("team create: %d", got)
	}
	bf.WaitActivities(1, 5*time.Second)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	before := len(bf.Activities())
	bf.Now = time.Now
	var out bytes.Buffer
	m := NewMain()
	env := teamsEnv(bf)
	m.Stdout, m.Stderr, m.Getenv = &out, &out, func(k string) string { return env[k] }
	if err := m.Run(context.Background(), []string{"jobs", "run", "digest", "--db", tdb, "--now", "2026-11-30T09:00:00+09:00"}); err != nil {
		t.Fatalf("jobs run digest: %v\n%s", err, out.String())
	}
	m.Close()
	sent := bf.Activities()[before:]
	if len(sent) != 1 || sent[0].ConversationID != "19:is-tokyo@thread.tacv2" || !strings.Contains(string(sent[0].JSON), "Weekly digest · IS Teams") {
		t.Fatalf("digest deliveries=%+v, want one to the channel", sent)
	}
	// The chart goes with it, as an inline image Teams shows (≤ 1024 px).
	atts, _ := sent[0].Activity["attachments"].([]any)
	if len(atts) != 2 {
		t.Fatalf("digest attachments=%d, want the card and the chart", len(atts))
	}
	chart, _ := atts[1].(map[string]any)
	url, _ := chart["contentUrl"].(string)
	data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds().Dx() != 1024 {
		t.Fatalf("chart: %v, width %v, want 1024", err, img)
	}

	// A rep with a follow-up due gets the morning reminder in their chat.
	// (Added at 22:00 in Tokyo: quiet hours, so serve's own scheduler sends
	// nothing, and Thursday's run is the one that does.)
	s = serveAt(t, teamsEnv(bf), tdb, time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC), nil)
	bf.Now = s.clock
	s.activity(message(bf, "r-1", "aad-sato", "Sato", "a:personal-aad-sato", "personal", `lead "Ken Ito" company:Gamma`), bf.Token(fakebf.AppID, bf.ServiceURL(), nil))
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	before = len(bf.Activities())
	bf.Now = time.Now
	m = NewMain()
	m.Stdout, m.Stderr, m.Getenv = &out, &out, func(k string) string { return env[k] }
	if err := m.Run(context.Background(), []string{"jobs", "run", "reminders", "--db", tdb, "--now", "2026-11-26T09:05:00+09:00"}); err != nil {
		t.Fatalf("jobs run reminders: %v\n%s", err, out.String())
	}
	m.Close()
	sent = bf.Activities()[before:]
	if len(sent) != 1 || sent[0].ConversationID != "a:personal-aad-sato" || !strings.Contains(string(sent[0].JSON), "Ken Ito (Gamma)") {
		t.Fatalf("reminder deliveries=%+v, want one in sato's chat", sent)
	}
}

// Ensure an Adaptive Card action sent as an invoke (Action.Execute) runs
// its command and gets the invoke response Teams waits for.
func TestTeams_Invoke(t *testing.T) {
	bf := fakebf.New(t)
	s := serve(t, teamsEnv(bf))
	bf.Now = s.clock
	tok := func() string { return bf.Token(fakebf.AppID, bf.ServiceURL(), nil) }
	s.activity(message(bf, "i-1", "aad-sato", "Sato", "a:personal-sato", "personal", `lead "Ken Ito" company:Gamma`), tok())
	inv := message(bf, "i-2", "aad-sato", "Sato", "a:personal-sato", "personal", "")
	inv["type"], inv["name"] = "invoke", "adaptiveCard/action"
	inv["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "data": map[string]any{"tb_command": "log call lead#1 from the card"}}}
	body, _ := json.Marshal(inv)
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"statusCode":200`) {
		t.Fatalf("invoke: %d %s", resp.StatusCode, b)
	}
	sent := bf.WaitActivities(2, 5*time.Second)
	if !strings.Contains(string(sent[1].JSON), "touch 1 of 5") {
		t.Fatalf("invoke answered %s", sent[1].JSON)
	}
}
