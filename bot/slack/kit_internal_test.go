package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/handlers/replytest"
)

// slackAnswer is an answer in slack-go's blocks, as encoding/json writes
// it: what the kit's encoding is held to.
type slackAnswer struct {
	ResponseType    string          `json:"response_type,omitempty"`
	Text            string          `json:"text"`
	Blocks          []slackgo.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool            `json:"replace_original"`
}

// kitCases are answers of every shape Blocks writes: the platforms' common
// replies, and the ones that reach Block Kit's limits.
func kitCases() []replytest.Case {
	cases := replytest.Replies()
	long := strings.Repeat("Acme KK ERP rollout, stage 3 <value> & more; ", 80)
	many := make([]string, 120)
	for i := range many {
		many[i] = fmt.Sprintf("line %d: \"quoted\" <@U%03d> & <b>\t\x01", i, i)
	}
	var fields []handlers.Field
	var actions []handlers.Action
	var choices []handlers.Choice
	var items []handlers.Item
	for i := range 30 {
		fields = append(fields, handlers.Field{Label: fmt.Sprintf("Field %d", i), Value: fmt.Sprintf("value <%d> & ✓", i)})
		actions = append(actions, handlers.Action{Label: fmt.Sprintf("Action %d", i), Command: fmt.Sprintf("stage opp#%d next", i), Primary: i%3 == 0})
		choices = append(choices, handlers.Choice{Label: fmt.Sprintf("Lead %d %s", i, long[:i*5]), Command: fmt.Sprintf("log call lead#%d", i)})
		items = append(items, handlers.Item{Text: fmt.Sprintf("*Item %d* — due", i), Actions: actions[:i%3]})
	}
	cases = append(cases,
		replytest.Case{Name: "items", Reply: &handlers.Reply{
			Title: "Good morning! 2 follow-ups today.",
			Items: []handlers.Item{
				{Text: "*Taro Yamada* (Acme KK) — touch 2 of 5, due today", Actions: []handlers.Action{{Label: "Log call", Command: "log call lead#1"}, {Label: "Snooze 1 day", Command: "snooze lead#1 tomorrow"}}},
				{Text: "Acme KK: ERP rollout — stage 3, overdue 2 days", Actions: []handlers.Action{{Label: "Next stage", Command: "stage opp#2 next", Primary: true}}},
			},
		}},
		replytest.Case{Name: "title only", Reply: &handlers.Reply{Title: `Escapes <&> "quotes" and ✓ 日本語`}},
		replytest.Case{Name: "JSON escapes", Reply: &handlers.Reply{
			Title:   "tab\there\x00nul \x7f del \u2028 ls \u2029 ps \xff bad \\ back \"q\" \r\n\b\f",
			Lines:   []string{"\xe2\x80 cut rune", "emoji 🎉 and <!subteam^S123|team>"},
			Actions: []handlers.Action{{Label: "\u2028 <go> \xff", Command: "log call \"a\\b\" <c> \x1f"}},
		}},
		replytest.Case{Name: "no title", Reply: &handlers.Reply{Lines: []string{"   ", "  first\tline  \n of text  "}}},
		replytest.Case{Name: "empty", Reply: &handlers.Reply{}},
		replytest.Case{Name: "nil", Reply: nil},
		replytest.Case{Name: "BANT form", Reply: &handlers.Reply{Title: "Qualify?", Form: &handlers.Form{Kind: handlers.FormBANT, Target: "lead#12"}}},
		replytest.Case{Name: "limits", Reply: &handlers.Reply{
			Title: long, Fields: fields, Lines: many, Warnings: many[:25], Actions: actions, Choices: choices,
		}},
		replytest.Case{Name: "items cut", Reply: &handlers.Reply{Title: "Today", Items: items, Lines: many[:3]}},
		replytest.Case{Name: "lines cut", Reply: &handlers.Reply{Lines: append(many, many...)}},
		replytest.Case{Name: "long choices", Reply: &handlers.Reply{Title: "Which?", Choices: append(choices[20:],
			handlers.Choice{Label: "Too long", Command: strings.Repeat("x", maxButtonValue+1)},
			handlers.Choice{Label: "  ", Command: "log call lead#99"})}},
		replytest.Case{Name: "long labels", Reply: &handlers.Reply{Actions: []handlers.Action{
			{Label: long, Command: "a"}, {Label: "", Command: "b"}, {Label: "x", Command: "  "},
		}}},
	)
	return cases
}

// Ensure every shape of answer is written byte for byte as encoding/json
// writes slack-go's blocks for it, by appendJSON (HTTP mode) and through
// MarshalJSON (Socket Mode).
func TestEncodeEphemeral_SameJSON(t *testing.T) {
	for _, c := range kitCases() {
		t.Run(c.Name, func(t *testing.T) {
			sameJSON(t, c.Reply)
		})
	}
	// Ensure the answer given when a command outlives Slack's 3 seconds is
	// written the same way too.
	t.Run("working", func(t *testing.T) {
		e := &ephemeral{ResponseType: "ephemeral", Text: "Working on it…"}
		want, err := json.Marshal(slackAnswer{ResponseType: e.ResponseType, Text: e.Text})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.appendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("got\n%s\nwant\n%s", got, want)
		}
	})
}

// Ensure a response_url answer that replaces the original, and one with
// no response type, keep encoding/json's field rules.
func TestEncodeEphemeral_Flags(t *testing.T) {
	for _, e := range []*ephemeral{
		{Text: "no type", ReplaceOriginal: true},
		{ResponseType: "in_channel", Text: "", Blocks: kitBlocks(&handlers.Reply{Title: "x"})},
	} {
		want, err := json.Marshal(slackAnswer{ResponseType: e.ResponseType, Text: e.Text, ReplaceOriginal: e.ReplaceOriginal, Blocks: slackBlocks(e.Blocks)})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.appendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("got\n%s\nwant\n%s", got, want)
		}
	}
}

func slackBlocks(kit []kitBlock) []slackgo.Block {
	var out []slackgo.Block
	for i := range kit {
		out = append(out, kit[i].slack())
	}
	return out
}

// sameJSON checks that the answer to r is written as encoding/json writes
// it in slack-go's blocks, byte for byte.
func sameJSON(t *testing.T, r *handlers.Reply) {
	t.Helper()
	want, err := json.Marshal(slackAnswer{ResponseType: "ephemeral", Text: FallbackText(r), Blocks: Blocks(r)})
	if err != nil {
		t.Fatal(err)
	}
	e := ephemeralOf(r)
	if got := e.appendJSON(nil); !bytes.Equal(got, want) {
		t.Fatalf("appendJSON\n%s\nencoding/json\n%s", got, want)
	}
	got, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("MarshalJSON\n%s\nencoding/json\n%s", got, want)
	}
}

// Ensure strings are escaped as encoding/json escapes them.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `"\`, "<>&", "\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1f\x20\x7f",
		"\u2027\u2028\u2029\u202a", "\xff", "\xe2\x80", "a\xe2\x80\xa8b", "日本語 ✓ 🎉", "\xed\xa0\x80 surrogate",
	} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q)=%s, want %s", s, got, want)
		}
	}
}

// Ensure oneLine is strings.Join(strings.Fields(s), " ").
func TestOneLine(t *testing.T) {
	for _, s := range []string{
		"", " ", "a", "a b", " a", "a ", "a  b", "a\tb", "a\nb", "a\u00a0b", "a\u0085b", "a\u3000b",
		"\x00a\x7f", "\xff b", "日本 語", "a\vb", "a\fb", "a\rb", "a \u2028b",
	} {
		if got, want := oneLine(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("oneLine(%q)=%q, want %q", s, got, want)
		}
	}
}

// FuzzEncodeEphemeral holds the hand-written encoding of answers to
// encoding/json on random text in every part of a reply.
func FuzzEncodeEphemeral(f *testing.F) {
	f.Add("Logged call with <Taro> & co", "“asked for pricing”", "Snooze 1 day", "snooze lead#1 tomorrow", "Budget", "yes — ¥5,000,000", true)
	f.Add("\u2028\x00\xff", "\t\n", "\"\\", "<@U123|x>", "", " ", false)
	f.Add("", "  line  ", "", "qualify lead#2", "a&b", "<!subteam^S1>", false)
	f.Fuzz(func(t *testing.T, title, line, label, command, fieldLabel, fieldValue string, primary bool) {
		for _, s := range []string{title, line, label, command, fieldLabel, fieldValue} {
			want, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
				t.Fatalf("appendJSONString(%q)=%s, want %s", s, got, want)
			}
			if got, want := oneLine(s), strings.Join(strings.Fields(s), " "); got != want {
				t.Fatalf("oneLine(%q)=%q, want %q", s, got, want)
			}
		}
		actions := []handlers.Action{{Label: label, Command: command, Primary: primary}}
		sameJSON(t, &handlers.Reply{
			Title:    title,
			Fields:   []handlers.Field{{Label: fieldLabel, Value: fieldValue}, {Label: label, Value: line}},
			Lines:    []string{line, title, fieldValue},
			Warnings: []string{fieldLabel, line},
			Actions:  actions,
			Choices:  []handlers.Choice{{Label: label, Command: command}, {Label: title, Command: line}},
			Items:    []handlers.Item{{Text: line, Actions: actions}},
		})
	})
}
