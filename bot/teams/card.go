package teams

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// CardContentType is the content type of an Adaptive Card attachment.
const CardContentType = "application/vnd.microsoft.card.adaptive"

// MaxCardBytes bounds a card as json.Marshal writes it. Teams counts a bot
// message in UTF-16 with its envelope (40 KB in the older docs, 100 KB with
// 80 KB recommended in the current ones; Incoming Webhooks take about 28 KB),
// so a card of at most 25 KB of UTF-8, at most 50 KB as UTF-16, leaves room
// for the activity around it on every limit but the oldest.
const MaxCardBytes = 25 * 1024

// Adaptive Card constants and the layout limits Card keeps to.
const (
	cardSchema  = "http://adaptivecards.io/schemas/adaptive-card.json"
	cardVersion = "1.5"
	// maxActionsPerSet: Teams shows six buttons of a row and drops the
	// rest on desktop, so longer rows are split into several ActionSets.
	maxActionsPerSet = 6
	// maxButtonTitle: a longer title is cut, and for choices the full
	// labels are listed above the buttons, since the end of a label (the
	// owner, the stage) is often what tells two records apart.
	maxButtonTitle = 40
	// maxImageSide: Teams shows inline images up to 1024×1024 pixels.
	maxImageSide = 1024
	// maxTitleRunes is what is left of a title when nothing else fits.
	maxTitleRunes = 1000
)

// The keys of the data of the Action.Submit buttons Card and FormCard make.
// Teams sends a pressed button's data, merged with the card's inputs, as the
// value of a message activity; CommandFromValue reads it back.
const (
	keyCommand = "tb_command" // a command line, run as the rep who pressed
	keyForm    = "tb_form"    // the kind of form submitted ("bant")
	keyTarget  = "tb_target"  // the record the form is about (lead#12)
	noteSuffix = "_note"      // input id of a BANT question's note: "b_note"
)

// Card renders r as an Adaptive Card (v1.5) for Teams, in the order a rep
// reads it: the title in bold, the fields as a FactSet, the lines as
// TextBlocks, the items each in a Container with its own buttons, the image,
// the warnings in the attention colour, the BANT form's inputs (see FormCard),
// then the choices and the actions as Action.Submit buttons (a primary action
// is "positive"). Every button's data is {"tb_command": "<command line>"}; a
// button whose command does not parse is left out, as it could only fail.
//
// Text is converted from the handlers' Slack mrkdwn: *bold* becomes **bold**,
// and the :mag:, :hourglass: and :warning: shortcodes become emoji. Blank
// lines become space before the next line.
//
// The card keeps under MaxCardBytes: lines and items are cut from the end,
// ending in "…and N more", until it fits. The image, a PNG, goes in as a
// data: URL only if the card still fits with it and it is at most
// 1024×1024 pixels (Teams' limit for inline images); otherwise a line says
// the chart is not shown. The digest's chart (1200×800, ~100 KB) never
// fits, so a platform that wants it in Teams must send it on its own, as an
// image attachment or a hosted URL. Notices are not rendered: they are
// messages of their own. Card returns nil for a nil r.
func Card(r *handlers.Reply) map[string]any {
	if r == nil {
		return nil
	}
	b := newCardBuilder(r)
	total := len(r.Lines) + len(r.Items)

	// The whole text with the image, if there is one; else the text with a
	// note in the image's place, cut until it fits.
	if img := imageElement(r.Image); img != nil {
		if c := b.build(total, img); cardFits(c) {
			return c
		}
	}
	note := imageNote(r.Image)
	if c := b.build(total, note); cardFits(c) {
		return c
	}
	// The largest number of lines and items that fits: the size grows with
	// the number kept, but for the digits of "…and N more".
	lo, hi := -1, total // build(lo) fits, build(hi) does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if mid >= 0 && cardFits(b.build(mid, note)) {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo >= 0 {
		if c := b.build(lo, note); cardFits(c) {
			return c
		}
	}
	// Even the fields, warnings and buttons are too much.
	return newCard([]any{
		textBlock(clipRunes(markdown(r.Title), maxTitleRunes), "weight", "bolder"),
		textBlock("This answer is too long to show in Teams. Ask for less, such as one rep or one team.", "isSubtle", true),
	})
}

// cardBuilder renders one Reply with a given number of its lines and items.
type cardBuilder struct {
	r      *handlers.Reply
	inputs bool // the card has a form, whose inputs every other button must not send
}

func newCardBuilder(r *handlers.Reply) *cardBuilder {
	return &cardBuilder{r: r, inputs: isBANT(r.Form)}
}

// build renders the reply with its first keep lines and items (lines
// first), and extra, the image or the note in its place, if not nil.
func (b *cardBuilder) build(keep int, extra map[string]any) map[string]any {
	r := b.r
	var body []any
	if t := strings.TrimSpace(r.Title); t != "" {
		body = append(body, textBlock(markdown(t), "weight", "bolder"))
	}
	if fs := factSet(r.Fields); fs != nil {
		body = append(body, fs)
	}

	dropped := 0
	spacing := false // a blank line came before
	for i, l := range r.Lines {
		text := strings.TrimSpace(l)
		if text == "" {
			spacing = true
			continue
		}
		if i >= keep {
			dropped++
			continue
		}
		tb := textBlock(markdown(text))
		if spacing {
			tb["spacing"] = "large"
			spacing = false
		}
		body = append(body, tb)
	}
	for i, it := range r.Items {
		if len(r.Lines)+i >= keep {
			dropped++
			continue
		}
		var items []any
		if text := strings.TrimSpace(it.Text); text != "" {
			items = append(items, textBlock(markdown(text)))
		}
		items = append(items, b.actionSets(submitsOf(it.Actions, b.inputs))...)
		if len(items) > 0 {
			body = append(body, map[string]any{"type": "Container", "separator": true, "items": items})
		}
	}
	if dropped > 0 {
		body = append(body, textBlock(fmt.Sprintf("…and %d more", dropped), "isSubtle", true))
	}

	if extra != nil {
		body = append(body, extra)
	}
	for _, w := range r.Warnings {
		if w = strings.TrimSpace(w); w != "" {
			body = append(body, textBlock("⚠️ "+markdown(w), "color", "attention"))
		}
	}
	if b.inputs {
		body = append(body, formElements(r.Form)...)
	}
	body = append(body, b.choices()...)
	body = append(body, b.actionSets(submitsOf(r.Actions, b.inputs))...)
	return newCard(body)
}

// choices renders the candidates of an ambiguous name as buttons. When a
// label is too long for a button, the labels are listed in full above the
// buttons, numbered like them.
func (b *cardBuilder) choices() []any {
	type choice struct{ label, command string }
	var cs []choice
	long := false
	for _, c := range b.r.Choices {
		cmd := strings.TrimSpace(c.Command)
		if !validCommand(cmd) {
			continue
		}
		label := strings.Join(strings.Fields(c.Label), " ")
		if label == "" {
			label = cmd
		}
		long = long || utf8.RuneCountInString(label) > maxButtonTitle
		cs = append(cs, choice{label, cmd})
	}
	if len(cs) == 0 {
		return nil
	}
	var out []any
	var facts []any
	var submits []map[string]any
	for i, c := range cs {
		title := c.label
		if long {
			num := strconv.Itoa(i + 1)
			facts = append(facts, map[string]any{"title": num, "value": markdown(c.label)})
			title = num + ". " + title
		}
		submits = append(submits, submit(title, c.command, false, b.inputs))
	}
	if long {
		out = append(out, map[string]any{"type": "FactSet", "facts": facts})
	}
	return append(out, b.actionSets(submits)...)
}

// actionSets puts buttons into ActionSets of at most maxActionsPerSet.
func (b *cardBuilder) actionSets(submits []map[string]any) []any {
	var out []any
	for i := 0; i < len(submits); i += maxActionsPerSet {
		var actions []any
		for _, s := range submits[i:min(i+maxActionsPerSet, len(submits))] {
			actions = append(actions, s)
		}
		out = append(out, map[string]any{"type": "ActionSet", "actions": actions})
	}
	return out
}

// submitsOf turns actions into buttons, leaving out those whose command
// does not parse.
func submitsOf(actions []handlers.Action, hasInputs bool) []map[string]any {
	var out []map[string]any
	for _, a := range actions {
		cmd := strings.TrimSpace(a.Command)
		if !validCommand(cmd) {
			continue
		}
		label := strings.Join(strings.Fields(a.Label), " ")
		if label == "" {
			label = cmd
		}
		out = append(out, submit(label, cmd, a.Primary, hasInputs))
	}
	return out
}

// submit is an Action.Submit that runs cmd. On a card with inputs it sends
// none of them: they belong to the form's own button.
func submit(title, cmd string, primary, hasInputs bool) map[string]any {
	s := map[string]any{
		"type":  "Action.Submit",
		"title": clipRunes(title, maxButtonTitle),
		"data":  map[string]any{keyCommand: cmd},
	}
	if primary {
		s["style"] = "positive"
	}
	if hasInputs {
		s["associatedInputs"] = "none"
	}
	return s
}

func validCommand(cmd string) bool {
	if cmd == "" {
		return false
	}
	_, err := handlers.ParseCommand(cmd)
	return err == nil
}

func factSet(fields []handlers.Field) map[string]any {
	var facts []any
	for _, f := range fields {
		label, value := strings.TrimSpace(f.Label), strings.TrimSpace(f.Value)
		if label == "" && value == "" {
			continue
		}
		facts = append(facts, map[string]any{"title": markdown(label), "value": markdown(value)})
	}
	if len(facts) == 0 {
		return nil
	}
	return map[string]any{"type": "FactSet", "facts": facts}
}

// imageElement returns the Image element of img as a data: URL, or nil
// when there is no image or it is not a PNG Teams would show inline.
func imageElement(img *handlers.Image) map[string]any {
	if img == nil || len(img.PNG) == 0 {
		return nil
	}
	// The budget is checked by the caller; decoding the header of an
	// image far past it is wasted.
	if base64.StdEncoding.EncodedLen(len(img.PNG)) > MaxCardBytes {
		return nil
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img.PNG))
	if err != nil || cfg.Width > maxImageSide || cfg.Height > maxImageSide || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil
	}
	alt := strings.TrimSpace(img.Title)
	if alt == "" {
		alt = strings.TrimSpace(img.Name)
	}
	e := map[string]any{
		"type": "Image",
		"url":  "data:image/png;base64," + base64.StdEncoding.EncodeToString(img.PNG),
		"size": "stretch",
	}
	if alt != "" {
		e["altText"] = clipRunes(alt, 200)
	}
	return e
}

// imageNote is the line shown in place of an image that is not shown.
func imageNote(img *handlers.Image) map[string]any {
	if img == nil || len(img.PNG) == 0 {
		return nil
	}
	name := strings.TrimSpace(img.Title)
	if name == "" {
		name = strings.TrimSpace(img.Name)
	}
	text := "The chart is too large to show in Teams."
	if name != "" {
		text = "The chart “" + clipRunes(name, 200) + "” is too large to show in Teams."
	}
	return textBlock(text, "isSubtle", true)
}

// FormCard renders a BANT form on its own: its title, then for each of the
// four questions an Input.ChoiceSet (id "b", "a", "n" or "t"; yes, no or
// unknown, shown expanded, the current answer selected) and an Input.Text
// for its note (id "b_note", ...), then a "Save" Action.Submit whose data is
// {"tb_form": "bant", "tb_target": f.Target}. CommandFromValue turns the
// submitted value into the qualify command. A form without a target has no
// Save button but a line saying how to name the record. FormCard returns nil
// for a nil form or one that is not BANT.
func FormCard(f *handlers.Form) map[string]any {
	if !isBANT(f) {
		return nil
	}
	title := strings.TrimSpace(f.Title)
	if title == "" {
		title = "Qualify " + strings.TrimSpace(f.Target)
	}
	body := []any{textBlock(markdown(title), "weight", "bolder")}
	return newCard(append(body, formElements(f)...))
}

func isBANT(f *handlers.Form) bool { return f != nil && f.Kind == handlers.FormBANT }

// formElements are the inputs of a BANT form and its Save button.
func formElements(f *handlers.Form) []any {
	var out []any
	for _, q := range bantQuestions(f) {
		options := q.Options
		if len(options) == 0 {
			options = []string{"yes", "no", "unknown"}
		}
		var choices []any
		for _, o := range options {
			choices = append(choices, map[string]any{"title": capitalized(o), "value": o})
		}
		label := q.Label
		if p := strings.TrimSpace(q.Prompt); p != "" {
			label += ": " + p
		}
		choiceSet := map[string]any{
			"type":    "Input.ChoiceSet",
			"id":      q.Key,
			"label":   label,
			"style":   "expanded",
			"choices": choices,
		}
		if q.Current != "" {
			choiceSet["value"] = q.Current
		}
		note := map[string]any{
			"type":  "Input.Text",
			"id":    q.Key + noteSuffix,
			"label": q.Label + " note",
		}
		if q.Note != "" {
			note["value"] = q.Note
		}
		out = append(out, choiceSet, note)
	}
	target := strings.TrimSpace(f.Target)
	if target == "" {
		return append(out, textBlock("To save these answers, name the lead or opportunity: qualify NAME b:yes …", "isSubtle", true))
	}
	save := map[string]any{
		"type":  "Action.Submit",
		"title": "Save",
		"style": "positive",
		"data":  map[string]any{keyForm: string(handlers.FormBANT), keyTarget: target},
	}
	return append(out, map[string]any{"type": "ActionSet", "actions": []any{save}})
}

// bantQuestions are the form's questions, or the four BANT questions with
// no answers when the form has none. Questions with a key that is not a BANT
// letter are left out: CommandFromValue would not read them.
func bantQuestions(f *handlers.Form) []handlers.Question {
	var qs []handlers.Question
	for _, q := range f.Questions {
		for _, l := range touchbase.BANTLetters {
			if q.Key == l.Key {
				qs = append(qs, q)
				break
			}
		}
	}
	if len(qs) > 0 {
		return qs
	}
	for _, l := range touchbase.BANTLetters {
		qs = append(qs, handlers.Question{Key: l.Key, Label: l.Name, Prompt: l.Question})
	}
	return qs
}

// CommandFromValue turns the value of a submitted card (the message
// activity's "value", a JSON object of the button's data merged with the
// card's inputs) into a command line to run as the rep who pressed it: the
// tb_command of a button as it is, or for a BANT form the qualify command
// handlers.BANTCommand builds from the answers and notes, for the record
// named by tb_target. Keys other than touchbase's, such as the inputs of a
// form sent along with another button, are ignored.
//
// ok is false, and err nil, for a value that is not touchbase's: none, not
// an object, or an object without tb_command or tb_form. err is not nil for
// a value that is not JSON, and for a touchbase value that does not make a
// command: an EINVALID *touchbase.Error whose message the rep can act on
// ("Answer at least one of the four."). A line is returned only when it
// parses as a command.
func CommandFromValue(value json.RawMessage) (line string, ok bool, err error) {
	v := bytes.TrimSpace(value)
	if len(v) == 0 {
		return "", false, nil
	}
	if !json.Valid(v) {
		return "", false, fmt.Errorf("teams: card value is not JSON")
	}
	if v[0] != '{' {
		return "", false, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(v, &fields); err != nil {
		return "", false, fmt.Errorf("teams: card value: %w", err)
	}
	_, isCommand := fields[keyCommand]
	_, isForm := fields[keyForm]
	switch {
	case isCommand && isForm:
		return "", true, touchbase.Errorf(touchbase.EINVALID, "That button sent both a command and a form. Type the command instead.")
	case isCommand:
		cmd, okStr := stringField(fields, keyCommand)
		cmd = strings.TrimSpace(cmd)
		if !okStr || cmd == "" {
			return "", true, touchbase.Errorf(touchbase.EINVALID, "That button carries no command. Type the command instead.")
		}
		if _, err := handlers.ParseCommand(cmd); err != nil {
			return "", true, err
		}
		return cmd, true, nil
	case isForm:
		line, err := bantFromValue(fields)
		if err != nil {
			return "", true, err
		}
		return line, true, nil
	}
	return "", false, nil
}

// bantFromValue reads a submitted BANT form.
func bantFromValue(fields map[string]json.RawMessage) (string, error) {
	kind, okStr := stringField(fields, keyForm)
	if !okStr || kind != string(handlers.FormBANT) {
		return "", touchbase.Errorf(touchbase.EINVALID, "That form is not one touchbase knows. Run /qualify NAME again.")
	}
	target, okStr := stringField(fields, keyTarget)
	if target = strings.TrimSpace(target); !okStr || target == "" {
		return "", touchbase.Errorf(touchbase.EINVALID, "The form does not say which lead or opportunity it is about. Run /qualify NAME again.")
	}
	answers, notes := map[string]string{}, map[string]string{}
	for _, l := range touchbase.BANTLetters {
		a, okA := stringField(fields, l.Key)
		note, okN := stringField(fields, l.Key+noteSuffix)
		if !okA || !okN {
			return "", touchbase.Errorf(touchbase.EINVALID, "%s: the form sent something that is not text. Run /qualify NAME again.", l.Name)
		}
		a, note = strings.TrimSpace(a), strings.TrimSpace(note)
		if a == "" {
			if note != "" {
				return "", touchbase.Errorf(touchbase.EINVALID, "%s: answer yes, no or unknown for the note %q.", l.Name, clipRunes(note, 40))
			}
			continue
		}
		if _, ok := touchbase.ParseAnswer(a); !ok {
			return "", touchbase.Errorf(touchbase.EINVALID, "%s: answer yes, no or unknown, not %q.", l.Name, clipRunes(a, 40))
		}
		answers[l.Key], notes[l.Key] = a, note
	}
	if len(answers) == 0 {
		return "", touchbase.Errorf(touchbase.EINVALID, "Answer at least one of the four.")
	}
	line := handlers.BANTCommand(target, answers, notes)
	if _, err := handlers.ParseCommand(line); err != nil {
		return "", err
	}
	return line, nil
}

// stringField returns the string value of key: "" when the key is missing
// or null, and false when the value is not a string.
func stringField(fields map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := fields[key]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return "", true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// Attachment wraps card as the attachment of a message activity.
func Attachment(card map[string]any) map[string]any {
	return map[string]any{"contentType": CardContentType, "content": card}
}

func newCard(body []any) map[string]any {
	if body == nil {
		body = []any{}
	}
	return map[string]any{
		"type":    "AdaptiveCard",
		"$schema": cardSchema,
		"version": cardVersion,
		"body":    body,
	}
}

// textBlock is a wrapping TextBlock with extra properties given as key,
// value pairs.
func textBlock(text string, props ...any) map[string]any {
	tb := map[string]any{"type": "TextBlock", "text": text, "wrap": true}
	for i := 0; i+1 < len(props); i += 2 {
		tb[props[i].(string)] = props[i+1]
	}
	return tb
}

func cardFits(card map[string]any) bool {
	b, err := json.Marshal(card)
	return err == nil && len(b) <= MaxCardBytes
}

// shortcodes are the Slack emoji the handlers write.
var shortcodes = strings.NewReplacer(":mag:", "🔍", ":hourglass:", "⏳", ":warning:", "⚠️")

// markdown converts the handlers' Slack mrkdwn to the Markdown of a
// TextBlock: *bold* becomes **bold**, the emoji shortcodes the handlers use
// become emoji, and a newline becomes a paragraph break, since a TextBlock
// shows a single "\n" as a space. Other text is left as it is: Adaptive
// Cards show HTML as text, and have no reliable escape for Markdown.
func markdown(s string) string {
	s = shortcodes.Replace(s)
	s = slackBold(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(strings.TrimRight(line, " \t"))
	}
	return b.String()
}

// slackBold turns Slack's *bold* into **bold**: a star that starts a word,
// text that neither starts nor ends with a space, and a star that ends a
// word, on one line.
func slackBold(s string) string {
	if !strings.Contains(s, "*") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '*' && !wordBefore(s, i) {
			if end := boldEnd(s, i+1); end > 0 {
				b.WriteString("**" + s[i+1:end] + "**")
				i = end + 1
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// boldEnd returns the index of the star closing bold text that starts at
// start, or -1.
func boldEnd(s string, start int) int {
	if start >= len(s) || s[start] == ' ' || s[start] == '*' || s[start] == '\n' {
		return -1
	}
	for k := start + 1; k < len(s) && s[k] != '\n'; k++ {
		if s[k] == '*' {
			if s[k-1] != ' ' && !wordAfter(s, k+1) {
				return k
			}
			return -1
		}
	}
	return -1
}

func wordBefore(s string, i int) bool {
	r, n := utf8.DecodeLastRuneInString(s[:i])
	return n > 0 && (isWordRune(r) || r == '*')
}

func wordAfter(s string, i int) bool {
	r, n := utf8.DecodeRuneInString(s[i:])
	return n > 0 && (isWordRune(r) || r == '*')
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// clipRunes cuts s to at most limit characters, ending in "…" when cut.
func clipRunes(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:max(limit-1, 0)]) + "…"
}

func capitalized(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
