package handlers

import (
	"testing"
	"time"

	"github.com/touchbase/touchbase"
)

// Ensure formatDate writes what it wrote as the weekday's first three
// letters and Date.String, for every day of two centuries from 1970 and for none.
func TestFormatDate(t *testing.T) {
	if got, want := formatDate(touchbase.Date{}), "none"; got != want {
		t.Fatalf("formatDate(zero)=%q, want %q", got, want)
	}
	for d := touchbase.NewDate(1970, time.January, 1); d.Before(touchbase.NewDate(2170, time.January, 1)); d = d.AddDays(1) {
		if got, want := formatDate(d), d.Weekday().String()[:3]+" "+d.String(); got != want {
			t.Fatalf("formatDate(%s)=%q, want %q", d, got, want)
		}
	}
}
