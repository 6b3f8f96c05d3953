package touchbase

import "fmt"

// Answer is one BANT answer: unknown (the zero value), yes or no.
type Answer int

// BANT answers.
const (
	Unknown Answer = iota
	Yes
	No
)

// String returns "unknown", "yes" or "no".
func (a Answer) String() string {
	switch a {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unknown"
}

// ParseAnswer reads an answer as a rep types it: yes/y/no/n/unknown/?/u, in
// any case ("はい" and "いいえ" too).
func ParseAnswer(s string) (Answer, bool) {
	switch Fold(s) {
	case "yes", "y", "true", "ok", "はい", "有", "あり":
		return Yes, true
	case "no", "n", "false", "いいえ", "無", "なし":
		return No, true
	case "unknown", "u", "?", "-", "不明", "":
		return Unknown, true
	}
	return Unknown, false
}

// MarshalText encodes a as "yes", "no" or "unknown".
func (a Answer) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText decodes "yes", "no" or "unknown".
func (a *Answer) UnmarshalText(b []byte) error {
	v, ok := ParseAnswer(string(b))
	if !ok {
		return fmt.Errorf("bant answer %q: want yes, no or unknown", b)
	}
	*a = v
	return nil
}

// BANTItem is one letter of BANT: the answer and a short note (the budget
// amount, the decision maker's name, the need in words, the target date).
type BANTItem struct {
	Answer Answer `json:"answer"`
	Note   string `json:"note,omitempty"`
}

// BANT is the qualification of a lead: Budget, Authority, Need, Timeline.
type BANT struct {
	Budget    BANTItem `json:"budget"`
	Authority BANTItem `json:"authority"`
	Need      BANTItem `json:"need"`
	Timeline  BANTItem `json:"timeline"`
}

// BANTLetters names the four questions in order, with the key a rep types.
var BANTLetters = [4]struct{ Key, Name, Question string }{
	{"b", "Budget", "Is there a budget for this? (amount, if known)"},
	{"a", "Authority", "Are we talking to the decision maker? (who decides)"},
	{"n", "Need", "Is there a clear need? (in a few words)"},
	{"t", "Timeline", "Is there a timeline to buy? (target date)"},
}

// Item returns a pointer to the i-th letter (0 Budget .. 3 Timeline).
func (b *BANT) Item(i int) *BANTItem {
	return [...]*BANTItem{&b.Budget, &b.Authority, &b.Need, &b.Timeline}[i]
}

// Yes returns how many of the four are answered yes.
func (b BANT) Yes() int {
	n := 0
	for i := range 4 {
		if b.Item(i).Answer == Yes {
			n++
		}
	}
	return n
}

// Qualified reports whether at least threshold of the four are yes.
func (b BANT) Qualified(threshold int) bool { return b.Yes() >= threshold }

// Summary returns a compact form such as "B✓ A✗ N✓ T?".
func (b BANT) Summary() string {
	s := ""
	for i, l := range BANTLetters {
		if i > 0 {
			s += " "
		}
		mark := "?"
		switch b.Item(i).Answer {
		case Yes:
			mark = "✓"
		case No:
			mark = "✗"
		}
		s += string(l.Name[0]) + mark
	}
	return s
}
