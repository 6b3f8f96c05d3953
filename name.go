package touchbase

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold returns s as names, commands and answers are compared: trimmed,
// full-width ASCII made half-width, half-width katakana made full-width (with
// ﾞ and ﾟ joined to the kana before them, so ｶﾞ is ガ), lower case, and each
// run of white space made one space. "  Ａｃｍｅ　ＫＫ " gives "acme kk" and
// "ｱｸﾒ" gives "アクメ". Fold is idempotent: Fold(Fold(s)) == Fold(s).
func Fold(s string) string {
	if f, ok := foldASCII(s); ok {
		return f
	}
	return foldRunes(s)
}

// foldRunes is Fold for any s, rune by rune.
func foldRunes(s string) string {
	out := make([]rune, 0, len(s))
	space := false // white space seen since the last rune written
	for _, r := range s {
		r = foldWidth(r)
		switch {
		case unicode.IsSpace(r):
			space = len(out) > 0
			continue
		case r == '\u200b' || r == '\ufeff':
			// Zero-width spaces come with pasted text; they separate nothing.
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		switch r {
		case '\uff9e', '\u3099': // voiced sound mark, half-width or combining
			if n := len(out); n > 0 {
				if v, ok := composeKana(out[n-1], '\u3099'); ok {
					out[n-1] = v
					continue
				}
			}
			if r == '\uff9e' {
				r = '゛'
			}
		case '\uff9f', '\u309a': // semi-voiced sound mark
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

// foldASCII is Fold for s made of ASCII only, which names and commands
// mostly are: it returns s itself when s is already folded, and otherwise
// allocates the result once. ok is false when s has any other byte.
func foldASCII(s string) (f string, ok bool) {
	folded := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			return "", false
		case 'A' <= c && c <= 'Z':
			folded = false
		case c == ' ':
			// One space between two words is what Fold leaves.
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				folded = false
			}
		case isASCIISpace(c):
			folded = false
		}
	}
	if folded {
		return s, true
	}
	b := make([]byte, 0, len(s))
	space := false // white space seen since the last byte written
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isASCIISpace(c) {
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b), true
}

// isASCIISpace reports whether c is one of the ASCII bytes unicode.IsSpace
// accepts.
func isASCIISpace(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r')
}

// halfKana holds the full-width forms of U+FF61 to U+FF9D in order. Each is
// three bytes of UTF-8, so the form of r is at 3*(r-0xff61).
const halfKana = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"

// foldWidth maps a full-width ASCII or symbol rune to its usual form and a
// half-width katakana rune to its full-width form; other runes are returned
// as they are. The sound marks ﾞ and ﾟ are left to Fold, which joins them.
func foldWidth(r rune) rune {
	switch {
	case r >= '\uff01' && r <= '\uff5e':
		return r - 0xfee0
	case r == '\u3000':
		return ' '
	case r >= '\uff61' && r <= '\uff9d':
		v, _ := utf8.DecodeRuneInString(halfKana[3*(r-0xff61):])
		return v
	}
	switch r {
	case '￠':
		return '¢'
	case '￡':
		return '£'
	case '￢':
		return '¬'
	case '￣':
		return '¯'
	case '￤':
		return '¦'
	case '￥':
		return '¥'
	case '￦':
		return '₩'
	}
	return r
}

// composeKana returns the kana base with the combining sound mark mark
// (U+3099 voiced, U+309A semi-voiced) applied, as in カ+゙=ガ and ハ+゚=パ,
// and whether there is such a kana.
func composeKana(base, mark rune) (rune, bool) {
	k, hiragana := base, false
	if (base >= 'ぁ' && base <= 'ゖ') || base == 'ゝ' {
		k, hiragana = base+0x60, true
	}
	if mark == '\u309a' {
		switch k {
		case 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ':
			return base + 2, true
		}
		return base, false
	}
	switch k {
	case 'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス', 'セ', 'ソ', 'タ', 'チ', 'ツ', 'テ', 'ト',
		'ハ', 'ヒ', 'フ', 'ヘ', 'ホ', 'ヽ':
		return base + 1, true
	case 'ウ':
		return base + ('ヴ' - 'ウ'), true
	case 'ワ', 'ヰ', 'ヱ', 'ヲ':
		if !hiragana { // ヷ ヸ ヹ ヺ have no hiragana forms
			return base + ('ヷ' - 'ワ'), true
		}
	}
	return base, false
}

// NameKey returns the key a company or person name is indexed and matched by:
// Fold, then legal forms dropped wherever they stand as words ("KK", "K.K.",
// "Inc.", "Ltd", "Co.", "GmbH", ...) or as Japanese prefixes and suffixes
// ("株式会社", "(株)", "㈱", "有限会社", "合同会社", ...), then punctuation
// dropped and the remaining words joined by single spaces. "ACME K.K.",
// "Acme, Inc.", "Ａｃｍｅ" all give "acme", and "株式会社アクメ" gives "アクメ".
//
// Dots, apostrophes and ampersands join what they stand between ("AT&T" is
// "att", "O'Brien" is "obrien"); other punctuation separates words
// ("Coca-Cola" is "coca cola"). A name made only of legal forms, such as a
// company called "Company", keeps them rather than becoming "". NameKey is
// idempotent: NameKey(NameKey(s)) == NameKey(s).
func NameKey(s string) string {
	if key, ok := nameKeyASCII(s); ok {
		return key
	}
	return nameKeyWords(s)
}

// nameKeyWords is NameKey for any s: its words, less the legal forms.
func nameKeyWords(s string) string {
	words := nameWords(s)
	if key := dropLegalForms(words); key != "" {
		return key
	}
	return words
}

// nameKeyASCII is NameKey for s made of ASCII only, in one pass: letters
// and digits make words (lower-cased), dots, apostrophes, back quotes and
// ampersands join, and every other byte separates. It returns s itself when
// s is already its key, and otherwise allocates the key once. ok is false
// when s has any other byte.
func nameKeyASCII(s string) (key string, ok bool) {
	var wordsBuf, keptBuf [64]byte
	words := wordsBuf[:0] // every word, joined by single spaces
	legal := false        // a word of words is a legal form
	start := -1           // where the word being read starts in words, or -1
	for i := 0; i <= len(s); i++ {
		c := byte(' ') // past the end: the last word ends
		if i < len(s) {
			c = s[i]
		}
		switch {
		case c >= utf8.RuneSelf:
			return "", false
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '.' || c == '\'' || c == '`' || c == '&':
			continue
		default:
			if start >= 0 && isLegalForm(words[start:]) {
				legal = true
			}
			start = -1
			continue
		}
		if start < 0 {
			if len(words) > 0 {
				words = append(words, ' ')
			}
			start = len(words)
		}
		words = append(words, c)
	}
	if legal {
		kept := keptBuf[:0]
		for rest := words; len(rest) > 0; {
			w := rest
			if j := bytes.IndexByte(rest, ' '); j >= 0 {
				w, rest = rest[:j], rest[j+1:]
			} else {
				rest = nil
			}
			if isLegalForm(w) {
				continue
			}
			if len(kept) > 0 {
				kept = append(kept, ' ')
			}
			kept = append(kept, w...)
		}
		if len(kept) > 0 {
			words = kept
		}
	}
	if string(words) == s {
		return s, true
	}
	return string(words), true
}

// isLegalForm reports whether the folded word w is a legal form that
// dropLegalForms drops.
func isLegalForm(w []byte) bool {
	switch string(w) {
	case "kk", "inc", "incorporated", "ltd", "limited", "llc", "llp", "co", "corp",
		"corporation", "company", "gmbh", "ag", "plc", "sa", "pte", "pty":
		return true
	}
	return false
}

// nameWords returns Fold(s) with the Japanese abbreviated legal forms written
// out, punctuation dropped and words joined by single spaces.
func nameWords(s string) string {
	f := Fold(s)
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
			// Joins: "k.k." is "kk", "o'brien" is "obrien".
		default:
			b.WriteByte(' ')
		}
	}
	// Fold again: a dropped dot may have brought a kana and its sound mark
	// together, and Fold joins them and collapses the spaces written above.
	return Fold(b.String())
}

// dropLegalForms returns words without its legal forms.
func dropLegalForms(words string) string {
	for _, form := range [...]string{"株式会社", "有限会社", "合同会社", "合資会社", "合名会社"} {
		words = strings.ReplaceAll(words, form, " ")
	}
	var kept []string
	for _, w := range strings.Fields(words) {
		if isLegalForm([]byte(w)) {
			continue
		}
		kept = append(kept, w)
	}
	return strings.Join(kept, " ")
}
