package handlers

import (
	"fmt"
	"strings"
	"time"
)

// Reply is a platform-neutral answer. Each chat platform renders it its own
// way (Block Kit, plain text, an Adaptive Card), so what a rep is told is
// decided once, here.
type Reply struct {
	// Title is the one-line answer: "Logged call with Acme KK — touch 3 of 5."
	Title string
	// Fields are short label/value pairs shown side by side where there is room.
	Fields []Field
	// Lines are further lines of text, in order.
	Lines []string
	// Items are list entries with buttons of their own: each follow-up of
	// a reminder or of the App Home.
	Items []Item
	// Warnings are things the rep should notice but that did not stop the
	// command (a likely duplicate, skipped stages).
	Warnings []string
	// Choices are shown when a name matched several records: the rep picks
	// one, and its Command runs.
	Choices []Choice
	// Actions are follow-up buttons: each runs its Command when pressed.
	Actions []Action
	// Form asks for structured input when a command came without its answers
	// (the BANT questions); nil otherwise.
	Form *Form
	// Notices go to other reps: the receiving owner of a handoff.
	Notices []Notice
	// Image is a picture that goes with the message (the digest's chart).
	Image *Image `json:",omitempty"`
}

// Image is a PNG picture with its file name and alt text.
type Image struct {
	Name, Title string
	PNG         []byte
}

// Item is one entry of a list, with its own buttons.
type Item struct {
	Text    string
	Actions []Action
}

// Field is one label and its value.
type Field struct {
	Label, Value string
}

// Choice is one candidate of an ambiguous name.
type Choice struct {
	Label   string
	Command string
}

// Action is a button that runs a command.
type Action struct {
	Label   string
	Command string
	Primary bool
}

// FormKind names a form.
type FormKind string

// Forms.
const (
	FormBANT FormKind = "bant"
)

// Form asks for the answers of a command. Submit builds the command line
// from the answers (keyed by the question's Key).
type Form struct {
	Kind      FormKind
	Title     string
	Target    string // reference of the record, as a command argument (lead#12)
	Questions []Question
}

// Question is one question of a Form.
type Question struct {
	Key     string // b, a, n, t
	Label   string
	Prompt  string
	Current string // the current answer, if any
	Note    string // the current note, if any
	Options []string
}

// Notice is a message for another rep. It is in the outbox already; it is
// on the reply so that a platform can show it too.
type Notice struct {
	To    string // rep id
	Reply *Reply
	// At is when it goes out: now, or later for a follow-up.
	At time.Time
}

// Text renders r as plain text, as the console shows it.
func (r *Reply) Text() string {
	var b strings.Builder
	b.WriteString(r.Title)
	b.WriteByte('\n')
	for _, f := range r.Fields {
		fmt.Fprintf(&b, "  %s: %s\n", f.Label, f.Value)
	}
	for _, l := range r.Lines {
		b.WriteString("  " + l + "\n")
	}
	// An item's buttons are left out: in a terminal the rep types the
	// command, and the item shows the reference to type.
	for _, it := range r.Items {
		b.WriteString("  • " + strings.ReplaceAll(it.Text, "\n", "\n    ") + "\n")
	}
	for _, w := range r.Warnings {
		b.WriteString("  ! " + w + "\n")
	}
	for i, c := range r.Choices {
		fmt.Fprintf(&b, "  %d) %s\n", i+1, c.Label)
	}
	if len(r.Choices) > 0 {
		b.WriteString("  Answer with the number, or run the command again with the name in full.\n")
	}
	for _, a := range r.Actions {
		fmt.Fprintf(&b, "  → %s: %s\n", a.Label, a.Command)
	}
	return b.String()
}
