package touchbase

import (
	"slices"
	"sync"
	"time"
)

// Holiday is a day off and the name a reminder gives for it.
type Holiday struct {
	Date Date   `json:"date"`
	Name string `json:"name"`
}

// RegionJapan is the Calendar region that observes Japan's public holidays.
const RegionJapan = "JP"

// The years JapaneseHolidays knows: the equinox formula holds from 1980 to
// 2099, and the equinox days are only fixed officially a year ahead anyway.
const (
	japanFirstYear = 1980
	japanLastYear  = 2099
)

// Names of days off that the holiday law does not name after an occasion.
const (
	substituteHoliday = "振替休日"  // a holiday on a Sunday carried to a weekday
	citizensHoliday   = "国民の休日" // a day between two holidays
	yearEndHoliday    = "年末年始"  // December 29 to January 3, company practice
	teamHoliday       = "company holiday"
)

// imperialDays are the one-off public holidays of imperial ceremonies; the law
// counts each as a national holiday, so they make substitutes and citizens'
// holidays like any other (hence the 2019 Golden Week of ten days).
var imperialDays = [...]struct {
	year  int
	month time.Month
	day   int
	name  string
}{
	{1989, time.February, 24, "昭和天皇の大喪の礼"},
	{1990, time.November, 12, "即位礼正殿の儀"},
	{1993, time.June, 9, "皇太子徳仁親王の結婚の儀"},
	{2019, time.May, 1, "天皇の即位の日"},
	{2019, time.October, 22, "即位礼正殿の儀"},
}

// JapaneseHolidays returns Japan's public holidays of year, sorted by date:
// the national holidays of the law as it stood that year, the substitute
// holidays (振替休日) and the citizens' holidays (国民の休日). It computes
// them rather than reading a list, so it knows every year from 1980 to 2099
// and returns nil outside that range. The year-end closure is not a public
// holiday and is not included; see Calendar.YearEnd.
func JapaneseHolidays(year int) []Holiday {
	if year < japanFirstYear || year > japanLastYear {
		return nil
	}
	hs := make([]Holiday, 0, 24)
	add := func(m time.Month, day int, name string) {
		hs = append(hs, Holiday{Date: NewDate(year, m, day), Name: name})
	}
	// monday returns the day of the n-th Monday of month m (Happy Monday).
	monday := func(m time.Month, n int) int {
		first := NewDate(year, m, 1).Weekday()
		return 1 + (8-int(first))%7 + 7*(n-1)
	}

	add(time.January, 1, "元日")
	if year < 2000 {
		add(time.January, 15, "成人の日")
	} else {
		add(time.January, monday(time.January, 2), "成人の日")
	}
	add(time.February, 11, "建国記念の日")
	if year >= 2020 {
		add(time.February, 23, "天皇誕生日")
	}
	add(time.March, vernalEquinox(year), "春分の日")
	switch {
	case year <= 1988:
		add(time.April, 29, "天皇誕生日")
	case year <= 2006:
		add(time.April, 29, "みどりの日")
	default:
		add(time.April, 29, "昭和の日")
	}
	add(time.May, 3, "憲法記念日")
	if year >= 2007 {
		add(time.May, 4, "みどりの日")
	}
	add(time.May, 5, "こどもの日")
	// The Tokyo Olympics moved 海の日, スポーツの日 and 山の日 in 2020 and,
	// postponed, again in 2021.
	switch {
	case year == 2020:
		add(time.July, 23, "海の日")
		add(time.July, 24, "スポーツの日")
		add(time.August, 10, "山の日")
	case year == 2021:
		add(time.July, 22, "海の日")
		add(time.July, 23, "スポーツの日")
		add(time.August, 8, "山の日")
	default:
		if year >= 2003 {
			add(time.July, monday(time.July, 3), "海の日")
		} else if year >= 1996 {
			add(time.July, 20, "海の日")
		}
		if year >= 2016 {
			add(time.August, 11, "山の日")
		}
	}
	if year < 2003 {
		add(time.September, 15, "敬老の日")
	} else {
		add(time.September, monday(time.September, 3), "敬老の日")
	}
	add(time.September, autumnalEquinox(year), "秋分の日")
	switch {
	case year < 2000:
		add(time.October, 10, "体育の日")
	case year < 2020:
		add(time.October, monday(time.October, 2), "体育の日")
	case year > 2021:
		add(time.October, monday(time.October, 2), "スポーツの日")
	}
	add(time.November, 3, "文化の日")
	add(time.November, 23, "勤労感謝の日")
	if year >= 1989 && year <= 2018 {
		add(time.December, 23, "天皇誕生日")
	}
	for _, h := range imperialDays {
		if h.year == year {
			add(h.month, h.day, h.name)
		}
	}
	slices.SortFunc(hs, func(a, b Holiday) int { return a.Date.Compare(b.Date) })

	national := func(d Date) bool {
		return slices.ContainsFunc(hs, func(h Holiday) bool { return h.Date == d })
	}
	var more []Holiday
	// A national holiday on a Sunday makes a substitute: until 2006 the
	// Monday, unless a holiday itself; since 2007 the first day after it that
	// is not a national holiday (so a Sunday May 3 gives May 6).
	for _, h := range hs {
		if h.Date.Weekday() != time.Sunday {
			continue
		}
		d := h.Date.AddDays(1)
		if year >= 2007 {
			for national(d) {
				d = d.AddDays(1)
			}
		} else if national(d) {
			continue
		}
		more = append(more, Holiday{Date: d, Name: substituteHoliday})
	}
	// Since 1986 a day between two national holidays is a holiday too,
	// unless it is a Sunday or already a substitute.
	if year >= 1986 {
		for i := 1; i < len(hs); i++ {
			d := hs[i-1].Date.AddDays(1)
			if hs[i].Date.Sub(d) == 1 && d.Weekday() != time.Sunday &&
				!slices.ContainsFunc(more, func(h Holiday) bool { return h.Date == d }) {
				more = append(more, Holiday{Date: d, Name: citizensHoliday})
			}
		}
	}
	hs = append(hs, more...)
	slices.SortFunc(hs, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return hs
}

// vernalEquinox returns the March day of the vernal equinox in year, by the
// usual approximation for 1980–2099, in millionths of a day so that no
// floating-point rounding can move a day.
func vernalEquinox(year int) int {
	k := year - 1980
	return (20_843_100+242_194*k)/1_000_000 - k/4
}

// autumnalEquinox returns the September day of the autumnal equinox in year,
// like vernalEquinox.
func autumnalEquinox(year int) int {
	k := year - 1980
	return (23_248_800+242_194*k)/1_000_000 - k/4
}

// Flags of a day in a dayTable.
const (
	flagJapanHoliday uint8 = 1 << iota
	flagYearEnd
)

// dayTable flags every day of the years JapaneseHolidays knows, so that
// BusinessDay is an index into a slice rather than a computation: it runs for
// every lead in every reminder run.
type dayTable struct {
	first Date
	flags []uint8
	years [][]Holiday // JapaneseHolidays(japanFirstYear + i)
}

// days is built on first use and only read afterwards: a lookup table, not
// state, and safe for concurrent use.
var days = sync.OnceValue(func() *dayTable {
	t := &dayTable{first: NewDate(japanFirstYear, time.January, 1)}
	t.flags = make([]uint8, NewDate(japanLastYear+1, time.January, 1).Sub(t.first))
	for y := japanFirstYear; y <= japanLastYear; y++ {
		hs := JapaneseHolidays(y)
		t.years = append(t.years, hs)
		for _, h := range hs {
			t.flags[h.Date.Sub(t.first)] |= flagJapanHoliday
		}
		for _, d := range []Date{NewDate(y, time.January, 1), NewDate(y, time.December, 29)} {
			for i := range 3 {
				t.flags[d.AddDays(i).Sub(t.first)] |= flagYearEnd
			}
		}
	}
	return t
})

// dayFlags returns the flags of d; outside the table's years d is no
// Japanese holiday, and only the year-end is worked out.
func dayFlags(d Date) uint8 {
	t := days()
	if i := d.Sub(t.first); i >= 0 && i < len(t.flags) {
		return t.flags[i]
	}
	if m, day := d.Month(), d.Day(); m == time.December && day >= 29 || m == time.January && day <= 3 {
		return flagYearEnd
	}
	return 0
}

// japaneseHoliday returns the name of the Japanese public holiday on d.
func japaneseHoliday(d Date) (string, bool) {
	if dayFlags(d)&flagJapanHoliday == 0 {
		return "", false
	}
	hs := days().years[d.Year()-japanFirstYear]
	i, ok := slices.BinarySearchFunc(hs, d, func(h Holiday, d Date) int { return h.Date.Compare(d) })
	if !ok {
		return "", false
	}
	return hs[i].Name, true
}

// weekday is d.Weekday without the round trip through time.Time, which
// BusinessDay cannot afford.
func weekday(d Date) time.Weekday {
	w := (int(d.n) + 3) % 7 // d.n-1 days after Thursday, January 1 1970
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}
