package slack

import (
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
