package handlers_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line string
		verb string
		args []string
		opts map[string]string
	}{
		// Ensure the documented examples parse into verb, words and options.
		{`/lead "Taro Yamada" company:"Acme KK" email:taro@acme.co.jp title:CIO source:"Nov webinar"`, "lead",
			[]string{"Taro Yamada"}, map[string]string{"company": "Acme KK", "email": "taro@acme.co.jp", "title": "CIO", "source": "Nov webinar"}},
		{`/log call Acme "asked for pricing, sending quote" next:fri`, "log",
			[]string{"call", "Acme", "asked for pricing, sending quote"}, map[string]string{"next": "fri"}},
		{`/qualify Acme b:yes a:no n:yes t:2027-03`, "qualify",
			[]string{"Acme"}, map[string]string{"b": "yes", "a": "no", "n": "yes", "t": "2027-03"}},
		{`/convert Acme amount:5,000,000 close:2027-03-31 to:@ae`, "convert",
			[]string{"Acme"}, map[string]string{"amount": "5,000,000", "close": "2027-03-31", "to": "@ae"}},
		{`/deal Acme "ERP rollout" amount:500万 close:2027-03`, "deal",
			[]string{"Acme", "ERP rollout"}, map[string]string{"amount": "500万", "close": "2027-03"}},
		{`/stage Acme lost reason:"budget cut"`, "stage", []string{"Acme", "lost"}, map[string]string{"reason": "budget cut"}},
		{`/followups week`, "followups", []string{"week"}, map[string]string{}},
		{`/pipeline @rep`, "pipeline", []string{"@rep"}, map[string]string{}},
		// Ensure the root command reaches every verb, and a DM needs no slash.
		{`/tb log call Acme next:fri`, "log", []string{"call", "Acme"}, map[string]string{"next": "fri"}},
		{`tb stage Acme next`, "stage", []string{"Acme", "next"}, map[string]string{}},
		{`log call Acme asked for price next fri`, "log", []string{"call", "Acme", "asked", "for", "price", "next", "fri"}, map[string]string{}},
		{`/tb team create "IS Tokyo" inside_sales #is-tokyo`, "team", []string{"create", "IS Tokyo", "inside_sales", "#is-tokyo"}, map[string]string{}},
		{`/tb`, "help", nil, map[string]string{}},
		{`/tb help log`, "help", []string{"log"}, map[string]string{}},
		// Ensure aliases of verbs and keys map to the canonical names.
		{`/bant Acme budget:yes authority:no`, "qualify", []string{"Acme"}, map[string]string{"b": "yes", "a": "no"}},
		{`/deal Acme amt:5m`, "deal", []string{"Acme"}, map[string]string{"amount": "5m"}},
		// Ensure Japanese and full-width input: full-width colon and space,
		// Japanese quotes and brackets, typographic quotes from phones.
		{`/log　call　アクメ　「価格の問い合わせ」　next：金`, "log", []string{"call", "アクメ", "価格の問い合わせ"}, map[string]string{"next": "金"}},
		{`/lead 山田太郎 company:「株式会社アクメ」 title:部長`, "lead", []string{"山田太郎"}, map[string]string{"company": "株式会社アクメ", "title": "部長"}},
		{`/log call Acme “called back” next:tomorrow`, "log", []string{"call", "Acme", "called back"}, map[string]string{"next": "tomorrow"}},
		{`ＬＯＧ call Acme`, "log", []string{"call", "Acme"}, map[string]string{}},
		// Ensure times and URLs in a note stay text, not options.
		{`/log meeting Acme met at 10:30 see https://acme.example/x`, "log",
			[]string{"meeting", "Acme", "met", "at", "10:30", "see", "https://acme.example/x"}, map[string]string{}},
		// Ensure quoted values keep colons and an empty quoted value is kept.
		{`/log note Acme "ratio 3:1 agreed" step:""`, "log", []string{"note", "Acme", "ratio 3:1 agreed"}, map[string]string{"step": ""}},
		// Ensure tabs and line breaks are spaces, also inside quotes where
		// a form's note keeps them.
		{"/log\tnote Acme \"line one\r\nline two\"", "log", []string{"note", "Acme", "line one\r\nline two"}, map[string]string{}},
	}
	for _, tt := range tests {
		cmd, err := handlers.ParseCommand(tt.line)
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", tt.line, err)
			continue
		}
		if cmd.Verb != tt.verb {
			t.Errorf("ParseCommand(%q).Verb=%q, want %q", tt.line, cmd.Verb, tt.verb)
		}
		if !slices.Equal(cmd.Args, tt.args) {
			t.Errorf("ParseCommand(%q).Args=%q, want %q", tt.line, cmd.Args, tt.args)
		}
		if !maps.Equal(cmd.Opts, tt.opts) {
			t.Errorf("ParseCommand(%q).Opts=%q, want %q", tt.line, cmd.Opts, tt.opts)
		}
	}
}

func TestParseCommand_Refusals(t *testing.T) {
	tests := []struct {
		line string
		want []string // substrings of the message
	}{
		// Ensure an unknown verb suggests the nearest one.
		{`/lgo call Acme`, []string{`"lgo"`, "/log"}},
		{`/pipelin`, []string{"/pipeline"}},
		{`/tb stgae Acme next`, []string{"/stage"}},
		// Ensure a verb nothing like any command lists them.
		{`/xyzzy`, []string{"/lead", "/tb help"}},
		// Ensure a mistyped option key is pointed out with the right one.
		{`/deal Acme amout:5m`, []string{"amout", "amount:"}},
		// Ensure an unclosed quote says how to close it.
		{`/lead "Taro Yamada company:Acme`, []string{"not closed"}},
		// Ensure an option given twice is refused.
		{`/deal Acme amount:5m amount:6m`, []string{"twice"}},
		{``, []string{"help"}},
		{"/log call \xff", []string{"UTF-8"}},
		// Ensure control characters are refused, saying which and where,
		// and are not echoed back.
		{"/lead Ken\x1b[31m company:Acme", []string{"U+001B", `after "/lead Ken"`, "without it"}},
		{"\x00/log call Acme", []string{"U+0000", "at its start"}},
		{"/log note Acme \u0085", []string{"U+0085"}},
		// Ensure a line longer than any rep types is refused with the limit,
		// not kept.
		{"/log note Acme " + strings.Repeat("あ", 10000), []string{"10,015 characters", "the most is 10,000", "/log note"}},
	}
	for _, tt := range tests {
		_, err := handlers.ParseCommand(tt.line)
		if err == nil {
			t.Errorf("ParseCommand(%q): no error, want refusal", tt.line)
			continue
		}
		if got := touchbase.ErrorCode(err); got != touchbase.EINVALID {
			t.Errorf("ParseCommand(%q) code=%s, want %s", tt.line, got, touchbase.EINVALID)
		}
		msg := touchbase.ErrorMessage(err)
		if strings.ContainsFunc(msg, unicode.IsControl) || utf8.RuneCountInString(msg) > 500 {
			t.Errorf("ParseCommand(%.40q) message %q echoes the input", tt.line, msg)
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("ParseCommand(%q) message %q lacks %q", tt.line, msg, w)
			}
		}
	}
}

// Ensure String gives back a line that parses to the same command, which is
// what choices and buttons rely on.
func TestCommandString_RoundTrip(t *testing.T) {
	for _, line := range []string{
		`/lead "Taro Yamada" company:"Acme KK" email:taro@acme.co.jp`,
		`/log call opp#7 "asked: price?" next:"next mon"`,
		`/stage lead#3 lost reason:"budget cut"`,
		`/qualify Acme b:"yes 5m" a:no`,
	} {
		a, err := handlers.ParseCommand(line)
		if err != nil {
			t.Fatalf("ParseCommand(%q): %v", line, err)
		}
		b, err := handlers.ParseCommand(a.String())
		if err != nil {
			t.Fatalf("ParseCommand(%q): %v", a.String(), err)
		}
		if a.Verb != b.Verb || !slices.Equal(a.Args, b.Args) || !maps.Equal(a.Opts, b.Opts) {
			t.Errorf("round trip of %q via %q: got %+v, want %+v", line, a.String(), b, a)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		`/lead "Taro Yamada" company:"Acme KK" email:taro@acme.co.jp`,
		`/log call Acme "asked for pricing" next:fri`,
		`/tb stage Acme lost reason:"budget cut"`,
		`log　call　アクメ　「価格」　next：金`,
		`/qualify Acme b:yes a:no n:yes t:2027-03`,
		`"unclosed`, `a:b:c "d" “e” 「f」`, `/tb`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := handlers.ParseCommand(line)
		if err != nil {
			if touchbase.ErrorCode(err) != touchbase.EINVALID {
				t.Fatalf("ParseCommand(%q) code=%s, want %s", line, touchbase.ErrorCode(err), touchbase.EINVALID)
			}
			return
		}
		// What parses must survive String: buttons and choices depend on it.
		again, err := handlers.ParseCommand(cmd.String())
		if err != nil {
			t.Fatalf("ParseCommand(String()=%q) of %q: %v", cmd.String(), line, err)
		}
		if again.Verb != cmd.Verb || !slices.Equal(again.Args, cmd.Args) || !maps.Equal(again.Opts, cmd.Opts) {
			t.Fatalf("round trip of %q via %q: got %q %q, want %q %q", line, cmd.String(), again.Args, again.Opts, cmd.Args, cmd.Opts)
		}
	})
}
