package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// Scale is the size of a generated workspace.
type Scale struct {
	Leads, Opportunities, Activities int
	Accounts, Handoffs, Renewals     int
}

// FullScale is the workspace of the production-readiness targets.
var FullScale = Scale{Leads: 200_000, Opportunities: 100_000, Activities: 1_000_000, Accounts: 20_000, Handoffs: 5_000, Renewals: 2_000}

// Divided returns s with every count divided by n (at least 1 of each).
func (s Scale) Divided(n int) Scale {
	d := func(v int) int { return max(1, v/n) }
	return Scale{d(s.Leads), d(s.Opportunities), d(s.Activities), d(s.Accounts), d(s.Handoffs), d(s.Renewals)}
}

// numReps is how many reps own the records: the even ones in Tokyo, the odd
// ones in New York.
const numReps = 200

// benchDay is the day the digest is computed on (its week ends at the
// start of it, in Tokyo): Monday 5 April 2027.
var benchDay = touchbase.NewDate(2027, time.April, 5)

var (
	sources    = []string{"Webinar", "Seminar", "Referral", "White paper", "Website", "Ads", "Trade show"}
	notes      = []string{"left a voicemail", "asked for pricing, sending a quote", "CIO joins next call", "budget confirmed for Q3", "no answer", "wants a demo for the team", "comparing with a competitor", ""}
	leadStatus = []touchbase.LeadStatus{touchbase.LeadNew, touchbase.LeadWorking, touchbase.LeadWorking, touchbase.LeadQualified,
		touchbase.LeadWorking, touchbase.LeadConverted, touchbase.LeadNurture, touchbase.LeadDisqualified, touchbase.LeadNew}
	handoffKinds = []touchbase.HandoffKind{touchbase.HandoffMQL, touchbase.HandoffMQL, touchbase.HandoffSQL, touchbase.HandoffWon,
		touchbase.HandoffSentBack, touchbase.HandoffReturned}
)

// owner returns the ID of rep i.
func owner(i int) string { return fmt.Sprintf("U%03d", i%numReps) }

// weekdayNear returns a weekday within 30 days of day: on or up to 30 days
// before it with probability 5%, else in the 30 days after.
func weekdayNear(r *rand.Rand, day touchbase.Date) touchbase.Date {
	for {
		d := day.AddDays(1 + r.IntN(30))
		if r.IntN(100) < 5 {
			d = day.AddDays(-r.IntN(31))
		}
		if w := d.Weekday(); w != time.Saturday && w != time.Sunday {
			return d
		}
	}
}

// Generate returns the workspace of scale s as an export, the same for the
// same s on every run: the shape of the scheduler's Digest1M benchmark.
// Leads and opportunities are created over the 26 weeks before benchDay,
// activities fall in the 13 weeks before it, in time order, each on a
// record that existed by then, and the records' touch counts and last
// touches agree with them; opportunities walk the stages, 3 to 20 days in
// each, and one in ten is lost at each stage.
func Generate(s Scale) *handlers.Export {
	r := rand.New(rand.NewPCG(1, 2))
	end := benchDay.In(time.UTC)
	first := end.AddDate(0, 0, -26*7)
	window := 13 * 7 * 24 * time.Hour
	at := func(from time.Time, span time.Duration, i, n int) time.Time {
		return from.Add(time.Duration(float64(span) * float64(i) / float64(n)))
	}
	createdAt := func(i, n int) time.Time { return at(first, end.Sub(first), i, n) }
	actAt := func(i int) time.Time { return at(end.Add(-window), window, i, s.Activities) }
	madeBy := func(t time.Time, n int) int {
		return max(1, min(n, int(float64(n)*float64(t.Sub(first))/float64(end.Sub(first)))))
	}

	x := &handlers.Export{Version: handlers.ExportVersion, ExportedAt: end}
	owners := make([]string, numReps)
	for i := range owners {
		owners[i] = owner(i)
		zone := "Asia/Tokyo"
		if i%2 == 1 {
			zone = "America/New_York"
		}
		x.Reps = append(x.Reps, &touchbase.Rep{ID: owners[i], Name: fmt.Sprintf("rep%d", i), TimeZone: zone, CreatedAt: first.AddDate(-1, 0, 0)})
	}
	x.Teams = []*touchbase.Team{{Name: "Inside Sales", Function: touchbase.InsideSales, Channel: "#inside-sales",
		Members: owners[2:], Managers: owners[:2], TimeZone: "Asia/Tokyo", CreatedAt: first.AddDate(-1, 0, 0)}}

	// Plan the activities: activity i falls on lead target[i] (>= 0) or
	// opportunity -target[i]-1.
	target := make([]int32, s.Activities)
	leadTouches, leadLast := make([]int32, s.Leads), make([]int32, s.Leads)
	oppTouches, oppLast := make([]int32, s.Opportunities), make([]int32, s.Opportunities)
	for i := range target {
		t := actAt(i)
		if s.Opportunities > 0 && r.IntN(3) == 0 {
			o := r.IntN(madeBy(t, s.Opportunities))
			target[i] = int32(-o - 1)
			oppTouches[o]++
			oppLast[o] = int32(i)
			continue
		}
		l := r.IntN(madeBy(t, s.Leads))
		target[i] = int32(l)
		leadTouches[l]++
		leadLast[l] = int32(i)
	}

	for i := range s.Accounts {
		a := &touchbase.Account{ID: uint64(i + 1), Name: fmt.Sprintf("Acme %d KK", i), Owner: owners[i%numReps], Source: sources[i%len(sources)],
			CreatedAt: first.AddDate(0, -6, 0)}
		if i%4 == 0 {
			a.CustomerSince, a.SuccessOwner = touchbase.DateOf(first.AddDate(0, -3, 0)), owners[(i+1)%numReps]
		}
		x.Accounts = append(x.Accounts, a)
	}

	for i := range s.Leads {
		created := createdAt(i, s.Leads)
		l := &touchbase.Lead{
			ID: uint64(i + 1), Name: fmt.Sprintf("Taro Yamada %d", i), Company: fmt.Sprintf("Acme %d KK", i/2), Email: fmt.Sprintf("taro%d@acme%d.co.jp", i, i/2),
			Phone: "03-1234-5678", Title: "CIO", Source: sources[r.IntN(len(sources))], Owner: owners[i%numReps],
			Status:  leadStatus[r.IntN(len(leadStatus))],
			Touches: int(leadTouches[i]), CreatedAt: created, UpdatedAt: created,
		}
		if l.Touches > 0 {
			l.LastTouch = actAt(int(leadLast[i]))
			l.UpdatedAt = l.LastTouch
		}
		closed := created.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		if closed.After(end) {
			closed = end.Add(-time.Hour)
		}
		switch l.Status {
		case touchbase.LeadQualified:
			l.QualifiedAt = closed
		case touchbase.LeadConverted:
			l.QualifiedAt, l.ConvertedAt, l.UpdatedAt = closed.Add(-time.Hour), closed, closed
			l.AccountID = uint64(1 + i%max(1, s.Accounts))
		case touchbase.LeadNurture:
			l.UpdatedAt, l.RecycleOn = closed, touchbase.DateOf(closed).AddDays(90)
		case touchbase.LeadDisqualified:
			l.UpdatedAt, l.Reason = closed, "no budget"
		}
		if l.Status.Open() {
			l.NextFollowUp = weekdayNear(r, benchDay)
		}
		x.Leads = append(x.Leads, &handlers.ExportLead{Lead: l,
			BANT:      handlers.ExportBANT{Budget: touchbase.Unknown, Authority: touchbase.Unknown, Need: touchbase.Yes, Timeline: touchbase.Unknown},
			BANTNotes: handlers.ExportBANTNotes{Need: "replace the legacy ERP"}})
	}

	won := touchbase.DefaultConfig().Won()
	for i := range s.Opportunities {
		created := createdAt(i, s.Opportunities)
		own := owners[(i*7)%numReps]
		o := &touchbase.Opportunity{
			ID: uint64(i + 1), AccountID: uint64(1 + i%max(1, s.Accounts)), Name: fmt.Sprintf("ERP rollout %d", i),
			AmountMinor: int64(1+r.IntN(50)) * 1_000_000, Currency: "JPY", Stage: 1, Status: touchbase.OpportunityOpen,
			Owner: own, Source: sources[r.IntN(len(sources))],
			Touches: int(oppTouches[i]), StageEnteredAt: created, CreatedAt: created, UpdatedAt: created,
			History: []touchbase.StageChange{{At: created, By: own, Kind: touchbase.StageCreated, To: 1}},
		}
		if i%5 == 0 {
			o.Currency, o.AmountMinor = "USD", o.AmountMinor/100
		}
		if o.Touches > 0 {
			o.LastTouch = actAt(int(oppLast[i]))
		}
		at := created
		for {
			next := at.Add(time.Duration(3+r.IntN(18)) * 24 * time.Hour)
			if !next.Before(end) {
				break
			}
			if r.IntN(10) == 0 {
				o.Status, o.ClosedAt, o.LostReason = touchbase.OpportunityLost, next, "went with a competitor"
				o.History = append(o.History, touchbase.StageChange{At: next, By: own, Kind: touchbase.StageLost, From: o.Stage, To: o.Stage, Reason: o.LostReason})
				break
			}
			kind := touchbase.StageAdvance
			if o.Stage+1 == won {
				kind = touchbase.StageWon
			}
			o.History = append(o.History, touchbase.StageChange{At: next, By: own, Kind: kind, From: o.Stage, To: o.Stage + 1})
			o.Stage, o.StageEnteredAt, at = o.Stage+1, next, next
			if o.Stage == won {
				o.Status, o.ClosedAt = touchbase.OpportunityWon, next
				break
			}
		}
		o.UpdatedAt = o.StageEnteredAt
		if o.ClosedAt.After(o.UpdatedAt) {
			o.UpdatedAt = o.ClosedAt
		}
		o.CloseDate = touchbase.DateOf(o.UpdatedAt).AddDays(30)
		if o.Open() {
			o.NextFollowUp = weekdayNear(r, benchDay)
		}
		x.Opportunities = append(x.Opportunities, &handlers.ExportOpportunity{Opportunity: o,
			BANT:      handlers.ExportBANT{Budget: touchbase.Yes, Authority: touchbase.No, Need: touchbase.Yes, Timeline: touchbase.Unknown},
			BANTNotes: handlers.ExportBANTNotes{Budget: "5m", Authority: "CIO decides", Need: "replace legacy ERP"}})
	}

	kinds := touchbase.ActivityKinds
	x.Activities = make([]*touchbase.Activity, 0, s.Activities)
	for i := range s.Activities {
		t := actAt(i)
		a := &touchbase.Activity{ID: uint64(i + 1), Kind: kinds[r.IntN(len(kinds))], At: t, Note: notes[r.IntN(len(notes))],
			NextDate: touchbase.DateOf(t).AddDays(2 + r.IntN(6))}
		if tg := int(target[i]); tg >= 0 {
			a.LeadID, a.Owner = uint64(tg+1), owners[tg%numReps]
		} else {
			a.OpportunityID, a.Owner = uint64(-tg), owners[((-tg-1)*7)%numReps]
		}
		if a.Note != "" {
			a.NextStep = "call back"
		}
		x.Activities = append(x.Activities, a)
	}

	for i := range s.Handoffs {
		h := &touchbase.Handoff{ID: uint64(i + 1), At: end.Add(-time.Duration(r.Int64N(int64(window)))), Kind: handoffKinds[r.IntN(len(handoffKinds))],
			From: owners[r.IntN(numReps)], To: owners[r.IntN(numReps)], LeadID: uint64(1 + r.IntN(max(1, s.Leads)))}
		if h.Kind != touchbase.HandoffMQL && h.Kind != touchbase.HandoffReturned {
			h.OpportunityID = uint64(1 + r.IntN(max(1, s.Opportunities)))
		}
		if h.Kind == touchbase.HandoffSentBack || h.Kind == touchbase.HandoffReturned {
			h.Reason = "not qualified"
		}
		x.Handoffs = append(x.Handoffs, h)
	}

	for i := range s.Renewals {
		due := benchDay.AddDays(r.IntN(400) - 35)
		rn := &touchbase.Renewal{ID: uint64(i + 1), AccountID: uint64(1 + i%max(1, s.Accounts)), Owner: owners[(i+1)%numReps], ARRMinor: int64(1+r.IntN(20)) * 1_000_000,
			Currency: "JPY", Start: due.AddMonths(-12), Due: due, TermMonths: 12, Status: touchbase.RenewalPending,
			CreatedAt: due.AddMonths(-12).In(time.UTC)}
		if due.Before(benchDay) {
			rn.Status, rn.DecidedAt = touchbase.RenewalRenewed, due.In(time.UTC).Add(-time.Duration(r.IntN(10*24))*time.Hour)
			if r.IntN(5) == 0 {
				rn.Status, rn.Reason = touchbase.RenewalChurned, "budget cut"
			}
		}
		x.Renewals = append(x.Renewals, rn)
	}
	return x
}
