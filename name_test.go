package touchbase_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/touchbase/touchbase"
)

var foldTests = []struct {
	in, want string
}{
	// Ensure white space is trimmed and collapsed, and case folded.
	{"", ""},
	{"   ", ""},
	{"  Acme \t KK\n", "acme kk"},
	{"ÄÖÜ Straße", "äöü straße"},

	// Ensure full-width ASCII and the ideographic space are made half-width.
	{"  Ａｃｍｅ　ＫＫ ", "acme kk"},
	{"ＡＢＣ１２３！？", "abc123!?"},
	{"￥５，０００", "¥5,000"},

	// Ensure half-width katakana is made full-width, joining sound marks.
	{"ｱｸﾒ", "アクメ"},
	{"ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟﾌﾟ ｳﾞ ｦﾞ", "ガギグ パピプ ヴ ヺ"},
	{"ｿﾌﾄﾊﾞﾝｸ", "ソフトバンク"},
	{"ｺｰﾋｰ｡ｶﾞｯｺｳ", "コーヒー。ガッコウ"},
	{"ｱﾞ", "ア゛"}, // ア has no voiced form
	{"ﾞ", "゛"},
	{"ｶ ﾞ", "カ ゛"},

	// Ensure combining sound marks join the kana before them (NFD input).
	{"カ\u3099ハ\u309aか\u3099", "ガパが"},
	{"x\u3099", "x\u3099"},

	// Ensure full-width kana and kanji are left as they are.
	{"株式会社アクメ", "株式会社アクメ"},
	{"ガ", "ガ"},

	// Ensure zero-width spaces are dropped.
	{"ac\u200bme\ufeff", "acme"},
}

func TestFold(t *testing.T) {
	for _, tt := range foldTests {
		if got, want := touchbase.Fold(tt.in), tt.want; got != want {
			t.Errorf("Fold(%q)=%q, want %q", tt.in, got, want)
		}
	}
}

var nameKeyTests = []struct {
	in, want string
}{
	// Ensure English legal forms are dropped wherever they stand as words.
	{"Acme", "acme"},
	{"Acme KK", "acme"},
	{"ACME K.K.", "acme"},
	{"Acme, Inc.", "acme"},
	{"Acme Inc", "acme"},
	{"Acme Incorporated", "acme"},
	{"Acme Co., Ltd.", "acme"},
	{"Acme Limited", "acme"},
	{"Acme LLC", "acme"},
	{"Acme Corp.", "acme"},
	{"The Acme Corporation", "the acme"},
	{"Acme Company Japan", "acme japan"},
	{"Acme GmbH", "acme"},
	{"Acme PLC", "acme"},
	{"Acme S.A.", "acme"},
	{"Acme Pte. Ltd.", "acme"},
	{"Acme & Co.", "acme"},

	// Ensure full-width input gives the same key.
	{"Ａｃｍｅ", "acme"},
	{"ＡＣＭＥ　Ｋ．Ｋ．", "acme"},

	// Ensure Japanese legal forms are dropped as prefixes and suffixes.
	{"株式会社アクメ", "アクメ"},
	{"アクメ株式会社", "アクメ"},
	{"ｱｸﾒ株式会社", "アクメ"},
	{"(株)アクメ", "アクメ"},
	{"アクメ（株）", "アクメ"},
	{"㈱アクメ", "アクメ"},
	{"有限会社アクメ", "アクメ"},
	{"(有)アクメ", "アクメ"},
	{"合同会社アクメ", "アクメ"},
	{"アクメ株式会社 東京支店", "アクメ 東京支店"},

	// Ensure punctuation is dropped: dots, apostrophes and ampersands join,
	// the rest separates.
	{"O'Brien", "obrien"},
	{"AT&T", "att"},
	{"Coca-Cola", "coca cola"},
	{"Acme/Widgets", "acme widgets"},
	{"「アクメ」", "アクメ"},
	{"ジョン・スミス", "ジョン スミス"},
	{"アクメ、東京。", "アクメ 東京"},
	{`"Acme"   (Japan)`, "acme japan"},

	// Ensure a name made only of legal forms keeps them rather than being "".
	{"Company", "company"},
	{"The Company", "the"},
	{"Co., Ltd.", "co ltd"},
	{"株式会社", "株式会社"},
	{"(株)", "株式会社"},
	{"K.K.", "kk"},

	// Ensure a name with no letters at all gives "".
	{"", ""},
	{" ... ", ""},
}

func TestNameKey(t *testing.T) {
	for _, tt := range nameKeyTests {
		if got, want := touchbase.NameKey(tt.in), tt.want; got != want {
			t.Errorf("NameKey(%q)=%q, want %q", tt.in, got, want)
		}
	}
}

func FuzzNameKey(f *testing.F) {
	for _, tt := range foldTests {
		f.Add(tt.in)
	}
	for _, tt := range nameKeyTests {
		f.Add(tt.in)
	}
	// ASCII that the fast paths of Fold and NameKey read, at their edges.
	for _, s := range []string{
		"acme", "acme kk", " acme", "acme ", "acme  kk", "ACME", "a\tb", "a\vb\fc\rd", "\x00", "\x1c a",
		"a.b", "a . b", "O'Brien & Co.", "AT&T", "co", "Co. Ltd.", "kk co inc", "Company 12", "12 company",
		"ltd acme ltd", "a-b_c", "Smith`s Co", "a ` b", "....", "&", "x\x7f", "gmbh\x85", "Acme\u00a0KK", "ACME\xff",
		strings.Repeat("Abc ", 40) + "Inc", strings.Repeat("k", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fold := touchbase.Fold(s)
		// Ensure the fast paths of Fold and NameKey answer as the general ones do.
		if want := touchbase.ReferenceFold(s); fold != want {
			t.Fatalf("Fold(%q)=%q, want %q", s, fold, want)
		}
		if got, want := touchbase.NameKey(s), touchbase.ReferenceNameKey(s); got != want {
			t.Fatalf("NameKey(%q)=%q, want %q", s, got, want)
		}
		if got, want := touchbase.Fold(fold), fold; got != want {
			t.Fatalf("Fold(Fold(%q))=%q, want %q", s, got, want)
		}
		key := touchbase.NameKey(s)
		if got, want := touchbase.NameKey(key), key; got != want {
			t.Fatalf("NameKey(NameKey(%q))=%q, want %q", s, got, want)
		}
		// Ensure a name with letters or digits never has an empty key.
		if key == "" && strings.IndexFunc(fold, func(r rune) bool {
			return unicode.IsLetter(r) || unicode.IsNumber(r)
		}) >= 0 {
			t.Fatalf("NameKey(%q)=%q, want a key", s, key)
		}
	})
}
