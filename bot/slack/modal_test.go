package slack_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/handlers/replytest"
)

// bantForm is the Form the handlers return for /qualify Acme.
var bantForm = replytest.BANTForm

func mustModal(t *testing.T, verb string, f *handlers.Form) slackgo.ModalViewRequest {
	t.Helper()
	v, err := slack.Modal(verb, f)
	if err != nil {
		t.Fatalf("Modal(%q)=%v", verb, err)
	}
	return v
}

// inputs returns the input blocks of a view by block id.
func inputs(v slackgo.ModalViewRequest) map[string]*slackgo.InputBlock {
	out := map[string]*slackgo.InputBlock{}
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slackgo.InputBlock); ok {
			out[in.BlockID] = in
		}
	}
	return out
}

// checkModal checks what Slack checks of a modal before it opens it.
func checkModal(t *testing.T, verb string, v slackgo.ModalViewRequest) {
	t.Helper()
	checkBlocks(t, v.Blocks.BlockSet, 100)
	if got, want := v.CallbackID, "tb_"+verb; got != want {
		t.Fatalf("callback_id=%q, want %q", got, want)
	}
	for name, o := range map[string]*slackgo.TextBlockObject{"title": v.Title, "submit": v.Submit, "close": v.Close} {
		if o == nil || o.Type != slackgo.PlainTextType || o.Text == "" || runes(o.Text) > 24 {
			t.Fatalf("%s=%+v, want plain text of 1 to 24 characters", name, o)
		}
	}
	if got, want := v.Submit.Text+"/"+v.Close.Text, "Save/Cancel"; got != want {
		t.Fatalf("submit/close=%q, want %q", got, want)
	}
	if n := runes(v.PrivateMetadata); n > 3000 {
		t.Fatalf("private_metadata of %d characters", n)
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back slackgo.ModalViewRequest
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("slack-go cannot read the modal back: %v", err)
	}
	if got, want := len(back.Blocks.BlockSet), len(v.Blocks.BlockSet); got != want {
		t.Fatalf("blocks read back=%d, want %d", got, want)
	}
	placeholder := func(id string, p *slackgo.TextBlockObject) {
		if p != nil && (p.Type != slackgo.PlainTextType || runes(p.Text) > 150) {
			t.Fatalf("%s: placeholder %+v, want plain text of at most 150 characters", id, p)
		}
	}
	options := func(id string, opts []*slackgo.OptionBlockObject, initial *slackgo.OptionBlockObject) {
		for _, o := range opts {
			if o.Text == nil || runes(o.Text.Text) > 75 || o.Value == "" || runes(o.Value) > 150 {
				t.Fatalf("%s: option %+v breaks the option limits", id, o)
			}
		}
		if initial != nil && !slices.Contains(opts, initial) {
			t.Fatalf("%s: initial option %+v is not one of the options", id, initial)
		}
	}
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slackgo.InputBlock)
		if !ok || in.BlockID == "" {
			t.Fatalf("block %+v: want input blocks with ids only", b)
		}
		switch e := in.Element.(type) {
		case *slackgo.PlainTextInputBlockElement:
			placeholder(in.BlockID, e.Placeholder)
			if runes(e.InitialValue) > 3000 {
				t.Fatalf("%s: initial value too long", in.BlockID)
			}
		case *slackgo.SelectBlockElement:
			placeholder(in.BlockID, e.Placeholder)
			options(in.BlockID, e.Options, e.InitialOption)
			if e.Type == slackgo.OptTypeExternal {
				if !strings.HasPrefix(e.ActionID, "tb_pick_") || e.MinQueryLength == nil || *e.MinQueryLength != 1 {
					t.Fatalf("%s: external select %q, want a tb_pick_ action id and min_query_length 1", in.BlockID, e.ActionID)
				}
			}
		case *slackgo.RadioButtonsBlockElement:
			options(in.BlockID, e.Options, e.InitialOption)
		case *slackgo.DatePickerBlockElement:
			placeholder(in.BlockID, e.Placeholder)
		default:
			t.Fatalf("%s: unexpected element %T", in.BlockID, e)
		}
	}
}

func TestModal(t *testing.T) {
	tests := []struct {
		name  string
		verb  string
		form  *handlers.Form
		check func(t *testing.T, v slackgo.ModalViewRequest)
	}{
		// Ensure /lead asks for the six fields of a lead.
		{"lead", "lead", nil, func(t *testing.T, v slackgo.ModalViewRequest) {
			if got, want := slices.Sorted(maps.Keys(inputs(v))), []string{"company", "email", "name", "phone", "source", "title"}; !slices.Equal(got, want) {
				t.Fatalf("blocks=%v, want %v", got, want)
			}
		}},
		// Ensure /log asks the kind, the record (typed ahead), the note and
		// an optional next follow-up.
		{"log", "log", nil, func(t *testing.T, v slackgo.ModalViewRequest) {
			in := inputs(v)
			if e := in["record"].Element.(*slackgo.SelectBlockElement); e.Type != slackgo.OptTypeExternal || e.ActionID != slack.PickRecordAction {
				t.Fatalf("record=%s %s, want external_select %s", e.Type, e.ActionID, slack.PickRecordAction)
			}
			if e := in["kind"].Element.(*slackgo.SelectBlockElement); len(e.Options) != 6 || e.InitialOption.Value != "call" {
				t.Fatalf("kind options=%d initial %v, want 6 starting with call", len(e.Options), e.InitialOption)
			}
			if !in["note"].Element.(*slackgo.PlainTextInputBlockElement).Multiline || !in["next"].Optional || in["record"].Optional {
				t.Fatal("want a multiline note, an optional next and a required record")
			}
		}},
		// Ensure /deal offers a picked or a new account, name, amount and close.
		{"deal", "deal", nil, func(t *testing.T, v slackgo.ModalViewRequest) {
			in := inputs(v)
			if e := in["account"].Element.(*slackgo.SelectBlockElement); e.ActionID != slack.PickAccountAction || !in["account"].Optional || !in["new_account"].Optional {
				t.Fatalf("account=%s, want an optional %s and an optional new account", e.ActionID, slack.PickAccountAction)
			}
			if _, ok := in["close"].Element.(*slackgo.DatePickerBlockElement); !ok {
				t.Fatal("close is not a datepicker")
			}
		}},
		// Ensure /convert picks a lead and offers the owner as a user select.
		{"convert", "convert", nil, func(t *testing.T, v slackgo.ModalViewRequest) {
			in := inputs(v)
			if e := in["lead"].Element.(*slackgo.SelectBlockElement); e.ActionID != slack.PickLeadAction {
				t.Fatalf("lead=%s, want %s", e.ActionID, slack.PickLeadAction)
			}
			if e := in["owner"].Element.(*slackgo.SelectBlockElement); e.Type != slackgo.OptTypeUser {
				t.Fatalf("owner=%s, want users_select", e.Type)
			}
		}},
		// Ensure /qualify without a record first asks which one, then the
		// four questions with nothing preselected.
		{"qualify_pick", "qualify", nil, func(t *testing.T, v slackgo.ModalViewRequest) {
			first := v.Blocks.BlockSet[0].(*slackgo.InputBlock)
			if e := first.Element.(*slackgo.SelectBlockElement); first.BlockID != "target" || e.ActionID != slack.PickQualifiableAction {
				t.Fatalf("first block=%s %s, want the %s picker", first.BlockID, e.ActionID, slack.PickQualifiableAction)
			}
			if got, want := len(v.Blocks.BlockSet), 9; got != want {
				t.Fatalf("blocks=%d, want %d", got, want)
			}
			if r := inputs(v)["bant_b"].Element.(*slackgo.RadioButtonsBlockElement); r.InitialOption != nil || len(r.Options) != 3 {
				t.Fatalf("budget=%+v, want three options and none chosen", r)
			}
			if v.PrivateMetadata != "" {
				t.Fatalf("private_metadata=%q, want none", v.PrivateMetadata)
			}
		}},
		// Ensure /qualify Acme carries the record in private_metadata and
		// starts from the current answers and notes.
		{"qualify", "qualify", bantForm(), func(t *testing.T, v slackgo.ModalViewRequest) {
			if got, want := v.PrivateMetadata, "lead#12"; got != want {
				t.Fatalf("private_metadata=%q, want %q", got, want)
			}
			in := inputs(v)
			if _, ok := in["target"]; ok {
				t.Fatal("the record is known, want no picker")
			}
			for key, want := range map[string]string{"b": "yes", "a": "no", "n": "unknown", "t": "unknown"} {
				if got := in["bant_"+key].Element.(*slackgo.RadioButtonsBlockElement).InitialOption.Value; got != want {
					t.Fatalf("%s initial=%q, want %q", key, got, want)
				}
			}
			if got, want := in["bant_a_note"].Element.(*slackgo.PlainTextInputBlockElement).InitialValue, "Sato, CIO"; got != want {
				t.Fatalf("authority note=%q, want %q", got, want)
			}
			if got, want := in["bant_b"].Label.Text, "Budget: Is there a budget for this? (amount, if known)"; got != want {
				t.Fatalf("budget label=%q, want %q", got, want)
			}
			if got := v.Title.Text; !strings.HasPrefix(got, "Qualify Taro") || runes(got) != 24 {
				t.Fatalf("title=%q, want the form's title cut to 24", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustModal(t, tt.verb, tt.form)
			checkModal(t, tt.verb, v)
			tt.check(t, v)
			golden(t, filepath.Join("modals", tt.name+".json"), v)
		})
	}
}

func TestModal_Refused(t *testing.T) {
	tests := []struct {
		name string
		verb string
		form *handlers.Form
	}{
		// Ensure verbs without a form are refused.
		{"stage", "stage", nil},
		{"empty", "", nil},
		// Ensure a form that is not BANT is not shown as one.
		{"other form", "qualify", &handlers.Form{Kind: "other", Target: "lead#1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := slack.Modal(tt.verb, tt.form); err == nil {
				t.Fatalf("Modal(%q)=nil error, want a refusal", tt.verb)
			}
		})
	}
}

// loadSubmission reads a view_submission payload as Slack posts it.
func loadSubmission(t *testing.T, name string) slackgo.InteractionCallback {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var cb slackgo.InteractionCallback
	if err := json.Unmarshal(b, &cb); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cb
}

// wantCommand is what ParseCommand should read from a submitted line.
type wantCommand struct {
	verb string
	args []string
	opts map[string]string
}

func checkLine(t *testing.T, line string, want wantCommand) {
	t.Helper()
	cmd, err := handlers.ParseCommand(line)
	if err != nil {
		t.Fatalf("ParseCommand(%q)=%v", line, err)
	}
	if cmd.Verb != want.verb || !slices.Equal(cmd.Args, want.args) || !maps.Equal(cmd.Opts, want.opts) {
		t.Fatalf("line %q reads as %s %q %v, want %s %q %v", line, cmd.Verb, cmd.Args, cmd.Opts, want.verb, want.args, want.opts)
	}
}

func TestSubmission_Payloads(t *testing.T) {
	tests := []struct {
		file string
		want wantCommand
	}{
		// Ensure a filled lead form gives /lead with every option.
		{"view_submission_lead.json", wantCommand{"lead", []string{"Taro Yamada"}, map[string]string{
			"company": "Acme KK", "email": "taro@acme.co.jp", "title": "CIO", "phone": "03-1234-5678", "source": "Nov webinar"}}},
		// Ensure a lead with only a company gives no name (Slack sends null for empty inputs).
		{"view_submission_lead_company_only.json", wantCommand{"lead", nil, map[string]string{"company": "Beta Inc."}}},
		// Ensure a note with colons, quotes and a line break stays one note.
		{"view_submission_log.json", wantCommand{"log", []string{"call", "lead#12", "asked for pricing: sending the quote at 10:30\nnext step: call back \"Friday\""}, map[string]string{"next": "2026-11-27"}}},
		// Ensure a touch without a note or a date gives neither.
		{"view_submission_log_no_note.json", wantCommand{"log", []string{"meeting", "opp#7"}, map[string]string{}}},
		// Ensure a picked account is passed by its reference.
		{"view_submission_deal.json", wantCommand{"deal", []string{"account#3", "ERP rollout"}, map[string]string{"amount": "500万", "close": "2027-03-31"}}},
		// Ensure a new account is passed by its name.
		{"view_submission_deal_new_account.json", wantCommand{"deal", []string{"Gamma Corp"}, map[string]string{"amount": "$120k"}}},
		// Ensure the owner picked by users_select is written as a mention.
		{"view_submission_convert.json", wantCommand{"convert", []string{"lead#12"}, map[string]string{"amount": "5,000,000", "close": "2027-03-31", "to": "<@U0FS67890>"}}},
		// Ensure BANT answers carry their notes, on the record in private_metadata.
		{"view_submission_qualify.json", wantCommand{"qualify", []string{"lead#12"}, map[string]string{
			"b": "yes 5m", "a": "no Sato, CIO decides", "n": "yes replace the old ERP", "t": "unknown"}}},
		// Ensure a picked record and one answer give just that answer.
		{"view_submission_qualify_pick.json", wantCommand{"qualify", []string{"opp#7"}, map[string]string{"b": "yes"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cb := loadSubmission(t, tt.file)
			line, errs := slack.Submission(cb.View.CallbackID, cb.View.PrivateMetadata, cb.View.State)
			if errs != nil {
				t.Fatalf("Submission errs=%v, want none", errs)
			}
			checkLine(t, line, tt.want)
		})
	}
}

// fill builds the state Slack sends when the modal v is submitted with
// values (block id → value); other inputs keep their initial value.
func fill(t *testing.T, v slackgo.ModalViewRequest, values map[string]string) *slackgo.ViewState {
	t.Helper()
	st := &slackgo.ViewState{Values: map[string]map[string]slackgo.BlockAction{}}
	for id, in := range inputs(v) {
		val, given := values[id]
		var a slackgo.BlockAction
		var action string
		switch e := in.Element.(type) {
		case *slackgo.PlainTextInputBlockElement:
			action, a.Type = e.ActionID, "plain_text_input"
			a.Value = e.InitialValue
			if given {
				a.Value = val
			}
		case *slackgo.SelectBlockElement:
			action, a.Type = e.ActionID, slackgo.ActionType(e.Type)
			if e.InitialOption != nil {
				a.SelectedOption = *e.InitialOption
			}
			switch {
			case given && e.Type == slackgo.OptTypeUser:
				a.SelectedUser = val
			case given:
				a.SelectedOption = slackgo.OptionBlockObject{Text: &slackgo.TextBlockObject{Type: "plain_text", Text: val}, Value: val}
			}
		case *slackgo.RadioButtonsBlockElement:
			action, a.Type = e.ActionID, "radio_buttons"
			if e.InitialOption != nil {
				a.SelectedOption = *e.InitialOption
			}
			if given {
				a.SelectedOption = slackgo.OptionBlockObject{Value: val}
			}
		case *slackgo.DatePickerBlockElement:
			action, a.Type = e.ActionID, "datepicker"
			a.SelectedDate = e.InitialDate
			if given {
				a.SelectedDate = val
			}
		default:
			t.Fatalf("%s: unexpected element %T", id, e)
		}
		st.Values[id] = map[string]slackgo.BlockAction{action: a}
	}
	for id := range values {
		if _, ok := st.Values[id]; !ok {
			t.Fatalf("the modal has no input %q", id)
		}
	}
	return st
}

func TestSubmission_Modal(t *testing.T) {
	tests := []struct {
		name   string
		verb   string
		form   *handlers.Form
		values map[string]string
		want   wantCommand
	}{
		// Ensure the lead form's ids are the ones Submission reads.
		{"lead", "lead", nil, map[string]string{"name": "Hanako Sato", "company": "Beta Inc.", "phone": "03-1234-5678"},
			wantCommand{"lead", []string{"Hanako Sato"}, map[string]string{"company": "Beta Inc.", "phone": "03-1234-5678"}}},
		// Ensure the log form's kind starts at call.
		{"log", "log", nil, map[string]string{"record": "opp#7", "note": "demo went well", "next": "2026-12-01"},
			wantCommand{"log", []string{"call", "opp#7", "demo went well"}, map[string]string{"next": "2026-12-01"}}},
		// Ensure an opportunity named like its account is not named twice.
		{"deal", "deal", nil, map[string]string{"new_account": "Gamma Corp", "name": "Gamma Corp", "amount": "1.2m", "close": "2027-06-30"},
			wantCommand{"deal", []string{"Gamma Corp"}, map[string]string{"amount": "1.2m", "close": "2027-06-30"}}},
		// Ensure convert without an owner keeps the lead's owner.
		{"convert", "convert", nil, map[string]string{"lead": "lead#3"},
			wantCommand{"convert", []string{"lead#3"}, map[string]string{}}},
		// Ensure the BANT form submitted unchanged gives the current answers
		// back, notes included.
		{"qualify unchanged", "qualify", bantForm(), nil,
			wantCommand{"qualify", []string{"lead#12"}, map[string]string{"b": "yes ¥5,000,000", "a": "no Sato, CIO", "n": "unknown", "t": "unknown"}}},
		// Ensure a changed answer and note replace the current ones.
		{"qualify changed", "qualify", bantForm(), map[string]string{"bant_t": "yes", "bant_t_note": "2027-03"},
			wantCommand{"qualify", []string{"lead#12"}, map[string]string{"b": "yes ¥5,000,000", "a": "no Sato, CIO", "n": "unknown", "t": "yes 2027-03"}}},
		// Ensure a note with quotes of every kind still reads back as the note.
		{"qualify quotes", "qualify", nil, map[string]string{"target": "lead#4", "bant_n": "yes", "bant_n_note": `「new」 "ERP" “now”`},
			wantCommand{"qualify", []string{"lead#4"}, map[string]string{"n": `yes 「new」 "ERP" “now”`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustModal(t, tt.verb, tt.form)
			line, errs := slack.Submission(v.CallbackID, v.PrivateMetadata, fill(t, v, tt.values))
			if errs != nil {
				t.Fatalf("Submission errs=%v, want none", errs)
			}
			checkLine(t, line, tt.want)
		})
	}
}

func TestSubmission_Errors(t *testing.T) {
	tests := []struct {
		name   string
		verb   string
		form   *handlers.Form
		values map[string]string
		want   []string // block ids with an error
	}{
		// Ensure a lead needs a name or a company.
		{"lead empty", "lead", nil, map[string]string{"email": "taro@acme.co.jp"}, []string{"name"}},
		// Ensure a touch needs its record.
		{"log without record", "log", nil, map[string]string{"note": "called"}, []string{"record"}},
		// Ensure a kind that is not offered is refused.
		{"log unknown kind", "log", nil, map[string]string{"kind": "walk", "record": "lead#1"}, []string{"kind"}},
		// Ensure an opportunity needs one account, picked or new, not both.
		{"deal without account", "deal", nil, map[string]string{"name": "ERP"}, []string{"account"}},
		{"deal with two accounts", "deal", nil, map[string]string{"account": "account#3", "new_account": "Gamma", "name": "ERP"}, []string{"new_account"}},
		// Ensure an opportunity on a picked account is named (the pick is a reference).
		{"deal on a picked account without a name", "deal", nil, map[string]string{"account": "account#3"}, []string{"name"}},
		// Ensure what is no amount, or no date, is shown next to its field.
		{"deal bad amount and date", "deal", nil, map[string]string{"new_account": "Gamma", "amount": "lots", "close": "2027-02-30"}, []string{"amount", "close"}},
		// Ensure converting needs the lead.
		{"convert without lead", "convert", nil, map[string]string{"amount": "5m"}, []string{"lead"}},
		// Ensure qualifying needs the record when the form did not carry it.
		{"qualify without record", "qualify", nil, map[string]string{"bant_b": "yes"}, []string{"target"}},
		// Ensure qualifying needs at least one answer.
		{"qualify without answers", "qualify", nil, map[string]string{"target": "lead#1"}, []string{"bant_b"}},
		// Ensure a note without its answer is pointed out.
		{"qualify note without answer", "qualify", nil, map[string]string{"target": "lead#1", "bant_b": "yes", "bant_a_note": "Sato"}, []string{"bant_a"}},
		// Ensure an answer that is not offered is refused.
		{"qualify odd answer", "qualify", nil, map[string]string{"target": "lead#1", "bant_b": "maybe"}, []string{"bant_b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustModal(t, tt.verb, tt.form)
			line, errs := slack.Submission(v.CallbackID, v.PrivateMetadata, fill(t, v, tt.values))
			if line != "" {
				t.Fatalf("Submission line=%q, want none", line)
			}
			if got := slices.Sorted(maps.Keys(errs)); !slices.Equal(got, tt.want) {
				t.Fatalf("errs=%v, want errors on %v", errs, tt.want)
			}
			// Slack shows errors only next to input blocks of the view.
			for id, msg := range errs {
				if _, ok := inputs(v)[id]; !ok || msg == "" {
					t.Fatalf("error %q on %q, want a message on an input block", msg, id)
				}
			}
		})
	}
}

func TestSubmission_Foreign(t *testing.T) {
	cb := loadSubmission(t, "view_submission.slackgo_test.json")
	tests := []struct {
		name       string
		callbackID string
		state      *slackgo.ViewState
	}{
		// Ensure a view that is not one of ours gives neither a line nor errors.
		{"slack-go fixture", cb.View.CallbackID, cb.View.State},
		{"other callback", "modal-with-inputs", cb.View.State},
		{"unknown verb", "tb_stage", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if line, errs := slack.Submission(tt.callbackID, "", tt.state); line != "" || errs != nil {
				t.Fatalf("Submission=%q, %v, want nothing", line, errs)
			}
		})
	}
	// Ensure a submission without state (nothing entered) is refused, not a panic.
	if line, errs := slack.Submission("tb_log", "", nil); line != "" || len(errs) == 0 {
		t.Fatalf("Submission(nil state)=%q, %v, want errors", line, errs)
	}
}
