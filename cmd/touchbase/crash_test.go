package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/bot/slack/fakeslack"
	"github.com/touchbase/touchbase/store"
)

// Ensure nothing acknowledged is lost and nothing is written twice when the
// process dies: the real binary serves signed /log commands from a load of
// concurrent reps and is killed with SIGKILL at a random moment, 20 times;
// after each restart every activity acknowledged to a sender is in the
// export exactly once, and bbolt's consistency check passes.
func TestCrash_KillDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary 20 times")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "touchbase")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "touchbase.db")
	run(t, `/lead "Taro Yamada" company:"Acme KK"`+"\n", "console", "--db", db, "--user", "U1")
	fake := fakeslack.New(t)
	rng := rand.New(rand.NewPCG(1, 2))

	acked := map[string]bool{} // notes of /log commands answered "Logged"
	var mu sync.Mutex
	for round := range 20 {
		addr := freeAddr(t)
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET="+secret, "SLACK_API_URL="+fake.URL(),
			"TOUCHBASE_ADDR="+addr, "TOUCHBASE_DB="+db)
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		go func() { // read the logs: serve says when it listens
			s := bufio.NewScanner(stderr)
			once := sync.OnceFunc(func() { close(ready) })
			for s.Scan() {
				if strings.Contains(s.Text(), "touchbase serving") {
					once()
				}
			}
			once()
		}()
		select {
		case <-ready:
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not start")
		}
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					note := fmt.Sprintf("r%d-w%d-n%d", round, w, i)
					if logged(ctx, addr, note) {
						mu.Lock()
						acked[note] = true
						mu.Unlock()
					}
				}
			})
		}
		time.AfterFunc(time.Duration(50+rng.IntN(250))*time.Millisecond, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		_ = cmd.Wait()
		stop()
		wg.Wait()
	}
	if len(acked) < 100 {
		t.Fatalf("only %d commands acknowledged; the load did not run", len(acked))
	}
	s := store.NewDB(db)
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("bbolt check after the kills: %v", err)
	}
	seen := map[string]int{}
	err := s.View(context.Background(), func(tx touchbase.Tx) error {
		return tx.Activities(touchbase.ActivityFilter{}, func(a *touchbase.Activity) error { seen[a.Note]++; return nil })
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	for note := range acked {
		if seen[note] != 1 {
			t.Errorf("acknowledged %s is stored %d times", note, seen[note])
		}
	}
	for note, n := range seen {
		if n > 1 {
			t.Errorf("%s stored %d times", note, n)
		}
	}
	t.Logf("%d acknowledged, %d stored (the rest were cut off unacknowledged)", len(acked), len(seen))
}

// logged sends one signed /log and reports whether it was acknowledged as
// logged.
func logged(ctx context.Context, addr, note string) bool {
	form := url.Values{"command": {"/log"}, "text": {"call Acme " + note}, "user_id": {"U1"}, "user_name": {"u1"},
		"team_id": {"T1"}, "channel_id": {"C1"}, "response_url": {"http://127.0.0.1:1/none"}}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/slack/commands", strings.NewReader(body))
	if err != nil {
		return false
	}
	ts, sig := slack.Sign([]byte(body), secret, time.Now())
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var r struct{ Text string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&r) != nil {
		return false
	}
	return strings.HasPrefix(r.Text, "Logged call")
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
