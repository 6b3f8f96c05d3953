package touchbase_test

import (
	"fmt"
	"time"

	"github.com/touchbase/touchbase"
)

func ExampleParseAmount() {
	for _, s := range []string{"5,000,000", "500万", "1億5000万円", "$120k", "€1.5m", "５００万", "¥1.5", "5x"} {
		m, err := touchbase.ParseAmount(s, "JPY")
		if err != nil {
			fmt.Println(touchbase.ErrorMessage(err))
			continue
		}
		fmt.Println(m.Minor, m.Currency)
	}
	// Output:
	// 5000000 JPY
	// 5000000 JPY
	// 150000000 JPY
	// 12000000 USD
	// 150000000 EUR
	// 5000000 JPY
	// amount "¥1.5" has fractions of a yen: try amount:5,000,000 or amount:500万
	// amount "5x" is not an amount: try amount:5,000,000 or amount:500万
}

func ExampleFormatMoney() {
	for _, m := range []touchbase.Money{
		{Minor: 5000000, Currency: "JPY"},
		{Minor: 120050, Currency: "USD"},
		{Minor: 150000000, Currency: "SGD"},
	} {
		fmt.Printf("%s %s\n", touchbase.FormatMoney(m), touchbase.FormatMoneyShort(m))
	}
	// Output:
	// ¥5,000,000 ¥5.0M
	// $1,200.50 $1K
	// 1,500,000 SGD 1.5M SGD
}

func ExampleParseDate() {
	today := touchbase.NewDate(2027, time.March, 10) // a Wednesday
	for _, s := range []string{"2027-03-31", "2027-04", "3/31", "tomorrow", "fri", "next fri", "金曜", "+2w", "2027-02-30"} {
		d, err := touchbase.ParseDate(s, today)
		if err != nil {
			fmt.Println(touchbase.ErrorMessage(err))
			continue
		}
		fmt.Println(d, d.Weekday())
	}
	// Output:
	// 2027-03-31 Wednesday
	// 2027-04-30 Friday
	// 2027-03-31 Wednesday
	// 2027-03-11 Thursday
	// 2027-03-12 Friday
	// 2027-03-19 Friday
	// 2027-03-12 Friday
	// 2027-03-24 Wednesday
	// date "2027-02-30" is not a date (there is no February 30): try 2027-03-31, 2027-03, today, tomorrow, fri, next mon or +3d
}

func ExampleNameKey() {
	for _, s := range []string{"ACME K.K.", "Acme, Inc.", "Ａｃｍｅ", "株式会社アクメ", "ｱｸﾒ(株)", "Company"} {
		fmt.Printf("%q\n", touchbase.NameKey(s))
	}
	// Output:
	// "acme"
	// "acme"
	// "acme"
	// "アクメ"
	// "アクメ"
	// "company"
}
