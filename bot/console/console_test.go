package console_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/console"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
	"github.com/touchbase/touchbase/store/storetest"
)

func newConsole(tb testing.TB, input string, interactive bool) (*console.Console, *bytes.Buffer, *store.DB) {
	tb.Helper()
	db := storetest.MustOpenDB(tb)
	h := handlers.NewHandler(db, touchbase.DefaultConfig())
	h.Now = func() time.Time { return time.Date(2026, time.November, 23, 0, 0, 0, 0, time.UTC) }
	var out bytes.Buffer
	c := console.New(h, handlers.User{ID: "sato", Name: "Sato"}, strings.NewReader(input), &out)
	c.Interactive = interactive
	return c, &out, db
}

// Ensure that in a terminal /qualify without answers asks the four BANT
// questions one at a time, re-asks on a bad answer, keeps the current answer
// on Enter, and records the result.
func TestConsole_BANTWalkThrough(t *testing.T) {
	input := strings.Join([]string{
		`/lead "Taro Yamada" company:"Acme KK"`,
		`/qualify Acme`,
		"yes 5m",  // Budget
		"perhaps", // not an answer: asked again
		"no",      // Authority
		"yes ERP", // Need
		"",        // Timeline: keep unknown
	}, "\n") + "\n"
	c, out, db := newConsole(t, input, true)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"Budget — ", "Authority — ", "Need — ", "Timeline — ", "Please answer yes, no or unknown", "2 of 4 yes", "Qualified"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	err := db.View(context.Background(), func(tx touchbase.Tx) error {
		l, err := tx.Lead(1)
		if err != nil {
			return err
		}
		if l.Status != touchbase.LeadQualified || l.BANT.Budget.Note != "5m" || l.BANT.Authority.Answer != touchbase.No || l.BANT.Timeline.Answer != touchbase.Unknown {
			t.Errorf("lead=%+v, want qualified with b:yes 5m, a:no, t:unknown", l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Ensure a script gets one answer per line, refusals do not stop it, and a
// number after an ambiguous answer picks that choice.
func TestConsole_Script(t *testing.T) {
	input := strings.Join([]string{
		"# comments and blank lines are skipped",
		"",
		`/lead "Jiro" company:"Acme Trading"`,
		`/lead "Ken" company:"Acme Systems"`,
		`/log call acme called`,
		`2`,
		`/frobnicate`,
		`/qualify Ken`,
		`7`,
	}, "\n")
	c, out, _ := newConsole(t, input, false)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"> /log call acme called\n\"acme\" matches 2 records",
		"> log call lead#2 called\nLogged call with Ken (Acme Systems)",
		"✗ Unknown command \"frobnicate\"",
		"Answer in one line: /qualify lead#2",
		"✗ There is no list to pick from",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
