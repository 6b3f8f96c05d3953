package slack

import (
	"encoding/json"
	"reflect"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/handlers/replytest"
)

// Ensure the quick encoding of answers is the JSON slack-go writes for the
// same blocks, and that it is the one used for every shape of answer.
func TestEncodeEphemeral_SameJSON(t *testing.T) {
	cases := replytest.Replies()
	cases = append(cases,
		replytest.Case{Name: "items", Reply: &handlers.Reply{
			Title: "Good morning! 2 follow-ups today.",
			Items: []handlers.Item{
				{Text: "*Taro Yamada* (Acme KK) — touch 2 of 5, due today", Actions: []handlers.Action{{Label: "Log call", Command: "log call lead#1"}, {Label: "Snooze 1 day", Command: "snooze lead#1 tomorrow"}}},
				{Text: "Acme KK: ERP rollout — stage 3, overdue 2 days", Actions: []handlers.Action{{Label: "Next stage", Command: "stage opp#2 next", Primary: true}}},
			},
		}},
		replytest.Case{Name: "title only", Reply: &handlers.Reply{Title: `Escapes <&> "quotes" and ✓ 日本語`}},
	)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			e := ephemeralOf(c.Reply)
			if _, ok := kitOf(e); !ok {
				t.Fatalf("the answer falls back to slack-go's encoding: %+v", e.Blocks)
			}
			sameJSON(t, e)
		})
	}
}

// Ensure an answer with a block the kit does not know is written by
// slack-go, whole.
func TestEncodeEphemeral_Fallback(t *testing.T) {
	e := ephemeralOf(&handlers.Reply{Title: "With an accessory"})
	s := e.Blocks[0].(*slackgo.SectionBlock)
	s.Accessory = slackgo.NewAccessory(slackgo.NewButtonBlockElement("go", "v", slackgo.NewTextBlockObject("plain_text", "Go", false, false)))
	e.Blocks = append(e.Blocks, slackgo.NewDividerBlock())
	if _, ok := kitOf(e); ok {
		t.Fatal("kitOf took a block it cannot write")
	}
	sameJSON(t, e)
}

func sameJSON(t *testing.T, e *ephemeral) {
	t.Helper()
	want, err := json.Marshal(e) // slack-go's blocks, as encoding/json writes them
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodeEphemeral(e)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("quick JSON\n%s\nslack-go's\n%s", got, want)
	}
}
