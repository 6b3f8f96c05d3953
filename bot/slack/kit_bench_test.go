package slack

import (
	"net/url"
	"testing"

	"github.com/touchbase/touchbase/handlers"
)

// logReply is the answer to a /log, as the handlers give it.
func logReply() *handlers.Reply {
	return &handlers.Reply{
		Title:   "Logged call with Lead 7 (Company 7) — touch 3 of 5. Next follow-up: Fri 2026-11-27.",
		Lines:   []string{"“asked for pricing”"},
		Actions: []handlers.Action{{Label: "Snooze 1 day", Command: "snooze lead#7 tomorrow"}, {Label: "Qualify", Command: "qualify lead#7"}, {Label: "Move to nurture", Command: "nurture lead#7"}},
	}
}

// Ensure the answer to a /log is cheap to lay out and write: the part of a
// slash command's cost that is Slack's alone.
func BenchmarkAnswerLog(b *testing.B) {
	r := logReply()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = ephemeralOf(r).appendJSON(buf[:0])
	}
}

// Ensure a slash command's form is cheap to read.
func BenchmarkParseSlashForm(b *testing.B) {
	q := url.Values{
		"team_id": {"T1DC2JH3J"}, "channel_id": {"G8PSS9T3V"}, "user_id": {"U1"}, "user_name": {"u1"},
		"command": {"/log"}, "text": {`call "Company 7" asked for pricing`},
		"response_url": {"https://hooks.slack.com/commands/1/2/3"}, "trigger_id": {"1.2.3"},
	}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseSlashForm(q); err != nil {
			b.Fatal(err)
		}
	}
}
