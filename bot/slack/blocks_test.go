package slack_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/handlers/replytest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares v, as indented JSON, with testdata/name, or rewrites the
// file with -update.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file; got:\n%s", path, got)
	}
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// checkBlocks checks what Slack checks of blocks before it accepts them:
// each marshals, slack-go reads them back, block ids are unique, and Block
// Kit's limits hold.
func checkBlocks(t *testing.T, blocks []slackgo.Block, maxBlocks int) {
	t.Helper()
	if got := len(blocks); got > maxBlocks {
		t.Fatalf("blocks=%d, want at most %d", got, maxBlocks)
	}
	for i, b := range blocks {
		if _, err := json.Marshal(b); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
	}
	data, err := json.Marshal(slackgo.Blocks{BlockSet: blocks})
	if err != nil {
		t.Fatal(err)
	}
	var back slackgo.Blocks
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("slack-go cannot read the blocks back: %v", err)
	}
	if got, want := len(back.BlockSet), len(blocks); got != want {
		t.Fatalf("blocks read back=%d, want %d", got, want)
	}
	if !slackgo.ValidateUniqueBlockID(slackgo.ModalViewRequest{Blocks: slackgo.Blocks{BlockSet: blocks}}) {
		t.Fatal("ValidateUniqueBlockID=false, want true")
	}
	// ValidateUniqueBlockID only looks at input blocks; Slack wants every
	// block id unique, and action ids unique within the message.
	blockIDs, actionIDs := map[string]bool{}, map[string]bool{}
	text := func(where string, o *slackgo.TextBlockObject, limit int) {
		t.Helper()
		if o == nil {
			t.Fatalf("%s: no text", where)
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if n := runes(o.Text); n > limit {
			t.Fatalf("%s: %d characters, want at most %d", where, n, limit)
		}
		if strings.TrimSpace(o.Text) == "" {
			t.Fatalf("%s: blank text", where)
		}
	}
	for i, b := range blocks {
		id := b.ID()
		where := fmt.Sprintf("block %d (%s)", i, id)
		if id != "" && blockIDs[id] {
			t.Fatalf("%s: block_id used twice", where)
		}
		if runes(id) > 255 {
			t.Fatalf("%s: block_id too long", where)
		}
		blockIDs[id] = true
		switch b := b.(type) {
		case *slackgo.SectionBlock:
			if b.Text == nil && len(b.Fields) == 0 {
				t.Fatalf("%s: section with neither text nor fields", where)
			}
			if b.Text != nil {
				text(where, b.Text, 3000)
			}
			if n := len(b.Fields); n > 10 {
				t.Fatalf("%s: %d fields, want at most 10", where, n)
			}
			for _, f := range b.Fields {
				text(where+" field", f, 2000)
			}
		case *slackgo.ContextBlock:
			if n := len(b.ContextElements.Elements); n == 0 || n > 10 {
				t.Fatalf("%s: %d context elements, want 1 to 10", where, n)
			}
			for _, e := range b.ContextElements.Elements {
				text(where+" context", e.(*slackgo.TextBlockObject), 3000)
			}
		case *slackgo.ActionBlock:
			if n := len(b.Elements.ElementSet); n == 0 || n > 25 {
				t.Fatalf("%s: %d elements, want 1 to 25", where, n)
			}
			for _, e := range b.Elements.ElementSet {
				btn := e.(*slackgo.ButtonBlockElement)
				text(where+" button", btn.Text, 75)
				if btn.Text.Type != slackgo.PlainTextType {
					t.Fatalf("%s: button text is %s, want plain_text", where, btn.Text.Type)
				}
				if n := runes(btn.Value); n == 0 || n > 2000 {
					t.Fatalf("%s: button value of %d characters, want 1 to 2000", where, n)
				}
				if actionIDs[btn.ActionID] || btn.ActionID == "" || runes(btn.ActionID) > 255 {
					t.Fatalf("%s: action_id %q empty, too long or used twice", where, btn.ActionID)
				}
				actionIDs[btn.ActionID] = true
			}
		case *slackgo.InputBlock:
			text(where+" label", b.Label, 2000)
			if b.Hint != nil {
				text(where+" hint", b.Hint, 2000)
			}
		default:
			t.Fatalf("%s: unexpected block %T", where, b)
		}
	}
}

// buttons returns the buttons of blocks, in order.
func buttons(blocks []slackgo.Block) []*slackgo.ButtonBlockElement {
	var out []*slackgo.ButtonBlockElement
	for _, b := range blocks {
		if a, ok := b.(*slackgo.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				out = append(out, e.(*slackgo.ButtonBlockElement))
			}
		}
	}
	return out
}

// texts returns every text of blocks, in order.
func texts(blocks []slackgo.Block) []string {
	var out []string
	for _, b := range blocks {
		switch b := b.(type) {
		case *slackgo.SectionBlock:
			if b.Text != nil {
				out = append(out, b.Text.Text)
			}
			for _, f := range b.Fields {
				out = append(out, f.Text)
			}
		case *slackgo.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				out = append(out, e.(*slackgo.TextBlockObject).Text)
			}
		}
	}
	return out
}

// pipelineReply is a /pipeline all answer of a large team: long enough to
// need several sections.
func pipelineReply() *handlers.Reply {
	r := &handlers.Reply{Title: "Pipeline, all reps: 160 opportunities open, ¥1,234,000,000, weighted ¥345,600,000."}
	stages := []string{"Discovery", "Needs definition", "Value proposition", "Decision-maker approval", "Risk removal", "Contract agreement", "Paperwork"}
	probs := []int{0, 15, 25, 50, 70, 90, 95}
	for i, s := range stages {
		r.Lines = append(r.Lines, fmt.Sprintf("%d %s (%d%%): %d — ¥%dm, weighted ¥%dm", i+1, s, probs[i], 20+i, 100+i*10, (100+i*10)*probs[i]/100))
	}
	r.Lines = append(r.Lines, "Stalled (longer in stage than its average): 120")
	for i := range 120 {
		r.Lines = append(r.Lines, fmt.Sprintf("  Account %03d KK: ERP rollout phase %d — %d days in Needs definition, owner @rep%02d", i, i%3+1, 15+i, i%12))
	}
	return r
}

func TestBlocks_Golden(t *testing.T) {
	// Ensure the shared replies, a long pipeline split into sections of at
	// most 3000 characters, and a reply carrying the BANT form (a button
	// that opens it) render within Block Kit's limits.
	tests := append(replytest.Replies(),
		replytest.Case{Name: "pipeline", Reply: pipelineReply()},
		replytest.Case{Name: "qualify_form", Reply: &handlers.Reply{
			Title: "BANT for Taro Yamada (Acme KK): B? A? N? T?, 0 of 4 yes.",
			Form:  &handlers.Form{Kind: handlers.FormBANT, Title: "Qualify Taro Yamada (Acme KK)", Target: "lead#12"},
		}},
	)
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			blocks := slack.Blocks(tt.Reply)
			checkBlocks(t, blocks, 50)
			golden(t, filepath.Join("blocks", tt.Name+".json"), blocks)
		})
	}
}

func TestBlocks_Pipeline(t *testing.T) {
	// Ensure the long pipeline needs more than one section, and that every
	// line is shown, in order.
	r := pipelineReply()
	blocks := slack.Blocks(r)
	var sections []string
	for _, b := range blocks {
		if strings.HasPrefix(b.ID(), "tb_lines_") {
			sections = append(sections, b.(*slackgo.SectionBlock).Text.Text)
		}
	}
	if got := len(sections); got < 2 {
		t.Fatalf("line sections=%d, want several", got)
	}
	if got, want := strings.Join(sections, "\n"), strings.Join(r.Lines, "\n"); got != want {
		t.Fatalf("lines=%q, want %q", got, want)
	}
}

func TestBlocks_Escape(t *testing.T) {
	tests := []struct {
		title, want string
	}{
		// Ensure &, < and > in user text are escaped.
		{"R&D <script> a>b", "R&amp;D &lt;script&gt; a&gt;b"},
		// Ensure mentions Slack renders stay whole.
		{"Handed to <@U0AE12345>.", "Handed to <@U0AE12345>."},
		{"Handed to <@W0AE12345|taro> & <#C012AB3CD|sales>", "Handed to <@W0AE12345|taro> &amp; <#C012AB3CD|sales>"},
		{"Ping <!subteam^S0614TZR7>", "Ping <!subteam^S0614TZR7>"},
		// Ensure what only looks like a mention, and broadcasts, are escaped.
		{"<!channel> <!here> <@> <@u123> <@U123", "&lt;!channel&gt; &lt;!here&gt; &lt;@&gt; &lt;@u123&gt; &lt;@U123"},
		{"<@U123|a<b>", "&lt;@U123|a&lt;b&gt;"},
		// Ensure reps written as @name are left alone.
		{"owner @taro", "owner @taro"},
		// Ensure text that is already escaped is escaped again: it is what the rep typed.
		{"&amp;", "&amp;amp;"},
		// Ensure invalid UTF-8 does not reach Slack.
		{"bad \xff byte", "bad \uFFFD byte"},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			got := texts(slack.Blocks(&handlers.Reply{Title: tt.title}))
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("text=%q, want %q", got, tt.want)
			}
		})
	}
}

func TestBlocks_Limits(t *testing.T) {
	long := strings.Repeat("x", 5000)
	many := func(n int, f func(i int) string) []string {
		var out []string
		for i := range n {
			out = append(out, f(i))
		}
		return out
	}
	tests := []struct {
		name  string
		reply *handlers.Reply
		check func(t *testing.T, blocks []slackgo.Block)
	}{
		// Ensure a nil reply renders as nothing.
		{"nil", nil, func(t *testing.T, blocks []slackgo.Block) {
			if blocks != nil {
				t.Fatalf("Blocks=%v, want nil", blocks)
			}
		}},
		// Ensure a title of 5000 characters is cut to 3000 with an ellipsis.
		{"long title", &handlers.Reply{Title: long}, func(t *testing.T, blocks []slackgo.Block) {
			got := texts(blocks)[0]
			if runes(got) != 3000 || !strings.HasSuffix(got, "…") {
				t.Fatalf("title of %d characters ending %q, want 3000 ending in …", runes(got), got[len(got)-6:])
			}
		}},
		// Ensure cutting never splits an escape.
		{"cut escapes", &handlers.Reply{Title: strings.Repeat("&", 1000)}, func(t *testing.T, blocks []slackgo.Block) {
			got := strings.TrimSuffix(texts(blocks)[0], "…")
			if strings.ReplaceAll(got, "&amp;", "") != "" {
				t.Fatalf("title=%q, want whole escapes only", got)
			}
		}},
		// Ensure 23 fields take three sections, and a long value is cut to 2000.
		{"fields", &handlers.Reply{Title: "t", Fields: func() []handlers.Field {
			var f []handlers.Field
			for i := range 23 {
				f = append(f, handlers.Field{Label: fmt.Sprint("F", i), Value: long})
			}
			return f
		}()}, func(t *testing.T, blocks []slackgo.Block) {
			if got, want := len(blocks), 4; got != want {
				t.Fatalf("blocks=%d, want %d", got, want)
			}
			if got, want := len(blocks[3].(*slackgo.SectionBlock).Fields), 3; got != want {
				t.Fatalf("fields in the last section=%d, want %d", got, want)
			}
		}},
		// Ensure 30 actions take two actions blocks, numbered from 1.
		{"30 actions", &handlers.Reply{Title: "t", Actions: func() []handlers.Action {
			var a []handlers.Action
			for i := range 30 {
				a = append(a, handlers.Action{Label: fmt.Sprint("Log ", i), Command: fmt.Sprintf("log call lead#%d", i+1)})
			}
			return a
		}()}, func(t *testing.T, blocks []slackgo.Block) {
			if got, want := len(blocks), 3; got != want {
				t.Fatalf("blocks=%d, want %d", got, want)
			}
			b := buttons(blocks)
			if got, want := b[29].ActionID, "tb_action_30"; got != want {
				t.Fatalf("last action_id=%q, want %q", got, want)
			}
		}},
		// Ensure a button whose command is too long for a value is left out,
		// and the others keep their numbers.
		{"long button value", &handlers.Reply{Title: "t", Actions: []handlers.Action{
			{Label: "Too long", Command: "log call lead#1 " + long},
			{Label: "Fine", Command: "log call lead#2"},
			{Label: "Empty"},
		}}, func(t *testing.T, blocks []slackgo.Block) {
			b := buttons(blocks)
			if len(b) != 1 || b[0].Value != "log call lead#2" || b[0].ActionID != "tb_action_2" {
				t.Fatalf("buttons=%+v, want only tb_action_2", b)
			}
		}},
		// Ensure a choice too long for a button is left out with a note.
		{"long choice value", &handlers.Reply{Title: "t", Choices: []handlers.Choice{
			{Label: "A", Command: "log call lead#1 " + long}, {Label: "B", Command: "log call lead#2"},
		}}, func(t *testing.T, blocks []slackgo.Block) {
			b := buttons(blocks)
			if len(b) != 1 || b[0].ActionID != "tb_choice_2" {
				t.Fatalf("buttons=%+v, want only tb_choice_2", b)
			}
			if got := blocks[len(blocks)-1].ID(); got != "tb_choices_dropped" {
				t.Fatalf("last block=%q, want the note about dropped choices", got)
			}
		}},
		// Ensure a long label is cut to 75 characters with an ellipsis.
		{"long label", &handlers.Reply{Title: "t", Actions: []handlers.Action{{Label: long, Command: "help"}}}, func(t *testing.T, blocks []slackgo.Block) {
			got := buttons(blocks)[0].Text.Text
			if runes(got) != 75 || !strings.HasSuffix(got, "…") {
				t.Fatalf("label=%q, want 75 characters ending in …", got)
			}
		}},
		// Ensure 15 warnings take two context blocks of at most 10.
		{"warnings", &handlers.Reply{Title: "t", Warnings: many(15, func(i int) string { return fmt.Sprint("w", i) })}, func(t *testing.T, blocks []slackgo.Block) {
			if got, want := len(blocks), 3; got != want {
				t.Fatalf("blocks=%d, want %d", got, want)
			}
			if got, want := texts(blocks)[1], ":warning: w0"; got != want {
				t.Fatalf("warning=%q, want %q", got, want)
			}
		}},
		// Ensure lines beyond 50 blocks end in "…and N more", counting every
		// line left out, with the buttons still there.
		{"too many lines", &handlers.Reply{
			Title:   "t",
			Lines:   many(3000, func(i int) string { return fmt.Sprintf("%04d %s", i, strings.Repeat("y", 95)) }),
			Actions: []handlers.Action{{Label: "More", Command: "pipeline all"}},
		}, func(t *testing.T, blocks []slackgo.Block) {
			if got, want := len(blocks), 50; got != want {
				t.Fatalf("blocks=%d, want %d", got, want)
			}
			more := blocks[48]
			if got, want := more.ID(), "tb_more"; got != want {
				t.Fatalf("block 48=%q, want %q", got, want)
			}
			shown := 0
			for _, s := range texts(blocks[1:48]) {
				shown += strings.Count(s, "\n") + 1
			}
			if got, want := texts([]slackgo.Block{more})[0], fmt.Sprintf("…and %d more", 3000-shown); got != want {
				t.Fatalf("more=%q, want %q", got, want)
			}
			if got := blocks[49].ID(); got != "tb_actions_1" {
				t.Fatalf("last block=%q, want the actions", got)
			}
		}},
		// Ensure blank lines and an empty title make no empty blocks.
		{"blank", &handlers.Reply{Title: "  ", Lines: []string{"", "  "}}, func(t *testing.T, blocks []slackgo.Block) {
			if len(blocks) != 0 {
				t.Fatalf("blocks=%d, want none", len(blocks))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := slack.Blocks(tt.reply)
			checkBlocks(t, blocks, 50)
			tt.check(t, blocks)
		})
	}
}

func TestFallbackText(t *testing.T) {
	tests := []struct {
		name  string
		reply *handlers.Reply
		want  string
	}{
		// Ensure the notification is the title, trimmed to one line.
		{"title", &handlers.Reply{Title: "  Logged call with Acme KK —\n touch 3 of 5.  ", Lines: []string{"x"}}, "Logged call with Acme KK — touch 3 of 5."},
		// Ensure the notification is escaped like the blocks.
		{"escaped", &handlers.Reply{Title: "R&D <@U123>"}, "R&amp;D <@U123>"},
		// Ensure a reply without a title is announced by its first line.
		{"no title", &handlers.Reply{Lines: []string{"", "first line"}}, "first line"},
		// Ensure a nil reply has no text.
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slack.FallbackText(tt.reply); got != tt.want {
				t.Fatalf("FallbackText=%q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseButtonValue(t *testing.T) {
	tests := []struct {
		value string
		want  string
		ok    bool
	}{
		// Ensure a command line is read as it is.
		{"convert lead#12", "convert lead#12", true},
		{`log call opp#7 "asked for pricing"`, `log call opp#7 "asked for pricing"`, true},
		{"stage opp#7 back reason:", "stage opp#7 back reason:", true},
		// Ensure values that are not touchbase commands are refused.
		{"click_me_123", "", false},
		{"", "", false},
		{`log call "unclosed`, "", false},
		{"help \xff", "", false},
		{"help " + strings.Repeat("x", 2000), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, ok := slack.ParseButtonValue(tt.value)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("ParseButtonValue=%q, %v, want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	// Ensure every button Blocks renders carries a command ParseButtonValue accepts.
	r := &handlers.Reply{
		Title:   "t",
		Choices: []handlers.Choice{{Label: "A", Command: `qualify lead#1 b:"yes 5m"`}},
		Actions: []handlers.Action{{Label: "B", Command: "convert lead#1", Primary: true}},
		Form:    &handlers.Form{Kind: handlers.FormBANT, Target: "lead#1"},
	}
	for _, b := range buttons(slack.Blocks(r)) {
		if got, ok := slack.ParseButtonValue(b.Value); !ok || got != b.Value {
			t.Fatalf("ParseButtonValue(%q)=%q, %v, want it back", b.Value, got, ok)
		}
	}
}
