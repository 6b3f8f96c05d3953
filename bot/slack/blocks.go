package slack

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase/handlers"
)

// Limits of Block Kit that Blocks and Modal keep to; Slack refuses the whole
// message or view when one is broken. Lengths are in characters.
const (
	maxMessageBlocks = 50
	maxSectionText   = 3000
	maxFields        = 10
	maxFieldText     = 2000
	maxContextElems  = 10
	maxActionElems   = 25
	maxButtonText    = 75
	maxButtonValue   = 2000
)

// Action ids of the buttons Blocks renders. Every button's value is a line
// of the command language, to be run as the rep who pressed it: the
// interaction needs nothing but the value.
const (
	// ChoiceActionPrefix, followed by the choice's position from 1, marks
	// the buttons of a name that matched several records.
	ChoiceActionPrefix = "tb_choice_"
	// ActionPrefix, followed by the action's position from 1, marks the
	// follow-up buttons of a Reply.
	ActionPrefix = "tb_action_"
	// FormAction marks the button that asks a Reply's Form again: its
	// value is the command whose answer carries the Form, so that pressing
	// it (which gives a trigger_id) can open the modal.
	FormAction = "tb_form"
)

// Blocks renders r as Block Kit for a message, laid out for a phone: the
// title, the fields two by two, the lines, the warnings in small print, then
// the buttons. It keeps to Block Kit's limits by splitting what is too long
// for one block and cutting what cannot be split: a button whose command is
// too long for a button value is left out, and lines beyond the 50 blocks of
// a message end in "…and N more". User text is escaped for mrkdwn, except
// Slack mentions such as <@U123>. Notices are not rendered (they are
// messages of their own); a BANT Form becomes a button that asks it
// (FormAction).
func Blocks(r *handlers.Reply) []slackgo.Block {
	kit := kitBlocks(r)
	if len(kit) == 0 {
		return nil
	}
	out := make([]slackgo.Block, len(kit))
	for i := range kit {
		out[i] = kit[i].slack()
	}
	return out
}

// kitBlocks lays r out as Blocks describes, in the kit's plain blocks: the
// answer to a command is written from them straight (see kit.go), and
// Blocks turns them into slack-go's for the Web API.
func kitBlocks(r *handlers.Reply) []kitBlock {
	if r == nil {
		return nil
	}
	var head [1]kitBlock // the title, when there is one
	nhead := 0
	if t := strings.TrimSpace(r.Title); t != "" {
		head[0], nhead = mrkdwnSection(kitID{name: "tb_title"}, mrkdwn(t, maxSectionText)), 1
	}
	var tail []kitBlock
	fields := fieldSections(r.Fields)
	lines, counts := lineSections(r.Lines)
	tail = warningBlocks(tail, r.Warnings)
	tail = choiceBlocks(tail, r.Choices)
	tail = actionBlocks(tail, r)

	budget := maxMessageBlocks - nhead - len(tail)
	body := fields[:min(len(fields), max(budget, 0))]
	budget -= len(body)
	items := itemBlocks(r.Items, budget-min(len(lines), 2))
	budget -= len(items)
	var more []kitBlock
	switch {
	case len(lines) <= budget:
	case budget > 0:
		keep, shown := budget-1, 0
		for _, n := range counts[:keep] {
			shown += n
		}
		lines = lines[:keep]
		more = []kitBlock{{kind: kitContext, id: kitID{name: "tb_more"}, texts: []string{fmt.Sprintf("…and %d more", len(r.Lines)-shown)}}}
	default:
		lines = nil
	}
	n := nhead + len(body) + len(items) + len(lines) + len(more) + len(tail)
	if n == 0 {
		return nil
	}
	out := make([]kitBlock, 0, n)
	for _, part := range [...][]kitBlock{head[:nhead], body, items, lines, more, tail} {
		out = append(out, part...)
	}
	return out[:min(len(out), maxMessageBlocks)]
}

// itemBlocks renders list items, each a section and its own buttons, within
// budget blocks; items that do not fit end in "…and N more".
func itemBlocks(items []handlers.Item, budget int) []kitBlock {
	var out []kitBlock
	for i, it := range items {
		n := 1
		if len(it.Actions) > 0 {
			n = 2
		}
		if len(out)+n > budget-1 && i < len(items)-1 || len(out)+n > budget {
			if budget-len(out) >= 1 {
				out = append(out, kitBlock{kind: kitContext, id: kitID{name: "tb_items_more"}, texts: []string{fmt.Sprintf("…and %d more", len(items)-i)}})
			}
			break
		}
		id := "tb_item_" + strconv.Itoa(i+1)
		out = append(out, mrkdwnSection(kitID{name: "tb_item_", n: i + 1}, mrkdwn(it.Text, maxSectionText)))
		var buttons []kitButton
		for j, a := range it.Actions {
			if !buttonValueFits(a.Command) {
				continue
			}
			buttons = append(buttons, kitButton{actionID: kitID{name: id + "_", n: j + 1}, value: a.Command, label: clipText(a.Label, maxButtonText), primary: a.Primary})
		}
		if len(buttons) > 0 {
			out = append(out, kitBlock{kind: kitActions, id: kitID{name: id + "_actions"}, buttons: buttons[:min(len(buttons), maxActionElems)]})
		}
	}
	return out
}

// FallbackText is the text of r that Slack shows in notifications and where
// blocks cannot be shown (a message's "text"): the title, or the first line
// when there is none, trimmed to one line and escaped like the blocks, so
// it is sent as it is (MsgOptionText with escape false).
func FallbackText(r *handlers.Reply) string {
	if r == nil {
		return ""
	}
	t := oneLine(r.Title)
	for _, l := range r.Lines {
		if t != "" {
			break
		}
		t = oneLine(l)
	}
	return mrkdwn(t, maxSectionText)
}

// oneLine is strings.Join(strings.Fields(s), " "): s on one line, its runs
// of white space made one space. Most text is that already, and is returned
// as it is.
func oneLine(s string) string {
	if isOneLine(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isOneLine reports whether s has no white space but single spaces between
// words.
func isOneLine(s string) bool {
	space := true // before the start, as if after a space: s may not begin with one
	for _, r := range s {
		switch {
		case r == ' ':
			if space {
				return false
			}
			space = true
		case unicode.IsSpace(r):
			return false
		default:
			space = false
		}
	}
	return !space || s == ""
}

func mrkdwnSection(id kitID, text string) kitBlock {
	return kitBlock{kind: kitSection, id: id, text: text}
}

func mrkdwnText(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, false)
}

func plainText(s string, limit int) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, clipText(s, limit), true, false)
}

// fieldSections renders fields as "*Label*\nvalue", ten to a section.
func fieldSections(fields []handlers.Field) []kitBlock {
	var texts []string
	for _, f := range fields {
		label, value := strings.TrimSpace(f.Label), strings.TrimSpace(f.Value)
		var s string
		switch {
		case label == "" && value == "":
			continue
		case label == "":
			s = mrkdwn(value, maxFieldText)
		default:
			s = "*" + mrkdwn(label, 100) + "*\n"
			s += mrkdwn(value, maxFieldText-utf8.RuneCountInString(s))
		}
		texts = append(texts, s)
	}
	var out []kitBlock
	for i := 0; i < len(texts); i += maxFields {
		out = append(out, kitBlock{kind: kitFields, id: kitID{name: "tb_fields_", n: len(out) + 1}, texts: texts[i:min(i+maxFields, len(texts))]})
	}
	return out
}

// lineSections packs lines into as few sections as their length allows, and
// returns how many lines each section holds.
func lineSections(lines []string) ([]kitBlock, []int) {
	var out []kitBlock
	var counts []int
	var b strings.Builder
	var first string // the section's text while it is one line, not copied into b
	n, size := 0, 0  // lines and characters in the section
	blank := 0       // lines of blank sections left out, counted as shown
	flush := func() {
		if n == 0 {
			return
		}
		text := first
		if n > 1 {
			text = b.String()
		}
		if strings.TrimSpace(text) != "" {
			out = append(out, mrkdwnSection(kitID{name: "tb_lines_", n: len(out) + 1}, text))
			counts = append(counts, n+blank)
			blank = 0
		} else {
			blank += n
		}
		b.Reset()
		n, size = 0, 0
	}
	for _, l := range lines {
		s := mrkdwn(strings.TrimRight(l, " \t\r\n"), maxSectionText)
		w := utf8.RuneCountInString(s)
		if n > 0 && size+1+w > maxSectionText {
			flush()
		}
		switch n {
		case 0:
			first = s
		case 1:
			b.WriteString(first)
			fallthrough
		default:
			b.WriteByte('\n')
			b.WriteString(s)
			size++
		}
		size += w
		n++
	}
	flush()
	if blank > 0 && len(counts) > 0 {
		counts[len(counts)-1] += blank
	}
	return out, counts
}

// warningBlocks appends the warnings to out, in small print.
func warningBlocks(out []kitBlock, warnings []string) []kitBlock {
	var texts []string
	for _, w := range warnings {
		if w = strings.TrimSpace(w); w != "" {
			const prefix = ":warning: "
			texts = append(texts, prefix+mrkdwn(w, maxSectionText-len(prefix)))
		}
	}
	for i, n := 0, 1; i < len(texts); i, n = i+maxContextElems, n+1 {
		out = append(out, kitBlock{kind: kitContext, id: kitID{name: "tb_warnings_", n: n}, texts: texts[i:min(i+maxContextElems, len(texts))]})
	}
	return out
}

// choiceBlocks appends to out the candidates of an ambiguous name as
// buttons. When a label is too long for a button it is cut, and the full
// labels are then listed above the buttons, numbered like them: the end of
// a label (the owner, the stage) is often what tells two records apart.
func choiceBlocks(out []kitBlock, choices []handlers.Choice) []kitBlock {
	if len(choices) == 0 {
		return out
	}
	labels := make([]string, len(choices))
	cut, dropped := false, false
	for i, c := range choices {
		labels[i] = oneLine(c.Label)
		if labels[i] == "" {
			labels[i] = c.Command
		}
		if !buttonValueFits(c.Command) {
			dropped = true
		} else if utf8.RuneCountInString(labels[i]) > maxButtonText {
			cut = true
		}
	}
	var list []string
	var buttons []kitButton
	for i, c := range choices {
		num := strconv.Itoa(i + 1)
		label := labels[i]
		if cut {
			label = num + ". " + label
			list = append(list, label)
		}
		if buttonValueFits(c.Command) {
			buttons = append(buttons, kitButton{actionID: kitID{name: ChoiceActionPrefix, n: i + 1}, value: c.Command, label: clipText(label, maxButtonText)})
		}
	}
	if cut {
		lines, _ := lineSections(list)
		for i, l := range lines {
			l.id = kitID{name: "tb_choice_list_", n: i + 1}
			out = append(out, l)
		}
	}
	out = actionsBlocks(out, "tb_choices_", buttons)
	if dropped {
		out = append(out, kitBlock{kind: kitContext, id: kitID{name: "tb_choices_dropped"},
			texts: []string{"Some matches are too long to offer as buttons: run the command again with the name in full."}})
	}
	return out
}

// actionBlocks appends to out the follow-up buttons, and the button that
// asks the Form again.
func actionBlocks(out []kitBlock, r *handlers.Reply) []kitBlock {
	n := len(r.Actions)
	if r.Form != nil {
		n++
	}
	if n == 0 {
		return out
	}
	buttons := make([]kitButton, 0, n)
	if f := r.Form; f != nil && f.Kind == handlers.FormBANT && f.Target != "" {
		cmd := (&handlers.Command{Verb: "qualify", Args: []string{f.Target}}).String()
		if buttonValueFits(cmd) {
			buttons = append(buttons, kitButton{actionID: kitID{name: FormAction}, value: cmd, label: "Answer BANT", primary: true})
		}
	}
	for i, a := range r.Actions {
		if !buttonValueFits(a.Command) {
			continue
		}
		label := oneLine(a.Label)
		if label == "" {
			label = a.Command
		}
		buttons = append(buttons, kitButton{actionID: kitID{name: ActionPrefix, n: i + 1}, value: a.Command, label: clipText(label, maxButtonText), primary: a.Primary})
	}
	return actionsBlocks(out, "tb_actions_", buttons)
}

// ParseButtonValue returns the command line a touchbase button carries,
// and false for a value that is not one: buttons carry the command itself,
// as the handlers wrote it, with no prefix.
func ParseButtonValue(v string) (command string, ok bool) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) || !buttonValueFits(v) {
		return "", false
	}
	if _, err := handlers.ParseCommand(v); err != nil {
		return "", false
	}
	return v, true
}

func buttonValueFits(cmd string) bool {
	return strings.TrimSpace(cmd) != "" && utf8.RuneCountInString(cmd) <= maxButtonValue
}

// actionsBlocks appends buttons to out in actions blocks of at most 25.
func actionsBlocks(out []kitBlock, idPrefix string, buttons []kitButton) []kitBlock {
	for i, n := 0, 1; i < len(buttons); i, n = i+maxActionElems, n+1 {
		out = append(out, kitBlock{kind: kitActions, id: kitID{name: idPrefix, n: n}, buttons: buttons[i:min(i+maxActionElems, len(buttons))]})
	}
	return out
}

// mrkdwn escapes s for a mrkdwn text object, as Slack asks: &, < and >
// become &amp;, &lt; and &gt;, except in the mentions Slack renders
// (<@U123>, <@U123|name>, <#C123>, <!subteam^S123>), which stay whole. The
// result has at most limit characters; when s is cut it ends in "…", and
// never in half an escape or a mention.
func mrkdwn(s string, limit int) string {
	if !strings.ContainsAny(s, "&<>") && utf8.ValidString(s) && utf8.RuneCountInString(s) <= limit {
		return s // nothing to escape or cut: most text
	}
	if out, n := escapeUpTo(s, -1); n <= limit {
		return out
	}
	out, _ := escapeUpTo(s, max(limit-1, 0))
	return out + "…"
}

// escapeUpTo escapes s, stopping before the piece that would take it past
// limit characters (no limit when negative); it returns the characters
// written.
func escapeUpTo(s string, limit int) (string, int) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		var piece string
		var size int
		if m := mentionLen(s[i:]); m > 0 {
			piece, size = s[i:i+m], m
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch r {
			case '&':
				piece = "&amp;"
			case '<':
				piece = "&lt;"
			case '>':
				piece = "&gt;"
			default:
				piece = string(r) // an invalid byte becomes U+FFFD
			}
		}
		w := utf8.RuneCountInString(piece)
		if limit >= 0 && n+w > limit {
			break
		}
		b.WriteString(piece)
		n += w
		i += size
	}
	return b.String(), n
}

// mentionLen returns the length of the Slack mention s starts with, or 0.
func mentionLen(s string) int {
	var i int
	switch {
	case strings.HasPrefix(s, "<@U"), strings.HasPrefix(s, "<@W"), strings.HasPrefix(s, "<#C"):
		i = 3
	case strings.HasPrefix(s, "<!subteam^S"):
		i = len("<!subteam^S")
	default:
		return 0
	}
	start := i
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	if i == start || i == len(s) {
		return 0
	}
	if s[i] == '|' {
		for i++; i < len(s) && s[i] != '>'; i++ {
			if s[i] == '<' || s[i] == '&' || s[i] == '|' || s[i] == '\n' {
				return 0
			}
		}
		if i == len(s) {
			return 0
		}
	}
	if s[i] != '>' {
		return 0
	}
	return i + 1
}

// clipText cuts s to at most limit characters, ending in "…" when cut.
func clipText(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:max(limit-1, 0)]) + "…"
}
