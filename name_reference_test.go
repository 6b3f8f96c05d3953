package touchbase

import (
	"strings"
	"unicode"
)

// ReferenceFold and ReferenceNameKey are Fold and NameKey as they were
// before their ASCII fast paths: FuzzNameKey holds the two to the same
// answers for every input.
var (
	ReferenceFold    = referenceFold
	ReferenceNameKey = referenceNameKey
)

func referenceFold(s string) string {
	out := make([]rune, 0, len(s))
	space := false
	for _, r := range s {
		r = foldWidth(r)
		switch {
		case unicode.IsSpace(r):
			space = len(out) > 0
			continue
		case r == '\u200b' || r == '\ufeff':
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		switch r {
		case '\uff9e', '\u3099':
			if n := len(out); n > 0 {
				if v, ok := composeKana(out[n-1], '\u3099'); ok {
					out[n-1] = v
					continue
				}
			}
			if r == '\uff9e' {
				r = '゛'
			}
		case '\uff9f', '\u309a':
			if n := len(out); n > 0 {
				if v, ok := composeKana(out[n-1], '\u309a'); ok {
					out[n-1] = v
					continue
				}
			}
			if r == '\uff9f' {
				r = '゜'
			}
		}
		out = append(out, unicode.ToLower(r))
	}
	return string(out)
}

func referenceNameKey(s string) string {
	words := referenceNameWords(s)
	if key := referenceDropLegalForms(words); key != "" {
		return key
	}
	return words
}

func referenceNameWords(s string) string {
	f := referenceFold(s)
	for _, a := range [...]struct{ short, long string }{
		{"(株)", "株式会社"}, {"㈱", "株式会社"},
		{"(有)", "有限会社"}, {"㈲", "有限会社"},
		{"(同)", "合同会社"}, {"(合)", "合同会社"},
	} {
		f = strings.ReplaceAll(f, a.short, a.long)
	}
	var b strings.Builder
	b.Grow(len(f))
	for _, r := range f {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		case r == '.' || r == '\'' || r == '’' || r == '‘' || r == '`' || r == '&':
		default:
			b.WriteByte(' ')
		}
	}
	return referenceFold(b.String())
}

func referenceDropLegalForms(words string) string {
	for _, form := range [...]string{"株式会社", "有限会社", "合同会社", "合資会社", "合名会社"} {
		words = strings.ReplaceAll(words, form, " ")
	}
	var kept []string
	for _, w := range strings.Fields(words) {
		switch w {
		case "kk", "inc", "incorporated", "ltd", "limited", "llc", "llp", "co", "corp",
			"corporation", "company", "gmbh", "ag", "plc", "sa", "pte", "pty":
			continue
		}
		kept = append(kept, w)
	}
	return strings.Join(kept, " ")
}
