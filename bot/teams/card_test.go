package teams_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/teams"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/handlers/replytest"
)

// The flag is not -update, which other packages' tests define for their own
// golden files.
var updateCards = flag.Bool("update-cards", false, "rewrite the golden cards in testdata/cards")

// goldenCard compares card, as indented JSON, with testdata/cards/name.json,
// or rewrites the file with -update-cards.
func goldenCard(t *testing.T, name string, card map[string]any) {
	t.Helper()
	got, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "cards", name+".json")
	if *updateCards {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update-cards to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file; got:\n%s", path, got)
	}
}

// bantForm is the Form the handlers return for /qualify Acme.
var bantForm = replytest.BANTForm

// digestReply is a digest of 300 lines, in the handlers' mrkdwn: far more
// than a card holds.
func digestReply() *handlers.Reply {
	r := &handlers.Reply{Title: "Weekly digest · IS Tokyo · Mon Nov 16 – Sun Nov 22, 2026"}
	r.Lines = append(r.Lines, ":mag: *Bottleneck:* Inside Sales: only 41% of open leads reached 5 touches.", "")
	for len(r.Lines) < 300 {
		i := len(r.Lines)
		switch i % 50 {
		case 2:
			r.Lines = append(r.Lines, "", fmt.Sprintf("*By rep, part %d* (calls · emails · meetings · touches · follow-ups overdue)", i/50+1))
		case 30:
			r.Lines = append(r.Lines, fmt.Sprintf("  :hourglass: Account %03d KK: ERP rollout — %d days in Needs definition, @rep%02d", i, 15+i%40, i%12))
		default:
			r.Lines = append(r.Lines, fmt.Sprintf("  @rep%03d (Inside Sales, Tokyo): %d calls · %d emails · %d meetings · %d touches · %d follow-ups overdue", i, i%7, i%5, i%3, i%7+i%5+i%3, i%4))
		}
	}
	r.Lines = r.Lines[:300]
	return r
}

// reminderReply is a rep's daily reminder: a line and items with their own
// buttons, one of them at the end of its cadence.
func reminderReply() *handlers.Reply {
	return &handlers.Reply{
		Title: "Good morning! 3 records to follow up today, 2 overdue.",
		Items: []handlers.Item{
			{Text: "*Taro Yamada (Acme KK)* — 2 days overdue · touch 3 of 5 next\nlast: “asked for pricing”", Actions: handlers.FollowUpActions("lead#12", true)},
			{Text: "*Acme KK: ERP rollout* — 1 day overdue · touch 2 of 5 next", Actions: handlers.FollowUpActions("opp#7", false)},
			{Text: "*Hanako Sato (Beta Inc.)* — due today · 5 touches, the cadence of 5 is done: keep going, nurture or disqualify?", Actions: []handlers.Action{
				{Label: "Keep going: log call", Command: "log call lead#13", Primary: true},
				{Label: "Move to nurture", Command: "nurture lead#13"},
				{Label: "Disqualify", Command: "disqualify lead#13 reason:"},
			}},
		},
	}
}

// goldenReplies are the shared replies every platform renders, and the
// card's own cases.
func goldenReplies() []replytest.Case {
	return append(replytest.Replies(),
		// Ensure a reminder's items each have their own buttons, six to a row.
		replytest.Case{Name: "reminder", Reply: reminderReply()},
		// Ensure a reply with the BANT form asks its questions in the card.
		replytest.Case{Name: "qualify_form", Reply: &handlers.Reply{
			Title:   "BANT for Taro Yamada (Acme KK): B✓ A✗ N? T?, 1 of 4 yes.",
			Form:    bantForm(),
			Actions: []handlers.Action{{Label: "Log call", Command: "log call lead#12"}},
		}},
		// Ensure a digest of 300 lines is cut to fit, ending in "…and N more".
		replytest.Case{Name: "digest", Reply: digestReply()},
	)
}

func TestCard_Golden(t *testing.T) {
	for _, tt := range goldenReplies() {
		t.Run(tt.Name, func(t *testing.T) {
			card := teams.Card(tt.Reply)
			checkCard(t, card)
			goldenCard(t, tt.Name, card)
		})
	}
	t.Run("bant_form", func(t *testing.T) {
		// Ensure the BANT form card asks the four questions with a Save button.
		card := teams.FormCard(bantForm())
		checkCard(t, card)
		goldenCard(t, "bant_form", card)
	})
}

// checkCard checks what Teams needs of a card: it marshals, says what it
// is, fits the size budget, has unique input ids and rows of at most six
// buttons, and every button carries touchbase data a command can be made
// from.
func checkCard(t *testing.T, card map[string]any) {
	t.Helper()
	b, err := json.Marshal(card)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if n := len(b); n > teams.MaxCardBytes {
		t.Fatalf("card of %d bytes, want at most %d", n, teams.MaxCardBytes)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"type": "AdaptiveCard", "version": "1.5", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json"} {
		if got := back[k]; got != want {
			t.Fatalf("%s=%v, want %q", k, got, want)
		}
	}
	ids := map[string]bool{}
	walk(back, func(e map[string]any) {
		switch e["type"] {
		case "TextBlock":
			if s, _ := e["text"].(string); strings.TrimSpace(s) == "" {
				t.Fatalf("TextBlock with no text: %v", e)
			}
		case "ActionSet":
			if n := len(e["actions"].([]any)); n == 0 || n > 6 {
				t.Fatalf("ActionSet of %d actions, want 1 to 6", n)
			}
		case "Input.ChoiceSet", "Input.Text":
			id, _ := e["id"].(string)
			if id == "" || ids[id] {
				t.Fatalf("input id %q empty or used twice", id)
			}
			ids[id] = true
		case "Action.Submit":
			if s, _ := e["title"].(string); strings.TrimSpace(s) == "" {
				t.Fatalf("Action.Submit with no title: %v", e)
			}
			data, ok := e["data"].(map[string]any)
			if !ok {
				t.Fatalf("Action.Submit data=%v, want an object", e["data"])
			}
			if cmd, ok := data["tb_command"].(string); ok {
				if _, err := handlers.ParseCommand(cmd); err != nil {
					t.Fatalf("button %q: command %q does not parse: %v", e["title"], cmd, err)
				}
			} else if data["tb_form"] != "bant" || data["tb_target"] == "" {
				t.Fatalf("button %q: data=%v, want tb_command or a BANT form with a target", e["title"], data)
			}
		}
	})
}

// walk calls fn on every object in v, depth first.
func walk(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v)
		for _, k := range slices.Sorted(maps.Keys(v)) {
			walk(v[k], fn)
		}
	case []any:
		for _, e := range v {
			walk(e, fn)
		}
	}
}

// submits returns the Action.Submit buttons of card, in order, as read back
// from JSON.
func submits(t *testing.T, card map[string]any) []map[string]any {
	t.Helper()
	b, err := json.Marshal(card)
	if err != nil {
		t.Fatal(err)
	}
	var back any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	var visit func(v any)
	visit = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "Action.Submit" {
				out = append(out, v)
			}
			for _, k := range []string{"body", "items", "actions"} {
				visit(v[k])
			}
		case []any:
			for _, e := range v {
				visit(e)
			}
		}
	}
	visit(back)
	return out
}

// texts returns the text of every TextBlock of card, in order.
func texts(t *testing.T, card map[string]any) []string {
	t.Helper()
	var out []string
	var visit func(v any)
	visit = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "TextBlock" {
				out = append(out, v["text"].(string))
			}
			for _, k := range []string{"body", "items"} {
				visit(v[k])
			}
		case []any:
			for _, e := range v {
				visit(e)
			}
		}
	}
	b, _ := json.Marshal(card)
	var back any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	visit(back)
	return out
}

// filledBANT is what Teams sends when the rep fills the BANT form and
// presses Save: the button's data merged with the inputs.
func filledBANT(data map[string]any) json.RawMessage {
	v := map[string]any{
		"b": "yes", "b_note": "5m",
		"a": "no", "a_note": "",
		"n": "yes", "n_note": "replace the old ERP",
		"t": "unknown", "t_note": "",
	}
	maps.Copy(v, data)
	b, _ := json.Marshal(v)
	return b
}

func TestCommandFromValue_RoundTrip(t *testing.T) {
	// Ensure every button of every card gives back its command, and the
	// filled BANT form the qualify command.
	cards := map[string]map[string]any{"bant_form": teams.FormCard(bantForm())}
	for _, tt := range goldenReplies() {
		cards[tt.Name] = teams.Card(tt.Reply)
	}
	const wantBANT = `qualify lead#12 a:no b:"yes 5m" n:"yes replace the old ERP" t:unknown`
	for name, card := range cards {
		for _, s := range submits(t, card) {
			data := s["data"].(map[string]any)
			var value json.RawMessage
			want, isCommand := data["tb_command"].(string)
			if isCommand {
				value, _ = json.Marshal(data)
			} else {
				value, want = filledBANT(data), wantBANT
			}
			got, ok, err := teams.CommandFromValue(value)
			if err != nil || !ok || got != want {
				t.Fatalf("%s: button %q: CommandFromValue(%s)=%q, %v, %v; want %q, true, nil", name, s["title"], value, got, ok, err, want)
			}
			if _, err := handlers.ParseCommand(got); err != nil {
				t.Fatalf("%s: %q does not parse: %v", name, got, err)
			}
		}
	}
}

func TestCommandFromValue(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    string
		wantOK  bool
		wantErr bool
	}{
		// Ensure a button's command comes back as it is, trimmed.
		{"command", `{"tb_command":"log call lead#12"}`, "log call lead#12", true, false},
		{"command spaces", `{"tb_command":"  stage opp#7 next  "}`, "stage opp#7 next", true, false},
		// Ensure a form's other inputs sent along with a button are ignored.
		{"command with inputs", `{"tb_command":"convert lead#12","b":"yes","b_note":"x"}`, "convert lead#12", true, false},
		// Ensure what is not touchbase's is not ok, without an error.
		{"empty", ``, "", false, false},
		{"null", `null`, "", false, false},
		{"string", `"log call lead#12"`, "", false, false},
		{"array", `[{"tb_command":"help"}]`, "", false, false},
		{"unknown keys", `{"action":"approve","id":3}`, "", false, false},
		{"empty object", `{}`, "", false, false},
		// Ensure a value that is not JSON is an error.
		{"not json", `{"tb_command":`, "", false, true},
		{"garbage", `tb_command=help`, "", false, true},
		// Ensure touchbase values that make no command are errors.
		{"command not a string", `{"tb_command":42}`, "", true, true},
		{"command empty", `{"tb_command":"  "}`, "", true, true},
		{"command null", `{"tb_command":null}`, "", true, true},
		{"command does not parse", `{"tb_command":"frobnicate lead#12"}`, "", true, true},
		{"command and form", `{"tb_command":"help","tb_form":"bant","tb_target":"lead#12","b":"yes"}`, "", true, true},
		{"form missing target", `{"tb_form":"bant","b":"yes"}`, "", true, true},
		{"form blank target", `{"tb_form":"bant","tb_target":" ","b":"yes"}`, "", true, true},
		{"form target not a string", `{"tb_form":"bant","tb_target":12,"b":"yes"}`, "", true, true},
		{"form unknown kind", `{"tb_form":"meddic","tb_target":"lead#12","b":"yes"}`, "", true, true},
		{"form no answers", `{"tb_form":"bant","tb_target":"lead#12","b":"","a":""}`, "", true, true},
		{"form bad answer", `{"tb_form":"bant","tb_target":"lead#12","b":"maybe"}`, "", true, true},
		{"form note without answer", `{"tb_form":"bant","tb_target":"lead#12","a":"yes","b_note":"5m"}`, "", true, true},
		{"form answer not a string", `{"tb_form":"bant","tb_target":"lead#12","b":true}`, "", true, true},
		// Ensure a form with some answers gives only those.
		{"form partial", `{"tb_form":"bant","tb_target":"lead#12","b":"yes","b_note":"¥5m","n":"no","n_note":null}`, `qualify lead#12 b:"yes ¥5m" n:no`, true, false},
		// Ensure a target with spaces is quoted.
		{"form quoted target", `{"tb_form":"bant","tb_target":"Acme KK","t":"unknown"}`, `qualify "Acme KK" t:unknown`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := teams.CommandFromValue(json.RawMessage(tt.value))
			if got != tt.want || ok != tt.wantOK || (err != nil) != tt.wantErr {
				t.Fatalf("CommandFromValue(%s)=%q, %v, %v; want %q, %v, error %v", tt.value, got, ok, err, tt.want, tt.wantOK, tt.wantErr)
			}
			if err != nil && tt.wantOK && touchbase.ErrorCode(err) != touchbase.EINVALID {
				t.Fatalf("error code=%q, want %q (%v)", touchbase.ErrorCode(err), touchbase.EINVALID, err)
			}
		})
	}
}

func FuzzCommandFromValue(f *testing.F) {
	f.Add([]byte(`{"tb_command":"log call lead#12"}`))
	f.Add([]byte(`{"tb_form":"bant","tb_target":"lead#12","b":"yes","b_note":"5m","a":"no","a_note":"","n":"unknown","t":""}`))
	f.Add([]byte(`{"tb_form":"bant","tb_target":"「Acme」 \"KK\"","t":"yes","t_note":"“2027-03”"}`))
	f.Add([]byte(`{"tb_command":"qualify lead#1 b:","x":[1,{}]}`))
	f.Add([]byte(`{"tb_form":"bant"}`))
	f.Add([]byte(`"help"`))
	f.Add([]byte(`{`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, value []byte) {
		line, ok, err := teams.CommandFromValue(value)
		switch {
		case err != nil && line != "":
			t.Fatalf("CommandFromValue(%q)=%q with error %v, want no line", value, line, err)
		case !ok && line != "":
			t.Fatalf("CommandFromValue(%q)=%q, not ok, want no line", value, line)
		case ok && err == nil:
			if _, perr := handlers.ParseCommand(line); perr != nil {
				t.Fatalf("CommandFromValue(%q)=%q, which does not parse: %v", value, line, perr)
			}
		}
	})
}

func TestCard_Digest(t *testing.T) {
	// Ensure a 300-line digest is cut under the limit, shows the lines it
	// keeps in order, and counts the rest.
	r := digestReply()
	card := teams.Card(r)
	checkCard(t, card)
	got := texts(t, card)
	if len(got) < 50 {
		t.Fatalf("%d text blocks, want most of a 25 KB card filled", len(got))
	}
	last := got[len(got)-1]
	var more int
	if _, err := fmt.Sscanf(last, "…and %d more", &more); err != nil {
		t.Fatalf("last text=%q, want …and N more", last)
	}
	shown := len(got) - 2 // the title and the count
	nonblank := 0
	for _, l := range r.Lines {
		if strings.TrimSpace(l) != "" {
			nonblank++
		}
	}
	if shown+more != nonblank {
		t.Fatalf("shown %d + more %d = %d, want the %d lines with text", shown, more, shown+more, nonblank)
	}
	if got, want := got[1], "🔍 **Bottleneck:** Inside Sales: only 41% of open leads reached 5 touches."; got != want {
		t.Fatalf("first line=%q, want %q", got, want)
	}
	// Ensure the card is not cut much more than it must be.
	b, _ := json.Marshal(card)
	if n := len(b); n < teams.MaxCardBytes*9/10 {
		t.Fatalf("card of %d bytes, want close to %d", n, teams.MaxCardBytes)
	}
}

func TestCard_Markdown(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		// Ensure Slack's *bold* becomes **bold**.
		{"*Marketing*", "**Marketing**"},
		{"*By source* (to date)", "**By source** (to date)"},
		{"*a* and *b*", "**a** and **b**"},
		{"「*太郎*」さん", "「**太郎**」さん"},
		// Ensure stars that are not Slack bold are left alone.
		{"2*3*4", "2*3*4"},
		{"* not bold *", "* not bold *"},
		{"*unclosed", "*unclosed"},
		{"**already**", "**already**"},
		// Ensure the handlers' shortcodes become emoji, and only those.
		{":mag: *Bottleneck:* x", "🔍 **Bottleneck:** x"},
		{"  :hourglass: Acme", "⏳ Acme"},
		{":warning: careful", "⚠️ careful"},
		{"/qualify Acme b:yes a:b: :smile:", "/qualify Acme b:yes a:b: :smile:"},
		// Ensure a newline becomes a paragraph break, which a TextBlock shows.
		{"first\nsecond", "first\n\nsecond"},
		// Ensure HTML is left as text.
		{"<b>R&D</b>", "<b>R&D</b>"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got := texts(t, teams.Card(&handlers.Reply{Title: "t", Lines: []string{tt.line}}))
			if len(got) != 2 || got[1] != tt.want {
				t.Fatalf("texts=%q, want [t %q]", got, tt.want)
			}
		})
	}
}

// pngOf returns a PNG of w×h pixels of noise, so that it does not compress.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	x := uint32(1)
	for i := range img.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i] = byte(x)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCard_Image(t *testing.T) {
	small, big, wide := pngOf(t, 40, 30), pngOf(t, 200, 200), pngOf(t, 1200, 1)
	tests := []struct {
		name     string
		png      []byte
		lines    int
		wantURL  bool
		wantNote bool
	}{
		// Ensure a small PNG is shown inline as a data: URL.
		{"small", small, 3, true, false},
		// Ensure an image too large for the budget is replaced by a note.
		{"big", big, 3, false, true},
		// Ensure an image wider than Teams shows inline is replaced by a note.
		{"wide", wide, 3, false, true},
		// Ensure the text wins over the image when both do not fit.
		{"text first", small, 400, false, true},
		// Ensure what is not a PNG is not sent as one.
		{"not png", []byte("GIF89a..."), 3, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &handlers.Reply{Title: "Weekly digest", Image: &handlers.Image{Name: "funnel.png", Title: "Funnel and pipeline", PNG: tt.png}}
			for i := range tt.lines {
				r.Lines = append(r.Lines, fmt.Sprintf("line %d of the digest, with enough text to take some room in the card", i))
			}
			card := teams.Card(r)
			checkCard(t, card)
			var url string
			walk(card, func(e map[string]any) {
				if e["type"] == "Image" {
					url, _ = e["url"].(string)
				}
			})
			if got := url != ""; got != tt.wantURL {
				t.Fatalf("image shown=%v, want %v", got, tt.wantURL)
			}
			if tt.wantURL && url != "data:image/png;base64,"+base64.StdEncoding.EncodeToString(tt.png) {
				t.Fatalf("image url=%.60q…, want the PNG as a data: URL", url)
			}
			note := strings.Contains(strings.Join(texts(t, card), "\n"), "“Funnel and pipeline” is too large to show in Teams")
			if note != tt.wantNote {
				t.Fatalf("note=%v, want %v", note, tt.wantNote)
			}
		})
	}
}

func TestCard_Limits(t *testing.T) {
	long := strings.Repeat("x", 60000)
	tests := []struct {
		name  string
		reply *handlers.Reply
		check func(t *testing.T, card map[string]any)
	}{
		// Ensure a nil reply renders as nothing.
		{"nil", nil, func(t *testing.T, card map[string]any) {
			if card != nil {
				t.Fatalf("Card(nil)=%v, want nil", card)
			}
		}},
		// Ensure 13 actions take three rows of at most six.
		{"13 actions", &handlers.Reply{Title: "t", Actions: func() []handlers.Action {
			var a []handlers.Action
			for i := range 13 {
				a = append(a, handlers.Action{Label: fmt.Sprint("Log ", i), Command: fmt.Sprintf("log call lead#%d", i+1)})
			}
			return a
		}()}, func(t *testing.T, card map[string]any) {
			sets := 0
			walk(card, func(e map[string]any) {
				if e["type"] == "ActionSet" {
					sets++
				}
			})
			if sets != 3 || len(submits(t, card)) != 13 {
				t.Fatalf("%d action sets, %d buttons; want 3 and 13", sets, len(submits(t, card)))
			}
		}},
		// Ensure a button whose command does not parse, or is empty, is left out.
		{"bad commands", &handlers.Reply{Title: "t", Actions: []handlers.Action{
			{Label: "Broken", Command: `log call "lead#1`}, {Label: "Fine", Command: "log call lead#2"}, {Label: "Empty"},
		}}, func(t *testing.T, card map[string]any) {
			s := submits(t, card)
			if len(s) != 1 || s[0]["title"] != "Fine" {
				t.Fatalf("buttons=%v, want only Fine", s)
			}
		}},
		// Ensure a long label is cut to 40 characters, and a blank one shows the command.
		{"labels", &handlers.Reply{Title: "t", Actions: []handlers.Action{
			{Label: strings.Repeat("Log a call ", 10), Command: "log call lead#1"}, {Label: "  ", Command: "help"},
		}}, func(t *testing.T, card map[string]any) {
			s := submits(t, card)
			if got := s[0]["title"].(string); len([]rune(got)) != 40 || !strings.HasSuffix(got, "…") {
				t.Fatalf("title=%q, want 40 characters ending in …", got)
			}
			if got := s[1]["title"]; got != "help" {
				t.Fatalf("title=%q, want the command", got)
			}
		}},
		// Ensure short choices are buttons with no list above them.
		{"short choices", &handlers.Reply{Title: "t", Choices: []handlers.Choice{
			{Label: "Acme KK", Command: "log call lead#1"}, {Label: "Acme Inc", Command: "log call lead#2"},
		}}, func(t *testing.T, card map[string]any) {
			s := submits(t, card)
			if len(s) != 2 || s[0]["title"] != "Acme KK" || s[1]["title"] != "Acme Inc" {
				t.Fatalf("buttons=%v, want Acme KK and Acme Inc", s)
			}
			walk(card, func(e map[string]any) {
				if e["type"] == "FactSet" {
					t.Fatalf("a FactSet, want none: %v", e)
				}
			})
		}},
		// Ensure a title far too long for a card still gives a card that fits.
		{"huge title", &handlers.Reply{Title: long}, func(t *testing.T, card map[string]any) {
			got := texts(t, card)
			if len([]rune(got[0])) != 1000 || !strings.Contains(got[1], "too long") {
				t.Fatalf("texts=%.80q, want the title cut to 1000 characters and a note", got)
			}
		}},
		// Ensure 200 items are cut to fit, and counted.
		{"200 items", &handlers.Reply{Title: "t", Lines: []string{"The 200 most overdue are below."}, Items: func() []handlers.Item {
			var its []handlers.Item
			for i := range 200 {
				ref := fmt.Sprintf("lead#%d", i+1)
				its = append(its, handlers.Item{Text: "*Lead " + ref + "* — due today", Actions: handlers.FollowUpActions(ref, true)})
			}
			return its
		}()}, func(t *testing.T, card map[string]any) {
			got := texts(t, card)
			var more int
			if _, err := fmt.Sscanf(got[len(got)-1], "…and %d more", &more); err != nil {
				t.Fatalf("last text=%q, want …and N more", got[len(got)-1])
			}
			if shown := len(got) - 3; shown+more != 200 {
				t.Fatalf("shown %d + more %d, want 200 items", shown, more)
			}
		}},
		// Ensure a form of another kind adds no inputs.
		{"other form", &handlers.Reply{Title: "t", Form: &handlers.Form{Kind: "meddic", Target: "lead#1"}}, func(t *testing.T, card map[string]any) {
			walk(card, func(e map[string]any) {
				if typ, _ := e["type"].(string); strings.HasPrefix(typ, "Input.") {
					t.Fatalf("an input, want none: %v", e)
				}
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := teams.Card(tt.reply)
			if card != nil {
				checkCard(t, card)
			}
			tt.check(t, card)
		})
	}
}

func TestFormCard(t *testing.T) {
	// Ensure a form without questions asks the four BANT questions, with
	// nothing selected.
	card := teams.FormCard(&handlers.Form{Kind: handlers.FormBANT, Target: "opp#7"})
	checkCard(t, card)
	var ids []string
	walk(card, func(e map[string]any) {
		if id, ok := e["id"].(string); ok {
			ids = append(ids, id)
			if _, selected := e["value"]; selected {
				t.Fatalf("input %s has a value, want none", id)
			}
		}
	})
	if got, want := strings.Join(ids, " "), "b b_note a a_note n n_note t t_note"; got != want {
		t.Fatalf("input ids=%q, want %q", got, want)
	}
	if got, want := texts(t, card)[0], "Qualify opp#7"; got != want {
		t.Fatalf("title=%q, want %q", got, want)
	}

	// Ensure a form without a target has no Save button, and says why.
	card = teams.FormCard(&handlers.Form{Kind: handlers.FormBANT, Title: "Qualify"})
	checkCard(t, card)
	if s := submits(t, card); len(s) != 0 {
		t.Fatalf("buttons=%v, want none", s)
	}

	// Ensure nil and other kinds of form give no card.
	if c := teams.FormCard(nil); c != nil {
		t.Fatalf("FormCard(nil)=%v, want nil", c)
	}
	if c := teams.FormCard(&handlers.Form{Kind: "meddic", Target: "lead#1"}); c != nil {
		t.Fatalf("FormCard(meddic)=%v, want nil", c)
	}
}

func TestCard_FormButtonsSendNoInputs(t *testing.T) {
	// Ensure on a card with the BANT form, the other buttons do not send
	// the form's inputs, and Save does.
	card := teams.Card(&handlers.Reply{Title: "t", Form: bantForm(), Actions: []handlers.Action{{Label: "Log call", Command: "log call lead#12"}}})
	for _, s := range submits(t, card) {
		_, isForm := s["data"].(map[string]any)["tb_form"]
		if got := s["associatedInputs"]; isForm != (got == nil) {
			t.Fatalf("button %q: associatedInputs=%v", s["title"], got)
		}
	}
}

func TestAttachment(t *testing.T) {
	// Ensure a card is wrapped with the Adaptive Card content type.
	card := teams.Card(&handlers.Reply{Title: "t"})
	a := teams.Attachment(card)
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		ContentType string         `json:"contentType"`
		Content     map[string]any `json:"content"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ContentType != "application/vnd.microsoft.card.adaptive" || back.Content["type"] != "AdaptiveCard" {
		t.Fatalf("attachment=%s", b)
	}
}

func ExampleCommandFromValue() {
	// What Teams sends when the rep fills the BANT form and presses Save.
	value := json.RawMessage(`{"tb_form":"bant","tb_target":"lead#12","b":"yes","b_note":"5m","a":"no","a_note":"","n":"unknown","n_note":"","t":"","t_note":""}`)
	line, ok, err := teams.CommandFromValue(value)
	fmt.Println(line, ok, err)
	// Output: qualify lead#12 a:no b:"yes 5m" n:unknown true <nil>
}
