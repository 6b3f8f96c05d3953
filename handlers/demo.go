package handlers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/touchbase/touchbase"
)

// Demo describes the demo data set: who is who, for the demo's printout.
type Demo struct {
	Teams []*touchbase.Team
	// Rep is an Inside Sales rep with follow-ups due, whose reminder the
	// demo shows.
	Rep                                        string
	Leads, Opportunities, Activities, Renewals int
}

// demoPeople are the demo's reps by team: name, function, channel, members, manager.
var demoTeams = []struct {
	name     string
	fn       touchbase.Function
	channel  string
	members  []string
	managers []string
}{
	{"Marketing", touchbase.Marketing, "#marketing", []string{"mika"}, []string{"ono"}},
	{"IS Tokyo", touchbase.InsideSales, "#is-tokyo", []string{"sato", "kato", "ito"}, []string{"ishii"}},
	{"FS Tokyo", touchbase.FieldSales, "#fs-tokyo", []string{"tanaka", "suzuki"}, []string{"mori"}},
	{"CS Tokyo", touchbase.CustomerSuccess, "#cs-tokyo", []string{"kim"}, []string{"hayashi"}},
}

var demoSources = []struct {
	name   string
	weight int
	// quality scales the chance that a lead from this source qualifies.
	quality float64
}{
	{"Nov webinar", 25, 1.0}, {"Oct seminar", 15, 1.3}, {"ERP white paper", 20, 0.7},
	{"Website form", 20, 0.9}, {"Referral", 8, 2.0}, {"Trade show", 12, 0.6},
}

var demoCompanies = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
	"Aperture", "Monarch", "Vandelay", "Wonka", "Gringotts", "Oscorp", "Nakatomi", "Yoyodyne", "Massive", "Dunder",
	"Sakura", "Fuji", "Kintaro", "Hikari", "Midori", "Tsubasa", "Yamato", "Asahi", "Kaze", "Hoshi"}

var demoFirst = []string{"Taro", "Hanako", "Ken", "Yui", "Sho", "Aya", "Daiki", "Mei", "Ren", "Sora", "Haruto", "Rin", "Yuto", "Saki", "Kaito"}
var demoLast = []string{"Yamada", "Suzuki", "Takahashi", "Watanabe", "Ito", "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamaguchi"}

var lostReasons = []string{"budget cut", "chose a competitor", "no decision", "timing: next fiscal year", "price"}

// SeedDemo fills an empty database with a realistic quarter of a sales team
// that works The Model: four teams, a few hundred leads from six campaigns
// with their touches (many stopping after one), BANT, conversions,
// opportunities moved through the stages with their history, wins, losses
// with reasons, send-backs, contracts with renewals coming up, renewed and
// churned, and upsells. The same seed gives the same data.
func SeedDemo(ctx context.Context, db DB, cfg *touchbase.Config, now time.Time, seed uint64) (*Demo, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		loc = time.UTC
	}
	d := &Demo{Rep: "sato"}
	g := &demoGen{cfg: cfg, rng: rng, now: now, loc: loc, cal: touchbase.CalendarForZone("Asia/Tokyo")}
	err = db.Update(ctx, func(tx touchbase.Tx) error {
		g.tx = tx
		start := now.AddDate(0, 0, -91)
		for _, t := range demoTeams {
			team := &touchbase.Team{Name: t.name, Function: t.fn, Channel: t.channel, Members: t.members, Managers: t.managers, TimeZone: "Asia/Tokyo", CreatedAt: start}
			for _, id := range append(append([]string{}, t.members...), t.managers...) {
				if err := tx.PutRep(&touchbase.Rep{ID: id, Name: id, TimeZone: "Asia/Tokyo", CreatedAt: start}); err != nil {
					return err
				}
			}
			if err := tx.PutTeam(team); err != nil {
				return err
			}
			d.Teams = append(d.Teams, team)
		}
		for _, s := range demoSources {
			if err := tx.CreateCampaign(&touchbase.Campaign{Name: s.name, CreatedAt: start}); err != nil {
				return err
			}
		}
		// Customers won before the quarter, with renewals coming up.
		for i := range 14 {
			if err := g.oldCustomer(i); err != nil {
				return err
			}
		}
		for i := range 320 {
			created := start.Add(time.Duration(rng.Int64N(int64(now.Sub(start)))))
			if err := g.lead(i, created); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.Leads, d.Opportunities, d.Activities, d.Renewals = g.leads, g.opps, g.acts, g.renewals
	return d, nil
}

type demoGen struct {
	tx                               touchbase.Tx
	cfg                              *touchbase.Config
	rng                              *rand.Rand
	now                              time.Time
	loc                              *time.Location
	cal                              touchbase.Calendar
	leads, opps, acts, renewals, seq int
}

func (g *demoGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// workTime moves t to a business day between 09:00 and 18:00 in Tokyo.
func (g *demoGen) workTime(t time.Time) time.Time {
	day := g.cal.AddBusinessDays(touchbase.DateOf(t.In(g.loc)), 0)
	return day.In(g.loc).Add(9*time.Hour + time.Duration(g.rng.IntN(9*60))*time.Minute).UTC()
}

func (g *demoGen) activity(kind touchbase.ActivityKind, owner string, at time.Time, leadID, oppID uint64, note string) error {
	g.acts++
	return g.tx.CreateActivity(&touchbase.Activity{Kind: kind, Owner: owner, At: at, LeadID: leadID, OpportunityID: oppID, Note: note})
}

var leadNotes = []string{"intro call", "left a voicemail", "sent the price list", "asked for a demo", "interested, needs budget approval",
	"no answer", "sent a case study", "call back next week", "wants a proposal", "evaluating competitors"}

func (g *demoGen) lead(i int, created time.Time) error {
	g.seq++
	src := demoSources[0]
	w := g.rng.IntN(100)
	for _, s := range demoSources {
		if w < s.weight {
			src = s
			break
		}
		w -= s.weight
	}
	company := fmt.Sprintf("%s %s", g.pick(demoCompanies), []string{"KK", "Inc.", "Holdings", "Systems", "Trading", "Works"}[g.rng.IntN(6)])
	owner := demoTeams[1].members[i%3]
	created = g.workTime(created)
	l := &touchbase.Lead{
		Name: g.pick(demoFirst) + " " + g.pick(demoLast), Company: company, Title: g.pick([]string{"CIO", "IT manager", "CFO", "Head of Sales", "Engineer"}),
		Source: src.name, Owner: owner, Status: touchbase.LeadNew, CreatedAt: created, UpdatedAt: created,
	}
	l.Email = fmt.Sprintf("lead%d@example.co.jp", i)
	if err := g.tx.CreateLead(l); err != nil {
		return err
	}
	g.leads++
	if err := g.tx.CreateHandoff(&touchbase.Handoff{At: created, Kind: touchbase.HandoffMQL, From: "mika", To: owner, LeadID: l.ID}); err != nil {
		return err
	}
	// Touches: almost half stop after one.
	touches := 0
	switch r := g.rng.Float64(); {
	case r < 0.08:
		touches = 0
	case r < 0.50:
		touches = 1
	default:
		touches = 2 + g.rng.IntN(5)
	}
	at := created
	cad := g.cfg.Cadence
	for n := 1; n <= touches; n++ {
		if n > 1 {
			next, _ := cad.Next(n-1, touchbase.DateOf(at.In(g.loc)), g.cal)
			at = g.workTime(next.In(g.loc).Add(time.Duration(g.rng.IntN(3)) * 24 * time.Hour))
		}
		if at.After(g.now) {
			break
		}
		kind := touchbase.ActivityCall
		if g.rng.IntN(3) == 0 {
			kind = touchbase.ActivityEmail
		}
		if err := g.activity(kind, owner, at, l.ID, 0, g.pick(leadNotes)); err != nil {
			return err
		}
		l.Touches, l.LastTouch, l.Status = n, at, touchbase.LeadWorking
	}
	today := touchbase.DateOf(g.now.In(g.loc))
	if l.Touches > 0 {
		next, _ := cad.Next(l.Touches, touchbase.DateOf(l.LastTouch.In(g.loc)), g.cal)
		l.NextFollowUp = next
	} else {
		l.NextFollowUp = touchbase.DateOf(created.In(g.loc))
	}
	// Qualification: more touches, better source, better odds.
	pq := float64(l.Touches) * 0.1 * src.quality
	switch {
	case l.Touches >= 2 && g.rng.Float64() < pq:
		l.BANT = touchbase.BANT{Budget: touchbase.BANTItem{Answer: touchbase.Yes, Note: "¥" + fmt.Sprint(1+g.rng.IntN(20)) + "m"},
			Need: touchbase.BANTItem{Answer: touchbase.Yes, Note: "replace spreadsheets"}}
		if g.rng.IntN(2) == 0 {
			l.BANT.Authority = touchbase.BANTItem{Answer: touchbase.Yes, Note: "the CIO decides"}
		}
		l.Status, l.QualifiedAt = touchbase.LeadQualified, l.LastTouch.Add(time.Hour)
		if g.rng.Float64() < 0.7 && l.QualifiedAt.Add(48*time.Hour).Before(g.now) {
			return g.convert(l)
		}
	case l.Touches >= 3 && g.rng.Float64() < 0.25:
		l.Status, l.RecycleOn, l.NextFollowUp = touchbase.LeadNurture, today.AddDays(20+g.rng.IntN(80)), touchbase.Date{}
		l.Reason = "not now: budget next fiscal year"
	case l.Touches >= 2 && g.rng.Float64() < 0.12:
		l.Status, l.Reason, l.NextFollowUp = touchbase.LeadDisqualified, g.pick([]string{"student", "competitor", "no budget ever", "wrong contact"}), touchbase.Date{}
		if g.rng.IntN(3) == 0 {
			if err := g.tx.CreateHandoff(&touchbase.Handoff{At: l.LastTouch, Kind: touchbase.HandoffReturned, From: owner, To: "mika", LeadID: l.ID, Reason: "poor quality: " + l.Reason}); err != nil {
				return err
			}
		}
	}
	l.UpdatedAt = maxTime(l.CreatedAt, l.LastTouch)
	return g.tx.UpdateLead(l)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// convert turns a qualified lead into an account, a contact and an
// opportunity for Field Sales, and plays the opportunity forward.
func (g *demoGen) convert(l *touchbase.Lead) error {
	at := g.workTime(l.QualifiedAt.Add(time.Duration(24+g.rng.IntN(72)) * time.Hour))
	if at.After(g.now) {
		at = g.now.Add(-time.Hour)
	}
	a := &touchbase.Account{Name: l.Company, Owner: "", Source: l.Source, CreatedAt: at}
	ae := demoTeams[2].members[g.rng.IntN(2)]
	a.Owner = ae
	if err := g.tx.CreateAccount(a); err != nil {
		return err
	}
	c := &touchbase.Contact{AccountID: a.ID, Name: l.Name, Title: l.Title, Email: l.Email, CreatedAt: at}
	if err := g.tx.CreateContact(c); err != nil {
		return err
	}
	o := &touchbase.Opportunity{
		AccountID: a.ID, ContactID: c.ID, LeadID: l.ID, Name: l.Company + " — " + g.pick([]string{"CRM rollout", "ERP upgrade", "Analytics", "Support plan"}),
		AmountMinor: int64(1+g.rng.IntN(30)) * 1_000_000, Currency: "JPY", Stage: 1, Status: touchbase.OpportunityOpen,
		Owner: ae, Source: l.Source, BANT: l.BANT, StageEnteredAt: at, CreatedAt: at, UpdatedAt: at,
		History: []touchbase.StageChange{{At: at, By: l.Owner, Kind: touchbase.StageCreated, To: 1}},
	}
	if err := g.tx.CreateOpportunity(o); err != nil {
		return err
	}
	g.opps++
	l.Status, l.ConvertedAt, l.AccountID, l.ContactID, l.OpportunityID, l.NextFollowUp = touchbase.LeadConverted, at, a.ID, c.ID, o.ID, touchbase.Date{}
	l.UpdatedAt = at
	if err := g.tx.UpdateLead(l); err != nil {
		return err
	}
	if err := g.tx.CreateHandoff(&touchbase.Handoff{At: at, Kind: touchbase.HandoffSQL, From: l.Owner, To: ae, LeadID: l.ID, OpportunityID: o.ID}); err != nil {
		return err
	}
	return g.play(o, l)
}

var oppNotes = []string{"discovery meeting", "demo to the IT team", "sent the proposal", "price negotiation", "security review",
	"met the decision maker", "legal review of the contract", "workshop on requirements"}

// play moves an opportunity through the stages from its creation until now:
// each stage takes about its average days (some much longer: stalled), with
// a meeting or call per stage, and the deal ends won, lost, sent back or
// still open.
func (g *demoGen) play(o *touchbase.Opportunity, l *touchbase.Lead) error {
	at := o.CreatedAt
	won := g.cfg.Won()
	// Authority is needed at stage 4: most deals find the decision maker.
	if o.BANT.Authority.Answer != touchbase.Yes && g.rng.IntN(10) < 7 {
		o.BANT.Authority = touchbase.BANTItem{Answer: touchbase.Yes, Note: "the CIO"}
	}
	fate := g.rng.Float64()
	for {
		st := g.cfg.Stages[o.Stage-1]
		// A quarter is short for eight stages: the demo's deals move at
		// an eighth of the stage averages, and one in eight gets stuck.
		stay := float64(max(st.AvgDays, 3)) * (0.05 + g.rng.Float64()*0.15)
		if g.rng.IntN(8) == 0 {
			stay = float64(st.AvgDays) * 1.5
		}
		next := at.Add(time.Duration(stay * 24 * float64(time.Hour)))
		// A touch in the middle of the stage.
		mid := g.workTime(at.Add(next.Sub(at) / 2))
		if mid.Before(g.now) {
			kind := []touchbase.ActivityKind{touchbase.ActivityMeeting, touchbase.ActivityCall, touchbase.ActivityDemo, touchbase.ActivityProposal}[g.rng.IntN(4)]
			if err := g.activity(kind, o.Owner, mid, 0, o.ID, g.pick(oppNotes)); err != nil {
				return err
			}
			o.Touches++
			o.LastTouch = mid
		}
		if next.After(g.now) {
			break // still in this stage today
		}
		next = g.workTime(next)
		switch {
		case o.Stage == 1 && fate < 0.06:
			// Field Sales sends it back: not really qualified.
			o.History = append(o.History, touchbase.StageChange{At: next, By: o.Owner, Kind: touchbase.StageSentBack, From: 1, To: 1, Reason: "no budget this year"})
			if err := g.tx.CreateHandoff(&touchbase.Handoff{At: next, Kind: touchbase.HandoffSentBack, From: o.Owner, To: l.Owner, OpportunityID: o.ID, LeadID: l.ID, Reason: "no budget this year"}); err != nil {
				return err
			}
			o.Owner = l.Owner
			o.StageEnteredAt = next
			return g.finish(o)
		case o.Stage >= 2 && g.rng.Float64() < 0.07:
			o.Status, o.LostReason, o.ClosedAt = touchbase.OpportunityLost, g.pick(lostReasons), next
			o.History = append(o.History, touchbase.StageChange{At: next, By: o.Owner, Kind: touchbase.StageLost, From: o.Stage, To: o.Stage, Reason: o.LostReason})
			return g.finish(o)
		case o.Stage == 3 && o.BANT.Authority.Answer != touchbase.Yes:
			// Stuck before the decision maker's approval.
			o.StageEnteredAt = at
			return g.finish(o)
		}
		to := o.Stage + 1
		kind := touchbase.StageAdvance
		if to == won {
			kind = touchbase.StageWon
		}
		o.History = append(o.History, touchbase.StageChange{At: next, By: o.Owner, Kind: kind, From: o.Stage, To: to})
		o.Stage, o.StageEnteredAt, at = to, next, next
		if to == won {
			o.Status, o.ClosedAt = touchbase.OpportunityWon, next
			if err := g.winContract(o, next); err != nil {
				return err
			}
			return g.finish(o)
		}
	}
	return g.finish(o)
}

// finish sets the follow-up of an open deal and stores it.
func (g *demoGen) finish(o *touchbase.Opportunity) error {
	if o.Open() {
		last := maxTime(o.LastTouch, o.StageEnteredAt)
		next, _ := g.cfg.Cadence.Next(max(o.Touches, 1), touchbase.DateOf(last.In(g.loc)), g.cal)
		o.NextFollowUp = next
	} else {
		o.NextFollowUp = touchbase.Date{}
	}
	o.UpdatedAt = maxTime(o.StageEnteredAt, maxTime(o.LastTouch, o.ClosedAt))
	return g.tx.UpdateOpportunity(o)
}

// winContract hands a won account to Customer Success with a 12-month
// contract, and sometimes an upsell.
func (g *demoGen) winContract(o *touchbase.Opportunity, at time.Time) error {
	cs := demoTeams[3].members[0]
	a, err := g.tx.Account(o.AccountID)
	if err != nil {
		return err
	}
	a.CustomerSince, a.SuccessOwner = touchbase.DateOf(at.In(g.loc)), cs
	if err := g.tx.UpdateAccount(a); err != nil {
		return err
	}
	if err := g.tx.CreateHandoff(&touchbase.Handoff{At: at, Kind: touchbase.HandoffWon, From: o.Owner, To: cs, OpportunityID: o.ID}); err != nil {
		return err
	}
	start := touchbase.DateOf(at.In(g.loc))
	g.renewals++
	return g.tx.CreateRenewal(&touchbase.Renewal{AccountID: a.ID, OpportunityID: o.ID, Owner: cs, ARRMinor: o.AmountMinor, Currency: o.Currency,
		Start: start, Due: start.AddMonths(12), TermMonths: 12, Status: touchbase.RenewalPending, CreatedAt: at})
}

// oldCustomer is an account won 8 to 13 months ago: its renewal is coming
// up, or was decided this quarter (renewed or churned).
func (g *demoGen) oldCustomer(i int) error {
	wonAt := g.workTime(g.now.AddDate(0, -8-g.rng.IntN(7), -g.rng.IntN(28)))
	cs := demoTeams[3].members[0]
	a := &touchbase.Account{Name: fmt.Sprintf("%s Customer %d", g.pick(demoCompanies), i), Owner: "tanaka", Source: "Referral",
		CreatedAt: wonAt.AddDate(0, -2, 0), CustomerSince: touchbase.DateOf(wonAt.In(g.loc)), SuccessOwner: cs}
	if err := g.tx.CreateAccount(a); err != nil {
		return err
	}
	o := &touchbase.Opportunity{AccountID: a.ID, Name: a.Name + " — CRM rollout", AmountMinor: int64(3+g.rng.IntN(20)) * 1_000_000, Currency: "JPY",
		Stage: g.cfg.Won(), Status: touchbase.OpportunityWon, Owner: "tanaka", Source: "Referral", StageEnteredAt: wonAt, CreatedAt: a.CreatedAt,
		UpdatedAt: wonAt, ClosedAt: wonAt, History: []touchbase.StageChange{{At: a.CreatedAt, By: "tanaka", Kind: touchbase.StageCreated, To: 1},
			{At: wonAt, By: "tanaka", Kind: touchbase.StageWon, From: 1, To: g.cfg.Won()}}}
	if err := g.tx.CreateOpportunity(o); err != nil {
		return err
	}
	g.opps++
	start := touchbase.DateOf(wonAt.In(g.loc))
	r := &touchbase.Renewal{AccountID: a.ID, OpportunityID: o.ID, Owner: cs, ARRMinor: o.AmountMinor, Currency: "JPY",
		Start: start, Due: start.AddMonths(12), TermMonths: 12, Status: touchbase.RenewalPending, CreatedAt: wonAt}
	today := touchbase.DateOf(g.now.In(g.loc))
	if r.Due.Before(today) {
		r.DecidedAt = g.workTime(r.Due.In(g.loc).AddDate(0, 0, -g.rng.IntN(10)))
		if g.rng.IntN(5) == 0 {
			r.Status, r.Reason = touchbase.RenewalChurned, g.pick([]string{"moved to a competitor", "budget cut", "company acquired"})
		} else {
			r.Status = touchbase.RenewalRenewed
		}
	}
	if err := g.tx.CreateRenewal(r); err != nil {
		return err
	}
	g.renewals++
	if r.Status == touchbase.RenewalRenewed {
		next := &touchbase.Renewal{AccountID: a.ID, OpportunityID: o.ID, Owner: cs, ARRMinor: r.ARRMinor * 11 / 10, Currency: "JPY",
			Start: r.Due, Due: r.Due.AddMonths(12), TermMonths: 12, Status: touchbase.RenewalPending, CreatedAt: r.DecidedAt}
		if err := g.tx.CreateRenewal(next); err != nil {
			return err
		}
		g.renewals++
	}
	if g.rng.IntN(3) == 0 {
		at := g.workTime(g.now.AddDate(0, 0, -g.rng.IntN(60)))
		kind := touchbase.KindUpsell
		if g.rng.IntN(2) == 0 {
			kind = touchbase.KindCrossSell
		}
		up := &touchbase.Opportunity{Kind: kind, AccountID: a.ID, Name: a.Name + " — " + g.pick([]string{"Analytics add-on", "Support plan", "More seats"}),
			AmountMinor: int64(1+g.rng.IntN(5)) * 500_000, Currency: "JPY", Stage: 1 + g.rng.IntN(3), Status: touchbase.OpportunityOpen, Owner: cs,
			StageEnteredAt: at, CreatedAt: at, UpdatedAt: at, History: []touchbase.StageChange{{At: at, By: cs, Kind: touchbase.StageCreated, To: 1}}}
		next, _ := g.cfg.Cadence.Next(1, touchbase.DateOf(at.In(g.loc)), g.cal)
		up.NextFollowUp = next
		if err := g.tx.CreateOpportunity(up); err != nil {
			return err
		}
		g.opps++
	}
	return nil
}
