package touchbase_test

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
)

func TestCalendar_BusinessDay(t *testing.T) {
	jp := touchbase.Calendar{Region: "JP", YearEnd: true}
	for _, tt := range []struct {
		name string
		cal  touchbase.Calendar
		day  string
		want bool
	}{
		// Ensure a plain weekday is a business day everywhere.
		{"weekday", jp, "2026-05-07", true},
		{"weekday Mon-Fri", touchbase.Calendar{}, "2026-05-07", true},
		// Ensure a Saturday is never a business day.
		{"Saturday", touchbase.Calendar{}, "2026-05-09", false},
		{"Saturday JP", jp, "2026-05-09", false},
		// Ensure a substitute holiday (for Sunday May 3) is a day off in Japan only.
		{"substitute", jp, "2026-05-06", false},
		{"substitute Mon-Fri", touchbase.Calendar{}, "2026-05-06", true},
		// Ensure the citizens' holiday between 敬老の日 and 秋分の日 is a day off.
		{"citizens", jp, "2026-09-22", false},
		// Ensure December 30 is closed with the year-end, open without it.
		{"year-end", jp, "2026-12-30", false},
		{"no year-end", touchbase.Calendar{Region: "JP"}, "2026-12-30", true},
		{"year-end without region", touchbase.Calendar{YearEnd: true}, "2027-01-04", true},
		{"year-end without region", touchbase.Calendar{YearEnd: true}, "2026-12-29", false},
		// Ensure the year-end is kept outside the years of the holiday table.
		{"year-end 2150", touchbase.Calendar{YearEnd: true}, "2150-12-30", false},
		{"year-end 1975", touchbase.Calendar{YearEnd: true}, "1975-01-03", false},
		// Ensure the last business day of the year is December 28.
		{"Dec 28", jp, "2026-12-28", true},
		// Ensure a team's holiday adds to either calendar.
		{"team", touchbase.Calendar{Holidays: []touchbase.Date{date(t, "2026-08-13")}}, "2026-08-13", false},
		{"team JP", touchbase.Calendar{Region: "JP", Holidays: []touchbase.Date{date(t, "2026-08-13")}}, "2026-08-13", false},
		// Ensure the region is read regardless of case.
		{"lower-case region", touchbase.Calendar{Region: "jp"}, "2026-11-23", false},
	} {
		if got := tt.cal.BusinessDay(date(t, tt.day)); got != tt.want {
			t.Fatalf("%s: BusinessDay(%s)=%v, want %v", tt.name, tt.day, got, tt.want)
		}
	}
}

// Ensure the zero Calendar is exactly Monday to Friday, also before 1970
// and after the holiday table ends.
func TestCalendar_BusinessDay_Weekdays(t *testing.T) {
	var cal touchbase.Calendar
	// NewDate rather than AddDays, which stops at the zero Date, 1969-12-31.
	for i := range 300 * 365 {
		d := touchbase.NewDate(1900, 1, 1+i)
		wd := d.Weekday()
		if got, want := cal.BusinessDay(d), wd != time.Saturday && wd != time.Sunday; got != want {
			t.Fatalf("BusinessDay(%s, a %s)=%v, want %v", d, wd, got, want)
		}
	}
}

// Ensure a Japanese calendar closes on every public holiday and nowhere else
// on weekdays.
func TestCalendar_BusinessDay_Japan(t *testing.T) {
	cal := touchbase.Calendar{Region: touchbase.RegionJapan}
	for year := 1980; year <= 2099; year++ {
		off := map[touchbase.Date]bool{}
		for _, h := range touchbase.JapaneseHolidays(year) {
			off[h.Date] = true
		}
		for d := touchbase.NewDate(year, 1, 1); d.Year() == year; d = d.AddDays(1) {
			wd := d.Weekday()
			if got, want := cal.BusinessDay(d), wd != time.Saturday && wd != time.Sunday && !off[d]; got != want {
				t.Fatalf("BusinessDay(%s)=%v, want %v", d, got, want)
			}
		}
	}
}

// Ensure BusinessDay may be called from many goroutines at once, the first
// calls building the holiday table.
func TestCalendar_BusinessDay_Concurrent(t *testing.T) {
	cal := touchbase.CalendarForZone("Asia/Tokyo")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if cal.BusinessDay(date(t, "2026-11-23")) {
				t.Error("2026-11-23 is a business day, want a holiday")
			}
		})
	}
	wg.Wait()
}

func TestCalendar_AddBusinessDays(t *testing.T) {
	jp := touchbase.Calendar{Region: "JP", YearEnd: true}
	for _, tt := range []struct {
		name string
		cal  touchbase.Calendar
		from string
		n    int
		want string
	}{
		// Ensure Golden Week 2026 (4/29, 5/2-5/6) is skipped.
		{"Golden Week", jp, "2026-04-30", 2, "2026-05-07"},
		{"Golden Week, n=0", jp, "2026-05-02", 0, "2026-05-07"},
		{"Golden Week Mon-Fri", touchbase.Calendar{}, "2026-04-30", 2, "2026-05-04"},
		// Ensure the year-end closure is skipped.
		{"year-end", jp, "2026-12-28", 1, "2027-01-04"},
		{"year-end from Friday", jp, "2026-12-25", 2, "2027-01-04"},
		{"year-end 2027", jp, "2027-12-27", 3, "2028-01-05"},
		{"year-end Mon-Fri", touchbase.Calendar{}, "2026-12-28", 1, "2026-12-29"},
		// Ensure a business day with n=0 is kept.
		{"n=0", jp, "2026-05-07", 0, "2026-05-07"},
		// Ensure the September holidays (9/19-9/23 of 2026) are skipped.
		{"Silver Week", jp, "2026-09-18", 1, "2026-09-24"},
	} {
		if got := tt.cal.AddBusinessDays(date(t, tt.from), tt.n).String(); got != tt.want {
			t.Fatalf("%s: AddBusinessDays(%s, %d)=%s, want %s", tt.name, tt.from, tt.n, got, tt.want)
		}
	}
}

// Ensure the cadence counts its gaps in the team's business days.
func TestCadence_Next(t *testing.T) {
	got, running := touchbase.DefaultCadence().Next(1, date(t, "2026-04-30"), touchbase.CalendarForZone("Asia/Tokyo"))
	if got.String() != "2026-05-07" || !running {
		t.Fatalf("Next=%s, %v, want 2026-05-07, true", got, running)
	}
}

func TestCalendar_HolidayName(t *testing.T) {
	jp := touchbase.Calendar{Region: "JP", YearEnd: true, Holidays: []touchbase.Date{date(t, "2026-08-13")}}
	for _, tt := range []struct {
		name   string
		cal    touchbase.Calendar
		day    string
		want   string
		wantOK bool
	}{
		// Ensure a public holiday gives its name.
		{"public", jp, "2026-11-23", "勤労感謝の日", true},
		{"on a Sunday", jp, "2026-05-03", "憲法記念日", true},
		{"substitute", jp, "2026-05-06", "振替休日", true},
		{"citizens", jp, "2026-09-22", "国民の休日", true},
		// Ensure a public holiday in the year-end is named for itself.
		{"New Year", jp, "2027-01-01", "元日", true},
		{"year-end", jp, "2027-01-02", "年末年始", true},
		{"year-end", jp, "2026-12-29", "年末年始", true},
		{"year-end only", touchbase.Calendar{YearEnd: true}, "2027-01-01", "年末年始", true},
		// Ensure a team's own day off is named.
		{"team", jp, "2026-08-13", "company holiday", true},
		// Ensure other days and other calendars have no holiday.
		{"working day", jp, "2026-11-24", "", false},
		{"Saturday", jp, "2026-11-28", "", false},
		{"Mon-Fri", touchbase.Calendar{}, "2026-11-23", "", false},
		{"outside the table", jp, "2150-11-23", "", false},
	} {
		got, ok := tt.cal.HolidayName(date(t, tt.day))
		if got != tt.want || ok != tt.wantOK {
			t.Fatalf("%s: HolidayName(%s)=%q, %v, want %q, %v", tt.name, tt.day, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestCalendarForZone(t *testing.T) {
	for _, tt := range []struct {
		tz   string
		want touchbase.Calendar
	}{
		// Ensure a Tokyo team keeps Japan's holidays and the year-end.
		{"Asia/Tokyo", touchbase.Calendar{Region: "JP", YearEnd: true}},
		{"Japan", touchbase.Calendar{Region: "JP", YearEnd: true}},
		// Ensure every other zone is Monday to Friday.
		{"America/New_York", touchbase.Calendar{}},
		{"Asia/Seoul", touchbase.Calendar{}},
		{"UTC", touchbase.Calendar{}},
		{"", touchbase.Calendar{}},
	} {
		if got := touchbase.CalendarForZone(tt.tz); !reflect.DeepEqual(got, tt.want) {
			t.Fatalf("CalendarForZone(%q)=%+v, want %+v", tt.tz, got, tt.want)
		}
	}
}

// Ensure a workspace configures its calendar by region, year_end and
// holidays, and that an unknown region is refused.
func TestCalendar_JSON(t *testing.T) {
	var cfg touchbase.Config
	if err := json.Unmarshal([]byte(`{"calendar": {"region": "JP", "year_end": true, "holidays": ["2026-08-13", "2026-08-14"]}}`), &cfg); err != nil {
		t.Fatal(err)
	}
	want := touchbase.Calendar{Region: "JP", YearEnd: true, Holidays: []touchbase.Date{date(t, "2026-08-13"), date(t, "2026-08-14")}}
	if !reflect.DeepEqual(cfg.Calendar, want) {
		t.Fatalf("Calendar=%+v, want %+v", cfg.Calendar, want)
	}
	if err := cfg.Calendar.Validate(); err != nil {
		t.Fatalf("Validate=%v, want nil", err)
	}
	if b, err := json.Marshal(touchbase.Calendar{}); err != nil || string(b) != "{}" {
		t.Fatalf("Marshal(Calendar{})=%s, %v, want {}", b, err)
	}
	err := touchbase.Calendar{Region: "JA"}.Validate()
	if got, want := touchbase.ErrorCode(err), touchbase.EINVALID; got != want {
		t.Fatalf("ErrorCode=%q, want %q", got, want)
	}
}

func BenchmarkBusinessDay(b *testing.B) {
	for _, bb := range []struct {
		name string
		cal  touchbase.Calendar
	}{
		{"MonFri", touchbase.Calendar{}},
		{"JP", touchbase.CalendarForZone("Asia/Tokyo")},
		{"JP+team", touchbase.Calendar{Region: "JP", YearEnd: true, Holidays: []touchbase.Date{
			touchbase.NewDate(2026, 8, 13), touchbase.NewDate(2026, 8, 14), touchbase.NewDate(2026, 12, 28),
		}}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			first := touchbase.NewDate(2026, 1, 1)
			bb.cal.BusinessDay(first) // build the holiday table outside the timing
			n := 0
			for i := 0; b.Loop(); i++ {
				if bb.cal.BusinessDay(first.AddDays(i % 1024)) {
					n++
				}
			}
			if n == 0 {
				b.Fatal("no business day")
			}
		})
	}
}

// BenchmarkAddBusinessDays is one follow-up date, as computed per lead.
func BenchmarkAddBusinessDays(b *testing.B) {
	cal := touchbase.CalendarForZone("Asia/Tokyo")
	first := touchbase.NewDate(2026, 1, 1)
	for i := 0; b.Loop(); i++ {
		cal.AddBusinessDays(first.AddDays(i%365), 5)
	}
}
