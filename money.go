package touchbase

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Money is an amount in the minor unit of its currency (cents for USD, yen for
// JPY): an integer, never a float, so sums are exact.
type Money struct {
	Minor    int64  `json:"amount_minor"`
	Currency string `json:"currency"`
}

// IsZero reports whether m has no amount.
func (m Money) IsZero() bool { return m.Minor == 0 }

// CurrencyExponent returns how many minor-unit digits currency code has (2
// for USD, 0 for JPY) and whether the code is known.
func CurrencyExponent(code string) (int, bool) {
	switch code {
	case "JPY", "KRW", "VND", "CLP", "ISK":
		return 0, true
	case "USD", "EUR", "GBP", "CNY", "AUD", "CAD", "SGD", "HKD", "INR", "CHF", "TWD", "THB",
		"NZD", "SEK", "NOK", "DKK", "MYR", "PHP", "IDR", "BRL", "MXN", "ZAR", "AED", "SAR", "PLN":
		return 2, true
	case "BHD", "KWD", "OMR":
		return 3, true
	}
	return 0, false
}

// currencySymbol returns the symbol FormatMoney writes before amounts in code,
// or "" when it writes the code after them.
func currencySymbol(code string) string {
	switch code {
	case "JPY":
		return "¥"
	case "USD":
		return "$"
	case "EUR":
		return "€"
	case "GBP":
		return "£"
	}
	return ""
}

// symbolCurrency returns the currency a symbol a rep types stands for, or "".
func symbolCurrency(r rune) string {
	switch r {
	case '¥', '円':
		return "JPY"
	case '$':
		return "USD"
	case '€':
		return "EUR"
	case '£':
		return "GBP"
	}
	return ""
}

// ParseAmount reads an amount as a rep types it: "5000000", "5,000,000",
// "1.2m", "300k", "2b", "500万", "1.5億", "3千万", "1億5000万", "¥5,000,000",
// "$120k", "€1.5m", "£20", "5,000,000円", "100万ドル", "JPY 5m", "5m usd",
// full-width digits too. ¥, ￥, 円 and "yen" mean JPY, $ and ドル USD, € and
// ユーロ EUR, £ GBP; a three-letter ISO code before or after the number names
// its currency; otherwise the amount is in defaultCurrency. The result is in
// the currency's minor unit, computed exactly in integers.
//
// Commas must group thousands ("5,00" is refused rather than guessed at), k,
// m and b cannot be mixed with each other or with Japanese units, and an
// amount is refused when it is negative, too large for an int64, or finer
// than the currency's minor unit ("¥1.5", "$1.505"); zero is allowed. Every
// error is an EINVALID *Error whose message quotes s and shows how to write
// an amount.
func ParseAmount(s, defaultCurrency string) (Money, error) {
	p := amountParser{r: []rune(Fold(s))}
	if len(p.r) == 0 {
		return Money{}, amountError(s, "is empty")
	}
	code, err := p.currency(s, true)
	if err != nil {
		return Money{}, err
	}
	if p.minus() {
		return Money{}, amountError(s, "is negative")
	}
	terms, ok := p.terms()
	if !ok {
		return Money{}, amountError(s, "")
	}
	suffix, err := p.currency(s, false)
	if err != nil {
		return Money{}, err
	}
	if p.i != len(p.r) {
		return Money{}, amountError(s, "")
	}
	switch {
	case code == "":
		code = suffix
	case suffix != "" && suffix != code:
		return Money{}, amountError(s, fmt.Sprintf("has two currencies, %s and %s", code, suffix))
	}
	if code == "" {
		code = strings.ToUpper(defaultCurrency)
	}
	exp, ok := CurrencyExponent(code)
	if !ok {
		return Money{}, currencyError(s, code)
	}

	var total int64
	for _, t := range terms {
		v, reason := t.minor(exp)
		if reason == "" && total > math.MaxInt64-v {
			reason = "is too large"
		}
		if reason != "" {
			if reason == "fraction" {
				reason = fractionReason(code, exp)
			}
			return Money{}, amountError(s, reason)
		}
		total += v
	}
	if total > MaxMinor {
		return Money{}, amountError(s, fmt.Sprintf("is too large: an amount is at most %s", FormatMoney(Money{Minor: MaxMinor, Currency: code})))
	}
	return Money{Minor: total, Currency: code}, nil
}

// MaxMinor is the largest amount ParseAmount accepts, in minor units: a
// quadrillion (¥1,000兆, $10 trillion). It leaves room to sum thousands of
// the largest deals, and to weight them by a probability, in an int64.
const MaxMinor = 1_000_000_000_000_000

// amountError returns the EINVALID error for s, which reason ("is negative",
// "has fractions of a yen") says is wrong; "" says s is no amount at all.
func amountError(s, reason string) error {
	if reason == "" {
		reason = "is not an amount"
	}
	return Errorf(EINVALID, "amount %q %s: try amount:5,000,000 or amount:500万", quotable(s), reason)
}

// currencyError returns the EINVALID error for s in the unknown currency code.
func currencyError(s, code string) error {
	if code == "" {
		return Errorf(EINVALID, "amount %q has no currency: try amount:¥5,000,000, amount:$120k or amount:5m sgd", quotable(s))
	}
	return Errorf(EINVALID, "amount %q is in %s, which is not a currency we know: try JPY, USD, EUR, GBP, SGD or CNY, as in amount:5m usd",
		quotable(s), code)
}

// fractionReason says why an amount in code with exp minor-unit digits is
// too fine.
func fractionReason(code string, exp int) string {
	switch {
	case code == "JPY":
		return "has fractions of a yen"
	case code == "GBP":
		return "has fractions of a penny"
	case exp == 2:
		return "has fractions of a cent"
	case exp == 0:
		return "has fractions of a whole " + code
	}
	return fmt.Sprintf("has more than %d decimals, which %s does not have", exp, code)
}

// quotable returns s cut to a length that a chat reply can quote back.
func quotable(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// amountParser reads a folded amount rune by rune.
type amountParser struct {
	r []rune
	i int
}

func (p *amountParser) peek() rune {
	if p.i < len(p.r) {
		return p.r[p.i]
	}
	return 0
}

func (p *amountParser) space() {
	if p.peek() == ' ' {
		p.i++
	}
}

// minus reports whether a minus sign follows, consuming it.
func (p *amountParser) minus() bool {
	if r := p.peek(); r == '-' || r == '−' || r == '▲' || r == '△' {
		p.i++
		return true
	}
	return false
}

// currency reads an optional currency symbol or code, before the number
// (prefix) or after it, with the space that separates it from the number.
// It returns the code, or "" when there is none, and an error for a
// three-letter word that is not a known currency.
func (p *amountParser) currency(s string, prefix bool) (string, error) {
	start := p.i
	if prefix && p.minus() {
		return "", amountError(s, "is negative")
	}
	if !prefix {
		p.space()
	}
	if code := symbolCurrency(p.peek()); code != "" && !(prefix && p.peek() == '円') {
		p.i++
		if prefix {
			p.space()
		}
		return code, nil
	}
	if !prefix {
		switch string(p.r[p.i:]) {
		case "ドル": // in Japan, as in 100万ドル, the US dollar
			p.i = len(p.r)
			return "USD", nil
		case "ユーロ":
			p.i = len(p.r)
			return "EUR", nil
		}
	}
	// A word: a code ("jpy", "usd") or "yen". Before the number it must be
	// followed by a space or a digit, after it by the end.
	j := p.i
	for j < len(p.r) && p.r[j] >= 'a' && p.r[j] <= 'z' {
		j++
	}
	word := string(p.r[p.i:j])
	end := j == len(p.r)
	if prefix {
		end = j < len(p.r) && (p.r[j] == ' ' || isDigit(p.r[j]) || p.r[j] == '-')
	}
	if !end || (len(word) != 3) {
		p.i = start
		return "", nil
	}
	p.i = j
	if prefix {
		p.space()
	}
	if word == "yen" {
		return "JPY", nil
	}
	code := strings.ToUpper(word)
	if _, ok := CurrencyExponent(code); !ok {
		return "", currencyError(s, code)
	}
	return code, nil
}

// amountTerm is one number of an amount with the power of ten its units
// multiply it by: "1.5" and 8 for "1.5億".
type amountTerm struct {
	whole, frac string // digits before and after the decimal point
	exp         int
}

// minor returns t in minor units of a currency with exp minor-unit digits, or
// the reason it cannot: "fraction" when t is finer than a minor unit.
func (t amountTerm) minor(exp int) (int64, string) {
	e := t.exp + exp
	frac := t.frac
	if len(frac) > e {
		if strings.Trim(frac[e:], "0") != "" {
			return 0, "fraction"
		}
		frac = frac[:e]
	}
	var v int64
	for _, c := range t.whole + frac {
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, "is too large"
		}
		v = v*10 + d
	}
	for range e - len(frac) {
		if v > math.MaxInt64/10 {
			return 0, "is too large"
		}
		v *= 10
	}
	return v, ""
}

// unitExp returns the power of ten a unit multiplies by and whether it is a
// Japanese unit; 0 for no unit.
func unitExp(r rune) (exp int, japanese bool) {
	switch r {
	case 'k':
		return 3, false
	case 'm':
		return 6, false
	case 'b':
		return 9, false
	case '百':
		return 2, true
	case '千':
		return 3, true
	case '万':
		return 4, true
	case '億':
		return 8, true
	case '兆':
		return 12, true
	}
	return 0, false
}

// terms reads the numbers of an amount with their units: one number with an
// optional k, m or b, or a Japanese amount such as "1億5000万" or "3千5百万",
// whose 万-sized units (万, 億, 兆) come in descending order, each after a
// group of numbers whose 千-sized units (千, 百) descend too.
func (p *amountParser) terms() ([]amountTerm, bool) {
	var terms, group []amountTerm
	big, small := 99, 99 // the last units seen, which the next must be below
	closeGroup := func(exp int) bool {
		if exp >= big {
			return false
		}
		for _, t := range group {
			t.exp += exp
			terms = append(terms, t)
		}
		group, big, small = group[:0], exp, 99
		return true
	}
	for {
		t, ok := p.number()
		if !ok {
			return nil, false
		}
		exp, japanese := unitExp(p.peek())
		switch {
		case exp == 0: // a bare number ends the amount: "5000", "3千5"
			group = append(group, t)
			return terms, closeGroup(0)
		case !japanese:
			p.i++
			if len(terms) > 0 || len(group) > 0 {
				return nil, false // "1万5k"
			}
			t.exp = exp
			return []amountTerm{t}, true
		case exp < 4: // 百, 千
			p.i++
			if exp >= small {
				return nil, false
			}
			t.exp, small = exp, exp
			group = append(group, t)
			if isDigit(p.peek()) {
				continue
			}
			if exp, japanese := unitExp(p.peek()); japanese && exp >= 4 {
				p.i++
				if !closeGroup(exp) {
					return nil, false
				}
			} else if !closeGroup(0) {
				return nil, false
			}
		default: // 万, 億, 兆
			p.i++
			group = append(group, t)
			if !closeGroup(exp) {
				return nil, false
			}
		}
		if !isDigit(p.peek()) {
			return terms, true
		}
	}
}

// number reads digits with optional thousands commas and decimals.
func (p *amountParser) number() (amountTerm, bool) {
	var t amountTerm
	digits := func() string {
		j := p.i
		for p.i < len(p.r) && isDigit(p.r[p.i]) {
			p.i++
		}
		return string(p.r[j:p.i])
	}
	whole := digits()
	if whole == "" {
		return t, false
	}
	if p.peek() == ',' {
		if len(whole) > 3 {
			return t, false
		}
		for p.peek() == ',' {
			p.i++
			g := digits()
			if len(g) != 3 {
				return t, false
			}
			whole += g
		}
	}
	t.whole = whole
	if p.peek() == '.' {
		p.i++
		if t.frac = digits(); t.frac == "" {
			return t, false
		}
	}
	return t, true
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// FormatMoney formats m for a chat reply: "¥5,000,000", "$120,000",
// "$1,200.50" (minor units only when there are some), "€1,500,000", "£20",
// and other currencies with their code after the number: "1,500,000 SGD".
// A negative amount starts with "-". ParseAmount reads every result back.
func FormatMoney(m Money) string {
	exp, _ := CurrencyExponent(m.Currency)
	u, unit := abs(m.Minor), pow10(exp)
	num := groupThousands(u / unit)
	if frac := u % unit; frac != 0 {
		num += fmt.Sprintf(".%0*d", exp, frac)
	}
	return withCurrency(m, num)
}

// FormatMoneyShort formats m compactly for narrow phone screens. Amounts
// under a thousand are written as FormatMoney writes them ("¥500", "$950",
// "$9.50"); thousands are rounded to whole K ("$120K"), millions and billions
// to one decimal ("¥5.0M", "$1.2M", "¥3.5B"), halves rounded up, in the unit
// the rounded value fits ($999,999 is "$1.0M", not "$1000K").
func FormatMoneyShort(m Money) string {
	exp, _ := CurrencyExponent(m.Currency)
	u, unit := abs(m.Minor), pow10(exp)
	if u < 1000*unit {
		return FormatMoney(m)
	}
	round := func(div uint64) uint64 { // half up, without overflowing u+div/2
		if u%div >= div-div/2 {
			return u/div + 1
		}
		return u / div
	}
	if k := round(1e3 * unit); k < 1000 {
		return withCurrency(m, strconv.FormatUint(k, 10)+"K")
	}
	if tenths := round(1e5 * unit); tenths < 10000 {
		return withCurrency(m, fmt.Sprintf("%d.%dM", tenths/10, tenths%10))
	}
	tenths := round(1e8 * unit)
	return withCurrency(m, fmt.Sprintf("%s.%dB", groupThousands(tenths/10), tenths%10))
}

// withCurrency puts m's sign and currency around the formatted number num.
func withCurrency(m Money, num string) string {
	sign := ""
	if m.Minor < 0 {
		sign = "-"
	}
	if sym := currencySymbol(m.Currency); sym != "" {
		return sign + sym + num
	}
	if m.Currency == "" {
		return sign + num
	}
	return sign + num + " " + m.Currency
}

// abs returns |v|, which for math.MinInt64 only a uint64 holds.
func abs(v int64) uint64 {
	if v < 0 {
		return uint64(^v) + 1
	}
	return uint64(v)
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// groupThousands formats u with commas between groups of three digits.
func groupThousands(u uint64) string {
	s := strconv.FormatUint(u, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
