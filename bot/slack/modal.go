package slack

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// Action ids of the record pickers in the modals: external_select menus
// whose options the app serves (block_suggestion) as the rep types. Each
// option's value is what the command takes in place of a name, so that the
// submitted form needs no search.
const (
	// PickRecordAction picks the open lead or opportunity a touch is
	// logged on; option values are references such as lead#12 or opp#7.
	PickRecordAction = "tb_pick_record"
	// PickAccountAction picks the account of a new opportunity; option
	// values are references such as account#3 (or account names), which
	// /deal takes in place of the account's name.
	PickAccountAction = "tb_pick_account"
	// PickLeadAction picks the lead to convert; option values are
	// references such as lead#12.
	PickLeadAction = "tb_pick_lead"
	// PickQualifiableAction picks the lead or open opportunity to qualify;
	// option values are references such as lead#12 or opp#7.
	PickQualifiableAction = "tb_pick_qualifiable"
)

// CallbackPrefix starts the callback_id of every modal Modal builds; the
// verb follows ("tb_log").
const CallbackPrefix = "tb_"

// Limits of Block Kit for modals, in characters.
const (
	maxModalTitle    = 24
	maxModalBlocks   = 100
	maxPlaceholder   = 150
	maxLabel         = 2000
	maxInputValue    = 3000
	maxOptionText    = 75
	maxOptionValue   = 150
	maxPrivateMeta   = 3000
	minExternalQuery = 1
)

// The kinds of touch the log form offers, in the order shown.
var logKinds = []string{"call", "email", "meeting", "note", "demo", "proposal"}

// Modal returns the form that a command typed without arguments opens, for
// the verbs lead, log, deal, convert and qualify. For qualify, f is the BANT
// form of the record the rep named (its Target rides in private_metadata);
// with f nil the form first asks which record. The callback_id is
// CallbackPrefix+verb; Submission turns what the rep entered back into a
// command line.
func Modal(verb string, f *handlers.Form) (slackgo.ModalViewRequest, error) {
	var title, meta string
	var blocks []slackgo.Block
	switch verb {
	case "lead":
		title = "New lead"
		blocks = []slackgo.Block{
			asOptional(textInput("name", "Name", "Taro Yamada", "", false), ""),
			asOptional(textInput("company", "Company", "Acme KK", "", false), "A lead needs a name or a company."),
			asOptional(textInput("email", "Email", "taro@acme.co.jp", "", false), ""),
			asOptional(textInput("title", "Title", "CIO", "", false), ""),
			asOptional(textInput("phone", "Phone", "03-1234-5678", "", false), ""),
			asOptional(textInput("source", "Source", "Nov webinar", "", false), "The campaign that brought the lead."),
		}
	case "log":
		title = "Log a touch"
		kinds := make([]*slackgo.OptionBlockObject, len(logKinds))
		for i, k := range logKinds {
			kinds[i] = newOption(k, capitalized(k))
		}
		kind := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plainText("Kind of touch", maxPlaceholder), "kind", kinds...)
		kind.InitialOption = kinds[0]
		blocks = []slackgo.Block{
			newInput("kind", "Kind", kind),
			newInput("record", "Lead or opportunity", externalPicker(PickRecordAction, "Search by name")),
			asOptional(textInput("note", "What happened", "Asked for pricing, sending a quote", "", true), ""),
			asOptional(newInput("next", "Next follow-up", datePicker("next")), "Leave empty and the cadence sets it."),
		}
	case "deal":
		title = "New opportunity"
		blocks = []slackgo.Block{
			asOptional(newInput("account", "Account", externalPicker(PickAccountAction, "Search accounts")), ""),
			asOptional(textInput("new_account", "Or a new account", "Gamma Corp", "", false), "Pick an account above, or name a new one here."),
			asOptional(textInput("name", "Opportunity name", "ERP rollout", "", false), "Leave empty to name it after a new account."),
			amountInput(),
			asOptional(newInput("close", "Expected close", datePicker("close")), ""),
		}
	case "convert":
		title = "Convert a lead"
		owner := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeUser, plainText("Pick a rep", maxPlaceholder), "owner")
		blocks = []slackgo.Block{
			newInput("lead", "Lead", externalPicker(PickLeadAction, "Search leads")),
			amountInput(),
			asOptional(newInput("close", "Expected close", datePicker("close")), ""),
			asOptional(newInput("owner", "Owner", owner), "The Field Sales rep who takes it over; leave empty to own it yourself."),
		}
	case "qualify":
		if f != nil && f.Kind != handlers.FormBANT {
			return slackgo.ModalViewRequest{}, fmt.Errorf("slack: modal qualify: form kind %q is not BANT", f.Kind)
		}
		title = "Qualify"
		if f != nil && strings.TrimSpace(f.Title) != "" {
			title = strings.TrimSpace(f.Title)
		}
		if f != nil {
			meta = strings.TrimSpace(f.Target)
		}
		if meta == "" {
			blocks = append(blocks, newInput("target", "Lead or opportunity", externalPicker(PickQualifiableAction, "Search by name")))
		}
		for _, q := range bantQuestions(f) {
			blocks = append(blocks, bantBlocks(q)...)
		}
	default:
		return slackgo.ModalViewRequest{}, fmt.Errorf("slack: no form for %q", verb)
	}
	if utf8.RuneCountInString(meta) > maxPrivateMeta {
		return slackgo.ModalViewRequest{}, fmt.Errorf("slack: modal %s: target too long for private_metadata", verb)
	}
	if len(blocks) > maxModalBlocks {
		return slackgo.ModalViewRequest{}, fmt.Errorf("slack: modal %s: %d blocks, more than a modal holds", verb, len(blocks))
	}
	return slackgo.ModalViewRequest{
		Type:            slackgo.VTModal,
		CallbackID:      CallbackPrefix + verb,
		Title:           plainText(title, maxModalTitle),
		Submit:          plainText("Save", maxModalTitle),
		Close:           plainText("Cancel", maxModalTitle),
		PrivateMetadata: meta,
		Blocks:          slackgo.Blocks{BlockSet: blocks},
	}, nil
}

// Submission turns a submitted modal back into a command line, from its
// callback_id, private_metadata and state (view.state of view_submission).
// When something required is missing or malformed it returns no line but
// errs, block_id → message, for response_action "errors". A callback_id
// that is not one of Modal's gives neither a line nor errors.
func Submission(callbackID, privateMetadata string, state *slackgo.ViewState) (line string, errs map[string]string) {
	verb, ok := strings.CutPrefix(callbackID, CallbackPrefix)
	if !ok {
		return "", nil
	}
	s := submitted{state: state, errs: map[string]string{}}
	cmd := &handlers.Command{Verb: verb, Opts: map[string]string{}}
	switch verb {
	case "lead":
		name, company := s.text("name"), s.text("company")
		if name == "" && company == "" {
			s.errs["name"] = "Give a name or a company."
		}
		if name != "" {
			cmd.Args = []string{name}
		}
		for _, k := range []string{"company", "email", "title", "phone", "source"} {
			s.opt(cmd, k, s.text(k))
		}
	case "log":
		kind := s.selected("kind", "kind")
		switch {
		case kind == "":
			s.errs["kind"] = "Choose the kind of touch."
		case !slices.Contains(logKinds, kind):
			s.errs["kind"] = fmt.Sprintf("%q is not a kind of touch.", kind)
		}
		record := s.required("record", PickRecordAction, "Pick the lead or opportunity.")
		cmd.Args = []string{kind, record}
		if note := s.text("note"); note != "" {
			cmd.Args = append(cmd.Args, note)
		}
		s.opt(cmd, "next", s.date("next"))
	case "deal":
		account, fresh := s.selected("account", PickAccountAction), s.text("new_account")
		switch {
		case account == "" && fresh == "":
			s.errs["account"] = "Pick an account, or name a new one below."
		case account != "" && fresh != "":
			s.errs["new_account"] = "Pick an account or name a new one, not both."
		}
		name := s.text("name")
		if account != "" && fresh == "" && name == "" {
			// A picked account comes as its reference, which names nothing.
			s.errs["name"] = "Name the opportunity, e.g. ERP rollout."
		}
		account += fresh
		cmd.Args = []string{account}
		if name != "" && name != account {
			cmd.Args = append(cmd.Args, name)
		}
		s.opt(cmd, "amount", s.amount("amount"))
		s.opt(cmd, "close", s.date("close"))
	case "convert":
		cmd.Args = []string{s.required("lead", PickLeadAction, "Pick the lead to convert.")}
		s.opt(cmd, "amount", s.amount("amount"))
		s.opt(cmd, "close", s.date("close"))
		if u := s.action("owner", "owner").SelectedUser; u != "" {
			s.opt(cmd, "to", "<@"+u+">")
		}
	case "qualify":
		target := strings.TrimSpace(privateMetadata)
		if target == "" {
			target = s.required("target", PickQualifiableAction, "Pick the lead or opportunity.")
		}
		answers, notes := map[string]string{}, map[string]string{}
		for _, l := range touchbase.BANTLetters {
			block := "bant_" + l.Key
			a, note := s.selected(block, "answer"), s.text(block+"_note")
			if _, ok := touchbase.ParseAnswer(a); !ok {
				s.errs[block] = "Answer yes, no or unknown."
				continue
			}
			if a == "" {
				if note != "" {
					s.errs[block] = "Answer yes, no or unknown for this note."
				}
				continue
			}
			answers[l.Key], notes[l.Key] = a, note
		}
		if len(answers) == 0 && len(s.errs) == 0 {
			s.errs["bant_"+touchbase.BANTLetters[0].Key] = "Answer at least one of the four."
		}
		if len(s.errs) > 0 {
			return "", s.errs
		}
		return handlers.BANTCommand(target, answers, notes), nil
	default:
		return "", nil
	}
	if len(s.errs) > 0 {
		return "", s.errs
	}
	return cmd.String(), nil
}

// submitted reads a view's state. Every input block holds one element;
// plain inputs use the block id as action id.
type submitted struct {
	state *slackgo.ViewState
	errs  map[string]string
}

func (s *submitted) action(block, action string) slackgo.BlockAction {
	if s.state == nil {
		return slackgo.BlockAction{}
	}
	return s.state.Values[block][action]
}

func (s *submitted) text(block string) string {
	return strings.TrimSpace(s.action(block, block).Value)
}

func (s *submitted) selected(block, action string) string {
	return strings.TrimSpace(s.action(block, action).SelectedOption.Value)
}

func (s *submitted) required(block, action, msg string) string {
	v := s.selected(block, action)
	if v == "" {
		s.errs[block] = msg
	}
	return v
}

// date reads a datepicker, which gives YYYY-MM-DD.
func (s *submitted) date(block string) string {
	d := strings.TrimSpace(s.action(block, block).SelectedDate)
	if d == "" {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		s.errs[block] = "Pick a date."
	}
	return d
}

// amount reads an amount, refusing only what no currency makes an amount:
// the handler reads it again in the team's currency.
func (s *submitted) amount(block string) string {
	v := s.text(block)
	if v == "" {
		return ""
	}
	if _, err := touchbase.ParseAmount(v, "USD"); err != nil {
		s.errs[block] = touchbase.ErrorMessage(err)
	}
	return v
}

// opt sets an option when it has a value: an empty one would read back as
// the option given with nothing.
func (s *submitted) opt(cmd *handlers.Command, key, v string) {
	if v != "" {
		cmd.Opts[key] = v
	}
}

func bantQuestions(f *handlers.Form) []handlers.Question {
	if f != nil && len(f.Questions) > 0 {
		return f.Questions
	}
	qs := make([]handlers.Question, len(touchbase.BANTLetters))
	for i, l := range touchbase.BANTLetters {
		qs[i] = handlers.Question{Key: l.Key, Label: l.Name, Prompt: l.Question}
	}
	return qs
}

// bantBlocks asks one BANT question: yes / no / unknown, and a note.
func bantBlocks(q handlers.Question) []slackgo.Block {
	values := q.Options
	if len(values) == 0 {
		values = []string{"yes", "no", "unknown"}
	}
	radio := slackgo.NewRadioButtonsBlockElement("answer")
	for _, v := range values {
		o := newOption(v, capitalized(v))
		radio.Options = append(radio.Options, o)
		if v == q.Current {
			radio.InitialOption = o
		}
	}
	label := q.Label
	if p := strings.TrimSpace(q.Prompt); p != "" {
		label += ": " + p
	}
	block := "bant_" + q.Key
	return []slackgo.Block{
		asOptional(newInput(block, label, radio), ""),
		asOptional(textInput(block+"_note", q.Label+" note", "", q.Note, false), ""),
	}
}

func newInput(block, label string, e slackgo.BlockElement) *slackgo.InputBlock {
	return slackgo.NewInputBlock(block, plainText(label, maxLabel), nil, e)
}

// asOptional marks b optional, with a hint under it when hint is not empty.
func asOptional(b *slackgo.InputBlock, hint string) *slackgo.InputBlock {
	b.Optional = true
	if hint != "" {
		b.Hint = plainText(hint, maxLabel)
	}
	return b
}

func textInput(block, label, placeholder, initial string, multiline bool) *slackgo.InputBlock {
	e := slackgo.NewPlainTextInputBlockElement(nil, block)
	if placeholder != "" {
		e.Placeholder = plainText(placeholder, maxPlaceholder)
	}
	e.InitialValue = clipText(initial, maxInputValue)
	e.Multiline = multiline
	return newInput(block, label, e)
}

func amountInput() *slackgo.InputBlock {
	return asOptional(textInput("amount", "Amount", "5m, 500万, ¥5,000,000", "", false), "")
}

func datePicker(action string) *slackgo.DatePickerBlockElement {
	e := slackgo.NewDatePickerBlockElement(action)
	e.Placeholder = plainText("Pick a date", maxPlaceholder)
	return e
}

func externalPicker(action, placeholder string) *slackgo.SelectBlockElement {
	e := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeExternal, plainText(placeholder, maxPlaceholder), action)
	n := minExternalQuery
	e.MinQueryLength = &n
	return e
}

func newOption(value, text string) *slackgo.OptionBlockObject {
	return slackgo.NewOptionBlockObject(clipText(value, maxOptionValue), plainText(text, maxOptionText), nil)
}

func capitalized(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
