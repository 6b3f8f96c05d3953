package slack

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Ensure a slash command becomes the line the rep typed: Slack's escapes
// undone once, in one pass, and nothing else changed.
func TestCommandLine(t *testing.T) {
	for _, tt := range []struct {
		command, text, want string
	}{
		// Ensure a plain command is joined to its verb.
		{"/log", "call Acme asked for pricing", "/log call Acme asked for pricing"},
		// Ensure an empty text leaves the verb alone.
		{"/tb", "", "/tb"},
		// Ensure each of Slack's escapes is undone.
		{"/log", "call Acme R&amp;D &lt;urgent&gt;", "/log call Acme R&D <urgent>"},
		// Ensure an escape is undone once: "&amp;lt;" is what the rep typed as "&lt;".
		{"/log", "call Acme &amp;lt; &amp;amp;", "/log call Acme &lt; &amp;"},
		// Ensure a bare ampersand and unknown entities stay as they are.
		{"/log", "call A&B &quot;x&quot; &", "/log call A&B &quot;x&quot; &"},
		// Ensure mentions, which Slack sends unescaped, stay whole.
		{"/stage", "opp#1 next <@U123|taro>", "/stage opp#1 next <@U123|taro>"},
		// Ensure surrounding space is trimmed.
		{"/tb", "  help  ", "/tb   help"},
	} {
		if got := commandLine(tt.command, tt.text); got != tt.want {
			t.Fatalf("commandLine(%q, %q)=%q, want %q", tt.command, tt.text, got, tt.want)
		}
	}
}

// slashForms are forms as Slack posts them, and malformed ones.
var slashForms = []string{
	"token=x&team_id=T1&channel_id=C1&user_id=U1&user_name=taro&command=%2Flog&text=call+%22Acme+KK%22+asked+for+pricing&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1%2F2%2F3&trigger_id=1.2.3",
	"command=/tb&user_id=U1",
	"command=/tb&user_id=U1&user_id=U2&text=a&text=b",
	"&&command=/tb&&user_id=U1&",
	"comm%61nd=/tb&user%5Fid=U1&te+xt=x",
	"command=/tb;user_id=U1",
	"command=/tb&user_id=U1&x=%zz",
	"command=%2&user_id=U1",
	"command=/tb&user_id=U1&text=%2g",
	"command=/tb&user_id=U1&bad%=x",
	"command&user_id=U1&text=",
	"text=%E6%97%A5%E6%9C%AC+%26lt%3B%40U1%26gt%3B&command=/tb&user_id=U1",
	"=x&command=/tb&user_id=U1",
	"",
	strings.Repeat("a=1&", maxQuickFields) + "command=/tb&user_id=U1",
}

// Ensure the slash command form is read as url.ParseQuery reads it.
func TestParseSlashForm(t *testing.T) {
	for _, q := range slashForms {
		sameForm(t, q)
	}
}

// FuzzParseSlashForm holds parseSlashForm to url.ParseQuery and
// Values.Get on random forms: the same fields, the same error.
func FuzzParseSlashForm(f *testing.F) {
	for _, q := range slashForms {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		sameForm(t, q)
	})
}

func sameForm(t *testing.T, q string) {
	t.Helper()
	got, gotErr := parseSlashForm(q)
	form, wantErr := url.ParseQuery(q)
	want := slashRequest{
		userID: form.Get("user_id"), userName: form.Get("user_name"), channelID: form.Get("channel_id"),
		command: form.Get("command"), text: form.Get("text"), responseURL: form.Get("response_url"), triggerID: form.Get("trigger_id"),
	}
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("parseSlashForm(%q) error=%v, want %v", q, gotErr, wantErr)
	}
	if got != want {
		t.Fatalf("parseSlashForm(%q)=%+v, want %+v", q, got, want)
	}
}
