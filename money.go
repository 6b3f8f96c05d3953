package touchbase

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
	case "JPY", "KRW":
		return 0, true
	case "USD", "EUR", "GBP", "CNY", "AUD", "CAD", "SGD", "HKD", "INR", "CHF", "TWD", "THB":
		return 2, true
	}
	return 0, false
}
