package handlers

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/touchbase/touchbase"
)

// FuzzTokenize holds tokenize to the answers of referenceTokenize, the
// tokenizer it replaced, which read the line as a slice of runes.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		`/lead "Taro Yamada" company:"Acme KK" email:taro@acme.co.jp`,
		`/log call Acme "asked for pricing" next:fri`,
		`log　call　アクメ　「価格」　next：金`,
		`a:b:c "d" “e” 「f」`, `"unclosed`, `x「unclosed`, ``, `   `, `""`, `a""b`,
		`“a"b`, `“a”b:c`, `"a"：b`, `k："v w"`, `：`, `a：b：c`, `key:"v"x`, `"q" next`,
		"tab\tand\nbreak\r\nend", `『a』＂b＂「c」`, `/log call "Company 7" asked for pricing`,
		"a\u00a0b\u2003c", `x:"“y”":z`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if !utf8.ValidString(line) {
			return // checkLine refuses it before tokenize
		}
		got, gotErr := tokenize(line)
		want, wantErr := referenceTokenize(line)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("tokenize(%q) error=%v, want %v", line, gotErr, wantErr)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("tokenize(%q)=%+v, want %+v", line, got, want)
		}
	})
}

func referenceTokenize(line string) ([]token, error) {
	var toks []token
	var b strings.Builder
	cur := token{colon: -1}
	inTok := false
	flush := func() {
		if inTok {
			cur.text = b.String()
			toks = append(toks, cur)
		}
		b.Reset()
		cur = token{colon: -1}
		inTok = false
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			flush()
		case closers[r] != 0:
			end := closers[r]
			j := i + 1
			for j < len(rs) && rs[j] != end && !(r == '“' && rs[j] == '"') {
				j++
			}
			if j == len(rs) {
				return nil, touchbase.Errorf(touchbase.EINVALID, "A quote is not closed: %s. Put the closing %c after the words it groups, as in company:\"Acme KK\".", quoteWord(string(rs[i:])), end)
			}
			if !inTok {
				cur.quoted = true
			}
			inTok = true
			b.WriteString(string(rs[i+1 : j]))
			i = j
			// A quoted string followed directly by more text is one token.
			if i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
				cur.quoted = false
			}
		default:
			if (r == ':' || r == '：') && cur.colon < 0 && !cur.quoted {
				cur.colon = b.Len()
				r = ':'
			}
			inTok = true
			b.WriteRune(r)
		}
	}
	flush()
	return toks, nil
}
