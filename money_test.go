package touchbase_test

import (
	"math"
	"strings"
	"testing"

	"github.com/touchbase/touchbase"
)

func jpy(n int64) touchbase.Money { return touchbase.Money{Minor: n, Currency: "JPY"} }
func usd(n int64) touchbase.Money { return touchbase.Money{Minor: n, Currency: "USD"} }

var parseAmountTests = []struct {
	in   string
	def  string // default currency
	want touchbase.Money
}{
	// Ensure plain and comma-grouped numbers are in the default currency.
	{"0", "JPY", jpy(0)},
	{"5000000", "JPY", jpy(5000000)},
	{"5,000,000", "JPY", jpy(5000000)},
	{"  5,000,000  ", "JPY", jpy(5000000)},
	{"120", "USD", usd(12000)},
	{"1.50", "USD", usd(150)},
	{"1.500", "USD", usd(150)},
	{"1,200.5", "USD", usd(120050)},
	{"5000", "jpy", jpy(5000)},

	// Ensure k, m and b multiply, in either case.
	{"5m", "JPY", jpy(5000000)},
	{"5M", "JPY", jpy(5000000)},
	{"1.2k", "JPY", jpy(1200)},
	{"1.2k", "USD", usd(120000)},
	{"1.2m", "JPY", jpy(1200000)},
	{"300k", "JPY", jpy(300000)},
	{"2b", "JPY", jpy(2000000000)},
	{"0k", "JPY", jpy(0)},

	// Ensure Japanese units multiply, alone and combined.
	{"500万", "JPY", jpy(5000000)},
	{"1.5億", "JPY", jpy(150000000)},
	{"3千", "JPY", jpy(3000)},
	{"5百", "JPY", jpy(500)},
	{"3千万", "JPY", jpy(30000000)},
	{"1億5000万", "JPY", jpy(150000000)},
	{"1億5千万", "JPY", jpy(150000000)},
	{"3千5百万円", "JPY", jpy(35000000)},
	{"1万5千", "JPY", jpy(15000)},
	{"2億3456万7890", "JPY", jpy(234567890)},
	{"1兆", "JPY", jpy(1000000000000)},
	{"1,500万", "JPY", jpy(15000000)},

	// Ensure symbols and codes name the currency, before or after.
	{"¥5,000,000", "USD", jpy(5000000)},
	{"￥5,000,000", "USD", jpy(5000000)},
	{"5,000,000円", "USD", jpy(5000000)},
	{"500万円", "USD", jpy(5000000)},
	{"¥500万円", "USD", jpy(5000000)},
	{"$120k", "JPY", usd(12000000)},
	{"$1.50", "JPY", usd(150)},
	{"$ 1,200.50", "JPY", usd(120050)},
	{"€1.5m", "JPY", touchbase.Money{Minor: 150000000, Currency: "EUR"}},
	{"£20", "JPY", touchbase.Money{Minor: 2000, Currency: "GBP"}},
	{"JPY 5m", "USD", jpy(5000000)},
	{"jpy5m", "USD", jpy(5000000)},
	{"5m jpy", "USD", jpy(5000000)},
	{"5mJPY", "USD", jpy(5000000)},
	{"usd 100", "JPY", usd(10000)},
	{"100 USD", "JPY", usd(10000)},
	{"100$", "JPY", usd(10000)},
	{"5m yen", "USD", jpy(5000000)},
	{"100万ドル", "JPY", usd(100000000)},
	{"1.5億ユーロ", "JPY", touchbase.Money{Minor: 15000000000, Currency: "EUR"}},
	{"1,500,000 SGD", "JPY", touchbase.Money{Minor: 150000000, Currency: "SGD"}},
	{"1.5 bhd", "JPY", touchbase.Money{Minor: 1500, Currency: "BHD"}},
	{"$5 usd", "JPY", usd(500)},

	// Ensure full-width input is read like half-width.
	{"５００万", "JPY", jpy(5000000)},
	{"５，０００，０００円", "USD", jpy(5000000)},
	{"＄１２０Ｋ", "JPY", usd(12000000)},
	{"ＪＰＹ　５ｍ", "USD", jpy(5000000)},

	// Ensure the largest amount accepted is read exactly.
	{"1000000000000000", "JPY", jpy(touchbase.MaxMinor)},
	{"10000000000000.00", "USD", usd(touchbase.MaxMinor)},
	{"1000兆", "JPY", jpy(touchbase.MaxMinor)},
	{"000000000000000000000000005", "JPY", jpy(5)},
}

func TestParseAmount(t *testing.T) {
	for _, tt := range parseAmountTests {
		got, err := touchbase.ParseAmount(tt.in, tt.def)
		if err != nil {
			t.Errorf("ParseAmount(%q, %q): %v", tt.in, tt.def, err)
		} else if want := tt.want; got != want {
			t.Errorf("ParseAmount(%q, %q)=%v, want %v", tt.in, tt.def, got, want)
		}
	}
}

var parseAmountErrorTests = []struct {
	in   string
	def  string
	want string // in the message besides the input and "try"
}{
	// Ensure empty, negative and malformed amounts are refused.
	{"", "JPY", "is empty"},
	{"   ", "JPY", "is empty"},
	{"-5", "JPY", "is negative"},
	{"-$5", "JPY", "is negative"},
	{"$-5", "JPY", "is negative"},
	{"▲500万", "JPY", "is negative"},
	{"5x", "JPY", "is not an amount"},
	{"abc", "JPY", "is not an amount"},
	{"1.2.3", "JPY", "is not an amount"},
	{"5mm", "JPY", "is not an amount"},
	{",5", "JPY", "is not an amount"},
	{"5,", "JPY", "is not an amount"},
	{"5,00", "JPY", "is not an amount"},
	{"5000,000", "JPY", "is not an amount"},
	{"1,0000", "JPY", "is not an amount"},
	{".5", "JPY", "is not an amount"},
	{"5.", "JPY", "is not an amount"},
	{"5 000", "JPY", "is not an amount"},
	{"5 m", "JPY", "is not an amount"},
	{"1m500k", "JPY", "is not an amount"},
	{"1万5k", "JPY", "is not an amount"},
	{"1万1億", "JPY", "is not an amount"},
	{"5千千", "JPY", "is not an amount"},
	{"万", "JPY", "is not an amount"},
	{"$", "JPY", "is not an amount"},
	{"円", "JPY", "is not an amount"},
	{"円5", "JPY", "is not an amount"},
	{"ドル100", "JPY", "is not an amount"},
	{"５x", "JPY", "is not an amount"},

	// Ensure amounts finer than the currency's minor unit are refused.
	{"¥1.5", "USD", "has fractions of a yen"},
	{"1.2345k", "JPY", "has fractions of a yen"},
	{"$1.505", "JPY", "has fractions of a cent"},
	{"£0.001", "JPY", "has fractions of a penny"},

	// Ensure amounts past the largest accepted, and too large for an
	// int64, are refused.
	{"1000000000000001", "JPY", "is too large: an amount is at most ¥1,000,000,000,000,000"},
	{"10000000000000.01", "USD", "is too large: an amount is at most $10,000,000,000,000"},
	{"9223372036854775807", "JPY", "is too large"},
	{"9223372036854775808", "JPY", "is too large"},
	{"92233720368547758.08", "USD", "is too large"},
	{"99999999b", "USD", "is too large"},
	{"9000000兆9000000兆", "JPY", "is not an amount"},
	{"9000000兆3000000000億", "JPY", "is too large"},

	// Ensure unknown and conflicting currencies are refused.
	{"5 xyz", "JPY", "XYZ, which is not a currency we know: try JPY, USD"},
	{"abc 5", "JPY", "ABC, which is not a currency"},
	{"5", "XYZ", "XYZ, which is not a currency"},
	{"5", "", "has no currency"},
	{"$5 jpy", "JPY", "has two currencies, USD and JPY"},
}

func TestParseAmount_Error(t *testing.T) {
	for _, tt := range parseAmountErrorTests {
		got, err := touchbase.ParseAmount(tt.in, tt.def)
		if err == nil {
			t.Errorf("ParseAmount(%q, %q)=%v, want error", tt.in, tt.def, got)
			continue
		}
		if got, want := touchbase.ErrorCode(err), touchbase.EINVALID; got != want {
			t.Errorf("ParseAmount(%q) code=%q, want %q", tt.in, got, want)
		}
		msg := touchbase.ErrorMessage(err)
		for _, want := range []string{`amount "` + tt.in + `"`, tt.want, "try "} {
			if !strings.Contains(msg, want) {
				t.Errorf("ParseAmount(%q) message=%q, want it to contain %q", tt.in, msg, want)
			}
		}
	}
}

// Ensure the generic error message has exactly the documented form.
func TestParseAmount_ErrorMessage(t *testing.T) {
	_, err := touchbase.ParseAmount("5x", "JPY")
	if got, want := touchbase.ErrorMessage(err), `amount "5x" is not an amount: try amount:5,000,000 or amount:500万`; got != want {
		t.Fatalf("ErrorMessage=%q, want %q", got, want)
	}
	_, err = touchbase.ParseAmount("¥1.5", "JPY")
	if got, want := touchbase.ErrorMessage(err), `amount "¥1.5" has fractions of a yen: try amount:5,000,000 or amount:500万`; got != want {
		t.Fatalf("ErrorMessage=%q, want %q", got, want)
	}
}

// Ensure a long input is quoted back shortened.
func TestParseAmount_LongInput(t *testing.T) {
	in := strings.Repeat("x", 500)
	_, err := touchbase.ParseAmount(in, "JPY")
	if got, want := touchbase.ErrorMessage(err), strings.Repeat("x", 40)+"…"; !strings.Contains(got, want) || len(got) > 200 {
		t.Fatalf("ErrorMessage=%q, want it to contain %q and be short", got, want)
	}
}

var formatMoneyTests = []struct {
	in          touchbase.Money
	want, short string
}{
	// Ensure symbols come first and minor units show only when non-zero.
	{jpy(0), "¥0", "¥0"},
	{jpy(500), "¥500", "¥500"},
	{jpy(5000000), "¥5,000,000", "¥5.0M"},
	{usd(95000), "$950", "$950"},
	{usd(950), "$9.50", "$9.50"},
	{usd(12000000), "$120,000", "$120K"},
	{usd(120050), "$1,200.50", "$1K"},
	{usd(120000000), "$1,200,000", "$1.2M"},
	{touchbase.Money{Minor: 150000000, Currency: "EUR"}, "€1,500,000", "€1.5M"},
	{touchbase.Money{Minor: 2000, Currency: "GBP"}, "£20", "£20"},

	// Ensure other currencies have their code after the number.
	{touchbase.Money{Minor: 150000000, Currency: "SGD"}, "1,500,000 SGD", "1.5M SGD"},
	{touchbase.Money{Minor: 150000005, Currency: "SGD"}, "1,500,000.05 SGD", "1.5M SGD"},
	{touchbase.Money{Minor: 1500, Currency: "KRW"}, "1,500 KRW", "2K KRW"},
	{touchbase.Money{Minor: 1500, Currency: "BHD"}, "1.500 BHD", "1.500 BHD"},
	{touchbase.Money{Minor: 1500}, "1,500", "2K"},

	// Ensure negative amounts start with "-".
	{jpy(-5000000), "-¥5,000,000", "-¥5.0M"},
	{touchbase.Money{Minor: -150, Currency: "SGD"}, "-1.50 SGD", "-1.50 SGD"},

	// Ensure rounding is half up and moves to the next unit when it fills one.
	{jpy(1499), "¥1,499", "¥1K"},
	{jpy(1500), "¥1,500", "¥2K"},
	{jpy(999499), "¥999,499", "¥999K"},
	{jpy(999500), "¥999,500", "¥1.0M"},
	{jpy(1250000), "¥1,250,000", "¥1.3M"},
	{jpy(1249999), "¥1,249,999", "¥1.2M"},
	{jpy(999950000), "¥999,950,000", "¥1.0B"},
	{jpy(350000000000), "¥350,000,000,000", "¥350.0B"},
	{jpy(1234500000000), "¥1,234,500,000,000", "¥1,234.5B"},
	{jpy(math.MaxInt64), "¥9,223,372,036,854,775,807", "¥9,223,372,036.9B"},
	{jpy(math.MinInt64), "-¥9,223,372,036,854,775,808", "-¥9,223,372,036.9B"},
}

func TestFormatMoney(t *testing.T) {
	for _, tt := range formatMoneyTests {
		if got, want := touchbase.FormatMoney(tt.in), tt.want; got != want {
			t.Errorf("FormatMoney(%v)=%q, want %q", tt.in, got, want)
		}
		if got, want := touchbase.FormatMoneyShort(tt.in), tt.short; got != want {
			t.Errorf("FormatMoneyShort(%v)=%q, want %q", tt.in, got, want)
		}
	}
}

// Ensure FormatMoney's output reads back as the same Money.
func TestFormatMoney_RoundTrip(t *testing.T) {
	for _, tt := range formatMoneyTests {
		if tt.in.Minor < 0 || tt.in.Minor > touchbase.MaxMinor || tt.in.Currency == "" {
			continue // sums may be shown that no one may type
		}
		got, err := touchbase.ParseAmount(touchbase.FormatMoney(tt.in), "JPY")
		if err != nil {
			t.Errorf("ParseAmount(FormatMoney(%v)): %v", tt.in, err)
		} else if want := tt.in; got != want {
			t.Errorf("ParseAmount(FormatMoney(%v))=%v, want %v", tt.in, got, want)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, tt := range parseAmountTests {
		f.Add(tt.in, tt.def)
	}
	for _, tt := range parseAmountErrorTests {
		f.Add(tt.in, tt.def)
	}
	f.Fuzz(func(t *testing.T, s, def string) {
		m, err := touchbase.ParseAmount(s, def)
		if err != nil {
			if got, want := touchbase.ErrorCode(err), touchbase.EINVALID; got != want {
				t.Fatalf("ParseAmount(%q, %q) code=%q, want %q", s, def, got, want)
			}
			if msg := touchbase.ErrorMessage(err); !strings.Contains(msg, "try ") {
				t.Fatalf("ParseAmount(%q, %q) message=%q, want a hint", s, def, msg)
			}
			return
		}
		if m.Minor < 0 {
			t.Fatalf("ParseAmount(%q, %q)=%v, want Minor >= 0", s, def, m)
		}
		if _, ok := touchbase.CurrencyExponent(m.Currency); !ok {
			t.Fatalf("ParseAmount(%q, %q)=%v, want a known currency", s, def, m)
		}
		text := touchbase.FormatMoney(m)
		got, err := touchbase.ParseAmount(text, def)
		if err != nil {
			t.Fatalf("ParseAmount(%q) from %q: %v", text, s, err)
		} else if want := m; got != want {
			t.Fatalf("ParseAmount(%q) from %q=%v, want %v", text, s, got, want)
		}
		_ = touchbase.FormatMoneyShort(m)
	})
}
