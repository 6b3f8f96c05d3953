package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
	"github.com/touchbase/touchbase/store/storetest"
)

// MustOpenDB opens a real store, checked and closed when the test ends.
var MustOpenDB = storetest.MustOpenDB

// fixture is a handler on a real store with a clock the test moves.
type fixture struct {
	tb  testing.TB
	db  *store.DB
	h   *handlers.Handler
	now time.Time
}

var tokyo = mustLoad("Asia/Tokyo")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Monday 23 November 2026, 09:00 in Tokyo.
var monday = time.Date(2026, time.November, 23, 9, 0, 0, 0, tokyo)

func newFixture(tb testing.TB) *fixture {
	f := &fixture{tb: tb, db: MustOpenDB(tb), now: monday}
	f.h = handlers.NewHandler(f.db, touchbase.DefaultConfig())
	f.h.Now = func() time.Time { return f.now }
	return f
}

func user(id string) handlers.User { return handlers.User{ID: id, Name: id, TimeZone: "Asia/Tokyo"} }

// ok runs line as rep and fails the test on a refusal.
func (f *fixture) ok(rep, line string) *handlers.Reply {
	f.tb.Helper()
	r, err := f.h.Handle(context.Background(), user(rep), line)
	if err != nil {
		f.tb.Fatalf("%s: %.80q refused: %v", rep, line, err)
	}
	return r
}

// refused runs line as rep, wants a refusal with code, and returns its message.
func (f *fixture) refused(rep, line, code string) string {
	f.tb.Helper()
	r, err := f.h.Handle(context.Background(), user(rep), line)
	if err == nil {
		f.tb.Fatalf("%s: %.80q was not refused: %s", rep, line, r.Text())
	}
	if got := touchbase.ErrorCode(err); got != code {
		f.tb.Fatalf("%s: %.80q code=%s, want %s (%v)", rep, line, got, code, err)
	}
	return touchbase.ErrorMessage(err)
}

// export returns the whole database as JSON, without the export time.
func (f *fixture) export() string {
	f.tb.Helper()
	x, err := handlers.ExportData(context.Background(), f.db, f.h.Config, time.Time{})
	if err != nil {
		f.tb.Fatal(err)
	}
	var b bytes.Buffer
	if err := x.WriteJSON(&b); err != nil {
		f.tb.Fatal(err)
	}
	return b.String()
}

func (f *fixture) lead(id uint64) *touchbase.Lead {
	f.tb.Helper()
	var l *touchbase.Lead
	if err := f.db.View(context.Background(), func(tx touchbase.Tx) (err error) { l, err = tx.Lead(id); return err }); err != nil {
		f.tb.Fatal(err)
	}
	return l
}

func (f *fixture) opp(id uint64) *touchbase.Opportunity {
	f.tb.Helper()
	var o *touchbase.Opportunity
	if err := f.db.View(context.Background(), func(tx touchbase.Tx) (err error) { o, err = tx.Opportunity(id); return err }); err != nil {
		f.tb.Fatal(err)
	}
	return o
}

func contains(tb testing.TB, what, got string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			tb.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}

// Ensure the whole Inside Sales to Field Sales path works: a lead, three
// touches on the cadence, BANT 2 of 4, conversion with a handoff, stage gates
// and a win.
func TestHandler_Scenario(t *testing.T) {
	f := newFixture(t)
	f.ok("sato", `/tb team create "FS Tokyo" field_sales #fs-tokyo`)
	f.ok("sato", `/tb team add "FS Tokyo" @ae`)

	r := f.ok("sato", `/lead "Taro Yamada" company:"Acme KK" email:taro@acme.co.jp title:CIO source:"Nov webinar"`)
	contains(t, "lead reply", r.Text(), "Taro Yamada (Acme KK)", "lead#1")

	// Touch 1 on Monday: the cadence puts touch 2 two business days later.
	r = f.ok("sato", `/log call Acme "intro call, interested"`)
	contains(t, "log reply", r.Title, "touch 1 of 5", "Thu 2026-11-26") // Monday is a holiday in Tokyo
	if got, want := f.lead(1).Status, touchbase.LeadWorking; got != want {
		t.Fatalf("Status=%v, want %v", got, want)
	}
	// Touch 2 with an explicit next: and full-width input.
	r = f.ok("sato", `/log email ＡＣＭＥ sent the price list next:fri`)
	contains(t, "log reply", r.Title, "touch 2 of 5", "Fri 2026-11-27")
	// Touch 3 as typed in a DM, the follow-up without a colon.
	f.now = f.now.Add(48 * time.Hour)
	r = f.ok("sato", `log call acme kk asked for a demo next mon`)
	contains(t, "log reply", r.Title, "touch 3 of 5", "Mon 2026-11-30")
	contains(t, "log reply", r.Text(), "asked for a demo")
	if got := f.lead(1).Touches; got != 3 {
		t.Fatalf("Touches=%d, want 3", got)
	}

	// Converting before qualification is refused with the way forward.
	msg := f.refused("sato", `/convert Acme to:@ae`, touchbase.EINVALID)
	contains(t, "refusal", msg, "not qualified", "/qualify")

	r = f.ok("sato", `/qualify Acme b:yes a:no n:yes t:unknown`)
	contains(t, "qualify reply", r.Text(), "2 of 4", "Qualified")
	if len(r.Actions) == 0 || !strings.HasPrefix(r.Actions[0].Command, "convert lead#1") {
		t.Fatalf("Actions=%+v, want a convert button", r.Actions)
	}
	r = f.ok("sato", `/convert Acme amount:¥5,000,000 close:2027-03-31 to:@ae`)
	contains(t, "convert reply", r.Text(), "opp#1", "Discovery", "¥5,000,000", "@ae")
	if len(r.Notices) != 1 || r.Notices[0].To != "ae" {
		t.Fatalf("Notices=%+v, want one to ae", r.Notices)
	}
	if got, want := f.lead(1).Status, touchbase.LeadConverted; got != want {
		t.Fatalf("Status=%v, want %v", got, want)
	}

	// Sato no longer owns the opportunity.
	msg = f.refused("sato", `/stage Acme next`, touchbase.EFORBIDDEN)
	contains(t, "refusal", msg, "@ae")

	r = f.ok("ae", `/stage Acme next`)
	contains(t, "stage reply", r.Title, "stage 2 Needs definition", "15%")
	msg = f.refused("ae", `/stage Acme 4`, touchbase.EINVALID)
	contains(t, "refusal", msg, "Authority = yes", "/qualify")
	if got := f.opp(1).Stage; got != 2 {
		t.Fatalf("Stage=%d after refusal, want 2", got)
	}
	f.ok("ae", `/qualify Acme a:"yes Sato-san, CIO"`)
	r = f.ok("ae", `/stage Acme 4`)
	contains(t, "stage reply", r.Text(), "stage 4", "Skipped Value proposition")
	r = f.ok("ae", `/stage Acme won`)
	contains(t, "won reply", r.Title, "won", "¥5,000,000")

	o := f.opp(1)
	if o.Status != touchbase.OpportunityWon || o.Stage != 8 {
		t.Fatalf("Status=%v Stage=%d, want won 8", o.Status, o.Stage)
	}
	var kinds []string
	for _, h := range o.History {
		kinds = append(kinds, string(h.Kind))
	}
	if got, want := strings.Join(kinds, ","), "created,advance,advance,won"; got != want {
		t.Fatalf("History=%s, want %s", got, want)
	}
}

// Ensure a refused command changes nothing: every refusal leaves the export
// byte for byte as it was.
func TestHandler_RefusalsChangeNothing(t *testing.T) {
	f := newFixture(t)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	f.ok("sato", `/qualify Acme b:yes n:yes`)
	f.ok("sato", `/tb team create T inside_sales`)
	before := f.export()
	for _, tt := range []struct{ line, code, want string }{
		{`/convert Acme amount:5x`, touchbase.EINVALID, `amount "5x" is not an amount: try amount:5,000,000 or amount:500万`},
		{`/convert Acme close:someday`, touchbase.EINVALID, "try 2027-03-31"},
		{`/convert Acme to:@nobody`, touchbase.ENOTFOUND, "no rep @nobody"},
		{`/log Acme called`, touchbase.EINVALID, "call, email, meeting"},
		{`/log call Nowhere hello`, touchbase.ENOTFOUND, "No open lead or opportunity matches"},
		{`/log call Acme next:yesterday-ish`, touchbase.EINVALID, "next:"},
		{`/lead "Ken" email:not-an-address`, touchbase.EINVALID, "email:taro@acme.co.jp"},
		{`/lead`, touchbase.EINVALID, "needs a name or a company"},
		{`/qualify Acme b:maybe-later`, touchbase.EINVALID, "b:yes"},
		{`/qualify Acme t:whenever`, touchbase.EINVALID, "t:2027-03"},
		{`/stage Acme next`, touchbase.ENOTFOUND, "No open opportunity"},
		{`/tb disqualify Acme`, touchbase.EINVALID, "reason"},
		{`/tb team create X sales_ops`, touchbase.EINVALID, "inside_sales"},
		{`/tb snooze Acme yesterday`, touchbase.EINVALID, ""},
		// Ensure a name too long for any record is refused as such, not
		// failed in the store as an internal error.
		{`/lead ` + strings.Repeat("x", 9000) + ` company:Acme`, touchbase.EINVALID, "The lead's name is 9,000 characters long; a name has at most 200"},
		{`/lead ` + strings.Repeat("𝕏", 9000), touchbase.EINVALID, "The lead's name is 9,000 characters long"}, // 36,000 bytes
		{`/lead Ken company:` + strings.Repeat("名", 201), touchbase.EINVALID, "company: is 201 characters long"},
		{`/lead Ken source:` + strings.Repeat("z", 300), touchbase.EINVALID, "source: is 300"},
		{`/lead Ken email:` + strings.Repeat("a", 250) + `@acme.co.jp`, touchbase.EINVALID, "email: is 261 characters long"},
		{`/deal ` + strings.Repeat("y", 9000) + ` X`, touchbase.EINVALID, "The account's name is 9,000"},
		{`/deal Acme ` + strings.Repeat("y", 201), touchbase.EINVALID, "The opportunity's name is 201"},
		{`/convert Acme name:` + strings.Repeat("n", 201), touchbase.EINVALID, "name: is 201"},
		{`/tb team create ` + strings.Repeat("t", 9000) + ` inside_sales`, touchbase.EINVALID, "The team's name is 9,000"},
		{`/lead Ken owner:@` + strings.Repeat("r", 201), touchbase.EINVALID, "is not a rep"},
		{`/tb team add T @` + strings.Repeat("r", 9000), touchbase.EINVALID, "is not a rep"},
		// Ensure what does not exist is named with what to write instead.
		{`/log call lead#99 hi`, touchbase.ENOTFOUND, "There is no lead#99. Check the number, or name the record instead: /log call Acme"},
		{`/pipeline #nowhere`, touchbase.ENOTFOUND, `There is no team "nowhere". /tb team list shows the teams`},
		{`/tb team add Nowhere @sato`, touchbase.ENOTFOUND, `There is no team "Nowhere"`},
		{`/followups @sato @kato`, touchbase.EINVALID, "Name one rep: /followups @sato, then /followups @kato."},
		{`/tb team create U inside_sales tz:Local`, touchbase.EINVALID, `tz: "Local" is not a time zone: try tz:Asia/Tokyo`},
		// Ensure every word is part of the name: none is left out unseen.
		{`/convert Acme Beta`, touchbase.ENOTFOUND, `matches "Acme Beta"`},
		{`/tb nurture Acme later please`, touchbase.ENOTFOUND, `matches "Acme later please"`},
		{`/tb disqualify Acme Beta reason:x`, touchbase.ENOTFOUND, `matches "Acme Beta"`},
		// Ensure a mistyped team sub-command suggests the right one.
		{`/tb team ad T @kato`, touchbase.EINVALID, `"ad" is not a team command. Did you mean /tb team add?`},
		{`/tb team holliday T 2027-01-04`, touchbase.EINVALID, "Did you mean /tb team holiday?"},
		{`/tb team list T`, touchbase.EINVALID, `takes no name: unexpected "T". Try: /tb team list`},
	} {
		msg := f.refused("sato", tt.line, tt.code)
		contains(t, fmt.Sprintf("%.80q", tt.line), msg, tt.want)
	}
	if after := f.export(); after != before {
		t.Fatalf("refused commands changed the data:\nbefore %s\nafter %s", before, after)
	}
}

// Ensure only the owner or a manager of the owner's team changes a record,
// and others are told who owns it.
func TestHandler_Authorization(t *testing.T) {
	f := newFixture(t)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	msg := f.refused("kato", `/log call Acme hello`, touchbase.EFORBIDDEN)
	contains(t, "refusal", msg, "owned by @sato")

	f.ok("boss", `/tb team create "IS Tokyo" inside_sales #is-tokyo`)
	f.ok("boss", `/tb team add "IS Tokyo" @sato @kato`)
	f.ok("boss", `/tb team manager "IS Tokyo" @boss`)
	f.refused("kato", `/log call Acme hello`, touchbase.EFORBIDDEN)
	f.ok("boss", `/log call Acme covered for Sato`)
	// Once a manager exists, only managers change teams.
	f.refused("kato", `/tb team add "IS Tokyo" @kato2`, touchbase.EFORBIDDEN)
}

// Ensure names match forgivingly, and several matches give numbered choices
// whose commands act on the chosen record.
func TestHandler_Matching(t *testing.T) {
	f := newFixture(t)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	f.ok("sato", `/lead "Jiro Suzuki" company:"Acme Trading"`)
	f.ok("sato", `/lead "Ken Ito" company:"Acme Systems"`)
	f.ok("sato", `/lead "Hanako Sato" company:"株式会社ベータ"`)

	for _, q := range []string{`"acme kk"`, `"ACME K.K."`, `Ａｃｍｅ　ＫＫ`, `yamada`} {
		r := f.ok("sato", `/log note `+q+` checked`)
		contains(t, q, r.Title, "Taro Yamada")
	}
	f.ok("sato", `/log note ベータ checked`)
	if got := f.lead(4).Touches; got != 1 {
		t.Fatalf("Touches=%d, want 1", got)
	}

	// "acme" is Acme KK exactly (the legal form does not count), but "acme
	// s" and "acme t" are only prefixes.
	r := f.ok("sato", `/log call acme left a voicemail`)
	contains(t, "exact", r.Title, "Taro Yamada")
	r = f.ok("sato", `/log call "acme " left a voicemail`)
	contains(t, "exact", r.Title, "Taro Yamada")
	f.ok("sato", `/lead "Jun Mori" company:"Acme Trading Tokyo"`)
	r = f.ok("sato", `/log call "acme tr" left a voicemail`)
	if len(r.Choices) != 2 {
		t.Fatalf("Choices=%+v, want 2", r.Choices)
	}
	contains(t, "choices", r.Text(), "1) Lead Jiro Suzuki (Acme Trading)", "2) Lead Jun Mori (Acme Trading Tokyo)")
	before := f.lead(2).Touches
	r = f.ok("sato", r.Choices[0].Command)
	contains(t, "chosen", r.Title, "Jiro Suzuki", "touch 1 of 5")
	contains(t, "chosen", r.Text(), "left a voicemail")
	if got := f.lead(2).Touches; got != before+1 {
		t.Fatalf("Touches=%d, want %d", got, before+1)
	}
}

// Ensure /lead warns about the same email, or the same name at the same
// company, and still adds the lead.
func TestHandler_LeadDuplicates(t *testing.T) {
	f := newFixture(t)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK" email:taro@acme.co.jp`)
	r := f.ok("kato", `/lead "T. Yamada" company:Acme email:TARO@acme.co.jp`)
	if len(r.Warnings) != 1 {
		t.Fatalf("Warnings=%q, want 1", r.Warnings)
	}
	contains(t, "warning", r.Warnings[0], "Possible duplicate", "lead#1", "@sato")
	r = f.ok("kato", `/lead "taro yamada" company:"ACME K.K."`)
	if len(r.Warnings) != 1 {
		t.Fatalf("Warnings=%q, want 1", r.Warnings)
	}
	r = f.ok("kato", `/lead "Taro Yamada" company:"Other Corp"`)
	if len(r.Warnings) != 0 {
		t.Fatalf("Warnings=%q, want none", r.Warnings)
	}
}

// Ensure the cadence spaces touches 2, 3, 5, 7 business days on the rep's
// calendar (Tokyo: Monday 2026-11-23 is 勤労感謝の日, and 12/29-1/3 is
// the year-end), and says when the fifth touch ends it.
func TestHandler_Cadence(t *testing.T) {
	f := newFixture(t)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	wants := []string{
		"touch 1 of 5. Next follow-up: Thu 2026-11-26", // the holiday, then + 2
		"touch 2 of 5. Next follow-up: Tue 2026-12-01", // Thu + 3, over the weekend
		"touch 3 of 5. Next follow-up: Tue 2026-12-08", // + 5
		"touch 4 of 5. Next follow-up: Thu 2026-12-17", // + 7
		"touch 5 of 5. Next follow-up: Mon 2026-12-28", // the last gap repeats
	}
	for i, want := range wants {
		r := f.ok("sato", `/log call Acme`)
		contains(t, "log", r.Title, want)
		if i == 4 {
			contains(t, "log", r.Text(), "cadence of 5 is done", "nurture")
		}
		due := f.lead(1).NextFollowUp
		f.now = due.In(tokyo).Add(9 * time.Hour)
	}
}

// Ensure /followups lists what is due, overdue first, and /pipeline sums by
// stage with weights.
func TestHandler_FollowupsAndPipeline(t *testing.T) {
	f := newFixture(t)
	f.ok("ae", `/deal Acme "ERP rollout" amount:$100k close:2027-03`)
	f.ok("ae", `/deal Beta "Support plan" amount:$20k`)
	f.ok("ae", `/lead "Ken" company:Gamma`)
	f.ok("ae", `/qualify Beta b:yes n:yes`)
	f.ok("ae", `/stage Beta 2`)

	f.now = f.now.AddDate(0, 0, 3) // Thursday: the deals fell due Tuesday
	r := f.ok("ae", `/followups`)
	contains(t, "followups", r.Title, "3 follow-ups due today")
	if len(r.Items) != 3 || !strings.Contains(r.Items[0].Text, "Gamma") || !strings.Contains(r.Items[0].Text, "3 days overdue") {
		t.Fatalf("Items=%+v, want Gamma first, 3 days overdue", r.Items)
	}
	if a := r.Items[0].Actions; len(a) == 0 || a[0].Command != "log call lead#1" {
		t.Fatalf("Actions=%+v, want Log call first", a)
	}
	r = f.ok("ae", `/pipeline`)
	contains(t, "pipeline", r.Title, "2 opportunities open", "$120,000", "weighted $3,000")
	contains(t, "pipeline", strings.Join(r.Lines, "\n"), "1 Discovery (0%): 1 — $100,000", "2 Needs definition (15%): 1 — $20,000, weighted $3,000")
	f.now = f.now.AddDate(0, 0, 10)
	r = f.ok("ae", `/pipeline all`)
	contains(t, "pipeline", strings.Join(r.Lines, "\n"), "Stalled", "ERP rollout")
}

// Ensure lost and back need a reason, back returns the opportunity to the
// rep who converted it with a notice, and moving back is recorded.
func TestHandler_StageBackAndLost(t *testing.T) {
	f := newFixture(t)
	f.ok("ae", `/followups`) // registers ae
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	f.ok("sato", `/qualify Acme b:yes n:yes`)
	f.ok("sato", `/convert Acme to:@ae`)
	f.ok("ae", `/stage Acme 3`)
	f.ok("ae", `/stage Acme prev`)
	f.refused("ae", `/stage Acme back`, touchbase.EINVALID)
	r := f.ok("ae", `/stage Acme back reason:"no budget this year"`)
	if len(r.Notices) != 1 || r.Notices[0].To != "sato" {
		t.Fatalf("Notices=%+v, want one to sato", r.Notices)
	}
	o := f.opp(1)
	if o.Owner != "sato" || o.Stage != 1 {
		t.Fatalf("Owner=%s Stage=%d, want sato 1", o.Owner, o.Stage)
	}
	f.refused("sato", `/stage Acme lost`, touchbase.EINVALID)
	f.ok("sato", `/stage Acme lost reason:"budget cut"`)
	o = f.opp(1)
	if o.Status != touchbase.OpportunityLost || o.LostReason != "budget cut" {
		t.Fatalf("Status=%v LostReason=%q", o.Status, o.LostReason)
	}
	var kinds []string
	for _, h := range o.History {
		kinds = append(kinds, string(h.Kind))
	}
	if got, want := strings.Join(kinds, ","), "created,advance,back,sent_back,lost"; got != want {
		t.Fatalf("History=%s, want %s", got, want)
	}
	f.refused("sato", `/stage opp#1 next`, touchbase.ECONFLICT)
}

// Ensure import(export(db)) gives back the same data.
func TestExportImport_RoundTrip(t *testing.T) {
	f := newFixture(t)
	f.ok("boss", `/tb team create "IS Tokyo" inside_sales #is-tokyo tz:Asia/Tokyo`)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK" email:taro@acme.co.jp source:"Nov webinar"`)
	f.ok("sato", `/log call Acme "first call"`)
	f.ok("sato", `/qualify Acme b:"yes 5m" a:no n:yes`)
	f.ok("sato", `/convert Acme amount:500万 close:2027-03 to:@boss`)
	f.ok("boss", `/stage Acme next`)
	f.ok("boss", `/deal Beta amount:1.2k`)
	want := f.export()

	x, err := handlers.ReadExport(strings.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	g := newFixture(t)
	if err := handlers.ImportData(context.Background(), g.db, x); err != nil {
		t.Fatal(err)
	}
	if got := g.export(); got != want {
		t.Fatalf("export after import differs:\n got %s\nwant %s", got, want)
	}
	// Ensure new records continue after the imported IDs.
	r := g.ok("sato", `/lead "New Person" company:Zeta`)
	contains(t, "lead", r.Title, "lead#2")
	// Ensure importing the same again finds everything there and changes
	// nothing, not even the lead added since.
	before := g.export()
	if err := handlers.ImportData(context.Background(), g.db, x); err != nil {
		t.Fatalf("second import: %v", err)
	}
	if got := g.export(); got != before {
		t.Fatalf("second import changed the data:\n got %s\nwant %s", got, before)
	}
}

// Ensure a delivery that arrives twice is applied once, a refused delivery
// can be retried, and commands that only read run every time.
func TestHandler_HandleOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	if _, err := f.h.HandleOnce(ctx, user("sato"), `/log call Acme hello`, "event/Ev1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.HandleOnce(ctx, user("sato"), `/log call Acme hello`, "event/Ev1"); err != handlers.ErrAlreadyApplied {
		t.Fatalf("second delivery: err=%v, want ErrAlreadyApplied", err)
	}
	if got := f.lead(1).Touches; got != 1 {
		t.Fatalf("Touches=%d, want 1", got)
	}
	// A refusal rolls back the claim with everything else.
	if _, err := f.h.HandleOnce(ctx, user("sato"), `/log call Nobody hello`, "event/Ev2"); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
		t.Fatalf("err=%v, want not found", err)
	}
	f.ok("sato", `/lead "Nobody Special" company:Nobody`)
	if _, err := f.h.HandleOnce(ctx, user("sato"), `/log call Nobody hello`, "event/Ev2"); err != nil {
		t.Fatalf("retry after a refusal: %v", err)
	}
	for range 2 {
		if _, err := f.h.HandleOnce(ctx, user("sato"), `/followups`, "event/Ev3"); err != nil {
			t.Fatalf("read-only command: %v", err)
		}
	}
}

// Ensure a handoff's notice is in the outbox, committed with the change,
// once per change.
func TestHandler_NoticesInOutbox(t *testing.T) {
	f := newFixture(t)
	f.ok("ae", `/followups`)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	f.ok("sato", `/qualify Acme b:yes n:yes`)
	f.ok("sato", `/convert Acme to:@ae`)
	var due []*touchbase.Message
	err := f.db.View(context.Background(), func(tx touchbase.Tx) (err error) {
		due, err = tx.DueMessages(f.now.Add(time.Second), 10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].To != "ae" {
		t.Fatalf("outbox=%+v, want one message to ae", due)
	}
	r, err := handlers.DecodeReply(due[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "notice", r.Title, "@sato handed you a new opportunity", "opp#1")
}

// Ensure every command logs one line under its request id: verb, outcome,
// duration and who, at info, without the text typed (names, notes), which
// only debug shows; and the notice a command enqueues keeps the request id
// for its delivery.
func TestHandler_CommandLog(t *testing.T) {
	f := newFixture(t)
	var info, debug bytes.Buffer
	f.ok("ae", `/followups`)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	f.ok("sato", `/qualify Acme b:"yes budget quokka" n:yes`)
	for _, w := range []struct {
		buf   *bytes.Buffer
		level slog.Level
	}{{&info, slog.LevelInfo}, {&debug, slog.LevelDebug}} {
		f.h.Logger = slog.New(touchbase.NewLogHandler(slog.NewJSONHandler(w.buf, &slog.HandlerOptions{Level: w.level})))
		ctx := touchbase.WithRequestID(context.Background(), "req-"+w.level.String())
		if _, err := f.h.Handle(ctx, user("sato"), `/log call Acme "said quokka is the ceiling"`); err != nil {
			t.Fatal(err)
		}
		if _, err := f.h.Handle(ctx, user("sato"), `/stage Nobody next`); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
			t.Fatalf("/stage Nobody: %v, want not found", err)
		}
	}
	f.h.Logger = slog.New(touchbase.NewLogHandler(slog.NewJSONHandler(&info, nil)))
	convert := touchbase.WithRequestID(context.Background(), "req-convert")
	if _, err := f.h.Handle(convert, user("sato"), `/convert Acme to:@ae`); err != nil {
		t.Fatal(err)
	}

	contains(t, "info log", info.String(),
		`"msg":"command","verb":"log","outcome":"ok"`, `"user":"sato","request_id":"req-INFO"`,
		`"msg":"command","verb":"stage","outcome":"not_found"`,
		`"msg":"command","verb":"convert","outcome":"ok"`, `"request_id":"req-convert"`)
	for _, never := range []string{"quokka", "ceiling", "Acme", "Nobody", "command text"} {
		if strings.Contains(info.String(), never) {
			t.Errorf("info log holds %q:\n%s", never, info.String())
		}
	}
	contains(t, "debug log", debug.String(), `"msg":"command text","verb":"log","text":"log call Acme \"said quokka is the ceiling\""`, `"request_id":"req-DEBUG"`)

	var due []*touchbase.Message
	err := f.db.View(context.Background(), func(tx touchbase.Tx) (err error) {
		due, err = tx.DueMessages(f.now.Add(time.Second), 10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].RequestID != "req-convert" {
		t.Fatalf("outbox=%+v, want one message with request id req-convert", due)
	}
}

// Ensure a win starts a contract with its renewal, renewed starts the next
// term, churned needs a reason, and upsells are opportunities of their kind.
func TestHandler_RenewalAndUpsell(t *testing.T) {
	f := newFixture(t)
	f.ok("kim", `/followups`)
	f.ok("boss", `/tb team create CS customer_success #cs`)
	f.ok("boss", `/tb team add CS @kim`)
	f.ok("ae", `/deal Acme "ERP rollout" amount:¥6,000,000`)
	f.ok("ae", `/qualify Acme b:yes a:yes n:yes`)
	r := f.ok("ae", `/stage Acme won arr:¥5,000,000 term:24m`)
	contains(t, "won", r.Text(), "Contract started: ¥5,000,000 a year for 24 months; renewal due Thu 2028-11-23", "@kim")

	msg := f.refused("kim", `/renewal Acme churned`, touchbase.EINVALID)
	contains(t, "churned", msg, "reason")
	f.refused("kim", `/renewal Acme maybe`, touchbase.EINVALID)
	f.refused("ae", `/renewal Acme renewed`, touchbase.EFORBIDDEN)
	r = f.ok("kim", `/renewal Acme renewed amount:6m`)
	contains(t, "renewed", r.Title, "¥6,000,000 a year", "2030-11-23")
	r = f.ok("kim", `/renewal acme kk churned reason:"moved to a competitor"`)
	contains(t, "churned", r.Title, "churned at the 2030-11-23 renewal")
	f.refused("kim", `/renewal Acme renewed`, touchbase.ENOTFOUND)

	var renewals []*touchbase.Renewal
	err := f.db.View(context.Background(), func(tx touchbase.Tx) (err error) {
		renewals, err = tx.Renewals(touchbase.RenewalFilter{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(renewals) != 2 || renewals[0].Status != touchbase.RenewalRenewed || renewals[1].Status != touchbase.RenewalChurned || renewals[1].ARRMinor != 6000000 {
		t.Fatalf("renewals=%+v, want renewed then churned at ¥6,000,000", renewals)
	}

	r = f.ok("kim", `/upsell Acme "Analytics add-on" amount:1.2m`)
	contains(t, "upsell", r.Title, "Upsell opportunity Analytics add-on for Acme")
	r = f.ok("kim", `/upsell Acme cross "Support plan" amount:300k`)
	contains(t, "cross-sell", r.Title, "Cross-sell opportunity Support plan")
	if o := f.opp(3); o.Kind != touchbase.KindCrossSell || o.Owner != "kim" {
		t.Fatalf("opp=%+v, want a cross-sell owned by kim", o)
	}
	f.refused("kim", `/upsell Nowhere "X"`, touchbase.ENOTFOUND)
}

// Ensure a win tells Customer Success at once and leaves an onboarding
// follow-up for two business days later at 09:00 in their zone.
func TestHandler_WonOnboardingFollowUp(t *testing.T) {
	f := newFixture(t)
	f.ok("kim", `/followups`) // kim works in Tokyo
	f.ok("boss", `/tb team create CS customer_success #cs`)
	f.ok("boss", `/tb team add CS @kim`)
	f.ok("ae", `/deal Acme "ERP" amount:¥6,000,000`)
	f.ok("ae", `/qualify Acme b:yes a:yes`)
	f.now = time.Date(2026, 11, 20, 15, 0, 0, 0, tokyo) // a Friday; Monday the 23rd is a holiday
	f.ok("ae", `/stage Acme won`)
	var ms []*touchbase.Message
	err := f.db.View(context.Background(), func(tx touchbase.Tx) (err error) {
		ms, err = tx.DueMessages(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].To != "kim" || ms[1].To != "kim" {
		t.Fatalf("outbox=%+v, want two messages to kim", ms)
	}
	if got, want := ms[1].NextAttempt, time.Date(2026, 11, 25, 9, 0, 0, 0, tokyo); !got.Equal(want) {
		t.Fatalf("onboarding follow-up at %v, want %v (two business days, skipping the weekend and 勤労感謝の日)", got, want)
	}
	r, err := handlers.DecodeReply(ms[1].Body)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "follow-up", r.Title, "Onboarding follow-up: Acme")
}

// Ensure a rep is registered by their first command that runs, in its
// transaction, and not by one that is refused: a refusal changes nothing,
// even for someone touchbase has not met.
func TestHandler_RegisterWithTheCommand(t *testing.T) {
	f := newFixture(t)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	before := f.export()
	for _, tt := range []struct{ line, code string }{
		{`/log bogus Acme`, touchbase.EINVALID},         // refused before the store
		{`/log call Acme hello`, touchbase.EFORBIDDEN},  // refused in the transaction
		{`/followups @nobody`, touchbase.ENOTFOUND},     // refused while only reading
		{`/convert Acme amount:5x`, touchbase.EINVALID}, // refused before the store
		{`/lead Ken company:Beta owner:@nobody`, touchbase.ENOTFOUND},
	} {
		f.refused("newbie", tt.line, tt.code)
	}
	if after := f.export(); after != before {
		t.Fatalf("refusals registered the rep:\nbefore %s\nafter %s", before, after)
	}
	rep := func(id string) *touchbase.Rep {
		t.Helper()
		var r *touchbase.Rep
		err := f.db.View(context.Background(), func(tx touchbase.Tx) (err error) { r, err = tx.Rep(id); return err })
		if touchbase.ErrorCode(err) == touchbase.ENOTFOUND {
			return nil
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// A command that only reads registers after it ran; one that writes,
	// with its change.
	f.ok("newbie", `/followups`)
	if r := rep("newbie"); r == nil || r.TimeZone != "Asia/Tokyo" {
		t.Fatalf("rep after /followups=%+v, want registered in Asia/Tokyo", r)
	}
	r := f.ok("kato", `/lead "Ken Ito" company:Beta owner:@kato`)
	contains(t, "lead", r.Title, "owner @kato")
	if rep("kato") == nil {
		t.Fatal("kato not registered by /lead")
	}
}

// Ensure the verbs that take a name and options read all their words as
// the name, as typed in a hurry without quotes.
func TestHandler_NameOfSeveralWords(t *testing.T) {
	f := newFixture(t)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	f.ok("sato", `/lead "Jiro Suzuki" company:"Acme Trading"`)
	f.ok("sato", `/qualify lead#1 b:yes n:yes`)
	r := f.ok("sato", `/convert acme kk amount:5m`)
	contains(t, "convert", r.Title, "Converted Taro Yamada (Acme KK)")
	r = f.ok("sato", `/tb nurture jiro suzuki until:+30d`)
	contains(t, "nurture", r.Title, "Jiro Suzuki (Acme Trading) moved to nurture")
}

// Ensure help for a command that does not exist lists them all and says
// which one was likely meant.
func TestHandler_HelpUnknown(t *testing.T) {
	f := newFixture(t)
	r := f.ok("sato", `/tb help lgo`)
	if len(r.Warnings) != 1 {
		t.Fatalf("Warnings=%q, want one", r.Warnings)
	}
	contains(t, "help", r.Warnings[0], `There is no command "lgo". Did you mean /log? See /tb help log.`)
	contains(t, "help", r.Text(), "/tb disqualify")
}
