package handlers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/touchbase/touchbase"
)

// ComputeDigest reads the whole workspace in one read transaction and
// computes the digest of the week ending at end. Records stream through the
// builder one at a time, each decoded into the same record as the one
// before, and activities without their notes, so that the memory the digest
// takes is the builder's tally (a few dozen bytes per lead and
// opportunity), whatever the size of the store.
func ComputeDigest(ctx context.Context, db DB, cfg *touchbase.Config, end time.Time, loc *time.Location) (*touchbase.Digest, error) {
	b := touchbase.NewDigestBuilder(cfg, end, loc)
	err := db.View(ctx, func(tx touchbase.Tx) error {
		if err := tx.EachLead(func(l *touchbase.Lead) error { b.AddLead(l); return nil }); err != nil {
			return err
		}
		if err := tx.EachOpportunity(func(o *touchbase.Opportunity) error { b.AddOpportunity(o); return nil }); err != nil {
			return err
		}
		if err := tx.Touches(touchbase.ActivityFilter{}, func(a *touchbase.Activity) error { b.AddActivity(a); return nil }); err != nil {
			return err
		}
		hs, err := tx.Handoffs()
		if err != nil {
			return err
		}
		for _, h := range hs {
			b.AddHandoff(h)
		}
		rs, err := tx.Renewals(touchbase.RenewalFilter{})
		if err != nil {
			return err
		}
		for _, r := range rs {
			b.AddRenewal(r)
		}
		as, err := tx.Accounts()
		if err != nil {
			return err
		}
		for _, a := range as {
			b.AddAccount(a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Digest(), nil
}

// fig formats a count with its week-over-week change: "42 ▲5".
func fig(this, last int) string {
	return fmt.Sprintf("%d %s", this, touchbase.FormatChange(this, last))
}

// rate formats a rate with its change in points: "40% ▼15pt".
func rate(this, last touchbase.Ratio) string {
	s := this.String()
	if pts, arrow, ok := touchbase.RateChange(this, last); ok {
		if pts == 0 {
			return s + " —"
		}
		return fmt.Sprintf("%s %s%dpt", s, arrow, max(pts, -pts))
	}
	return s
}

// DigestReply renders a digest for a team's channel: the bottleneck first,
// then each function's figures with their week-over-week change, by source,
// and by rep for the team's members. names turns rep ids into names.
func DigestReply(cfg *touchbase.Config, d *touchbase.Digest, team *touchbase.Team, names func(string) string) *Reply {
	t, l := d.This, d.Last
	loc := t.End.Location()
	title := "Weekly digest"
	if team != nil {
		title += " · " + team.Name
	}
	week := fmt.Sprintf("%s – %s", t.Start.In(loc).Format("Mon Jan 2"), t.End.In(loc).Add(-time.Second).Format("Mon Jan 2, 2006"))
	r := &Reply{Title: fmt.Sprintf("%s · %s", title, week)}
	r.Lines = append(r.Lines, ":mag: *Bottleneck:* "+d.Bottleneck.Sentence(), "")

	m, lm := t.Marketing, l.Marketing
	r.Lines = append(r.Lines, "*Marketing*",
		fmt.Sprintf("New leads %s · MQLs to Inside Sales %s · returned as poor quality %s", fig(m.NewLeads, lm.NewLeads), fig(m.MQLs, lm.MQLs), fig(m.Returned, lm.Returned)))
	if len(m.BySource) > 0 {
		var parts []string
		for _, s := range m.BySource {
			parts = append(parts, fmt.Sprintf("%s %d", s.Source, s.Count))
		}
		r.Lines = append(r.Lines, "by source: "+strings.Join(parts, ", "))
	}

	is, li := t.InsideSales, l.InsideSales
	r.Lines = append(r.Lines, "", "*Inside Sales*",
		fmt.Sprintf("Leads touched %s · touches logged %s · touches per open lead %s (%s)", fig(is.LeadsTouched, li.LeadsTouched), fig(is.Touches, li.Touches),
			is.TouchesPerOpenLead.Decimal(1), li.TouchesPerOpenLead.Decimal(1)+" last week"),
		fmt.Sprintf("Open leads at %d touches %s · abandoned after one touch %s", cfg.Cadence.Touches, rate(is.ReachedCadence, li.ReachedCadence), fig(is.Abandoned, li.Abandoned)),
		fmt.Sprintf("Qualified (SQL) %s · lead → opportunity %s", fig(is.Qualified, li.Qualified), rate(is.Conversion, li.Conversion)))

	fs, lf := t.FieldSales, l.FieldSales
	r.Lines = append(r.Lines, "", "*Field Sales*",
		fmt.Sprintf("New opportunities %s · open pipeline %d deals, %s, weighted %s", fig(fs.NewOpportunities, lf.NewOpportunities),
			fs.Pipeline.Count, fs.Pipeline.Total, fs.Pipeline.Weighted),
		fmt.Sprintf("Won %s (%s) · lost %s (%s) · win rate %s · days to close %s", fig(fs.Won, lf.Won), fs.WonAmount, fig(fs.Lost, lf.Lost), fs.LostAmount,
			rate(fs.WinRate, lf.WinRate), fs.DaysToClose.Decimal(0)),
		fmt.Sprintf("Sent back to Inside Sales %s · stalled deals %d", fig(fs.SentBack, lf.SentBack), len(fs.Pipeline.Stalled)))
	for i, st := range fs.Pipeline.Stages {
		if st.Count > 0 {
			r.Lines = append(r.Lines, fmt.Sprintf("  %d %s: %d — %s, weighted %s", i+1, cfg.StageName(i+1), st.Count, st.Amount, st.Weighted))
		}
	}
	for _, s := range fs.Pipeline.Stalled[:min(len(fs.Pipeline.Stalled), 5)] {
		r.Lines = append(r.Lines, fmt.Sprintf("  :hourglass: %s — %d days in %s, %s", s.Name, s.Days, cfg.StageName(s.Stage), names(s.Owner)))
	}

	cs, lc := t.CustomerSuccess, l.CustomerSuccess
	r.Lines = append(r.Lines, "", "*Customer Success*",
		fmt.Sprintf("New customers %s · renewals due in 30 days %d (%s), in 90 days %d (%s)", fig(cs.NewCustomers, lc.NewCustomers), cs.Due30, cs.Due30ARR, cs.Due90, cs.Due90ARR),
		fmt.Sprintf("Renewed %s · churned %s · renewal rate %s · upsells %s · cross-sells %s", fig(cs.Renewed, lc.Renewed), fig(cs.Churned, lc.Churned),
			rate(cs.RenewalRate, lc.RenewalRate), fig(cs.Upsells, lc.Upsells), fig(cs.CrossSells, lc.CrossSells)))

	if len(t.BySource) > 0 {
		r.Lines = append(r.Lines, "", "*By source* (to date: lead → opportunity, opportunity → won)")
		for _, s := range t.BySource {
			name := s.Source
			if name == "" {
				name = "(no source)"
			}
			r.Lines = append(r.Lines, fmt.Sprintf("  %s: %d leads, %s → %d opportunities, %s won", name, s.Leads, s.LeadToOpportunity, s.Opportunities, s.OpportunityToWon))
		}
	}
	var reps []touchbase.RepFigures
	for _, rf := range t.ByRep {
		if team == nil || team.HasMember(rf.Owner) {
			reps = append(reps, rf)
		}
	}
	if len(reps) > 0 {
		slices.SortFunc(reps, func(a, b touchbase.RepFigures) int { return b.Touches - a.Touches })
		r.Lines = append(r.Lines, "", "*By rep* (calls · emails · meetings · touches · follow-ups overdue)")
		for _, rf := range reps {
			r.Lines = append(r.Lines, fmt.Sprintf("  %s: %d · %d · %d · %d · %d", names(rf.Owner), rf.Calls, rf.Emails, rf.Meetings, rf.Touches, rf.Overdue))
		}
	}
	return r
}

// DigestChart draws the week's funnel and pipeline by stage.
func DigestChart(cfg *touchbase.Config, d *touchbase.Digest, title string) Chart {
	t := d.This
	c := Chart{
		Title:    title,
		Subtitle: fmt.Sprintf("Week to %s · pipeline %s, weighted %s", t.End.In(t.End.Location()).Add(-time.Second).Format("2006-01-02"), t.FieldSales.Pipeline.Total, t.FieldSales.Pipeline.Weighted),
		Funnel: []FunnelStep{
			{Label: "New leads", Count: t.Marketing.NewLeads},
			{Label: "Qualified", Count: t.InsideSales.Qualified},
			{Label: "Opportunities", Count: t.FieldSales.NewOpportunities},
			{Label: "Won", Count: t.FieldSales.Won},
		},
	}
	for i, st := range t.FieldSales.Pipeline.Stages {
		if i+1 == cfg.Won() {
			break
		}
		c.Stages = append(c.Stages, StageBar{Label: fmt.Sprintf("%d %s", i+1, cfg.StageName(i+1)), Count: st.Count, Amount: shortAmounts(st.Amount), Weighted: shortAmounts(st.Weighted)})
	}
	return c
}

func shortAmounts(a touchbase.Amounts) string {
	if len(a) == 0 {
		return "—"
	}
	var parts []string
	for _, cur := range slices.Sorted(maps.Keys(a)) {
		parts = append(parts, touchbase.FormatMoneyShort(touchbase.Money{Minor: a[cur], Currency: cur}))
	}
	return strings.Join(parts, " + ")
}

// Digest shows the digest of the week to now, to the caller only: of their
// team, or of the team named by #channel or name.
func (c *call) digest() (*Reply, error) {
	var team *touchbase.Team
	var names func(string) string
	err := c.view(func(tx touchbase.Tx) error {
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		if len(c.cmd.Args) > 0 {
			t, err := c.teamByChannelOrName(tx, strings.Join(c.cmd.Args, " "))
			if err != nil {
				return err
			}
			team = t
		} else {
			for _, t := range teams {
				if t.HasMember(c.user.ID) {
					team = t
					break
				}
			}
		}
		reps, err := tx.Reps()
		if err != nil {
			return err
		}
		byID := map[string]string{}
		for _, r := range reps {
			byID[r.ID] = "@" + r.Name
		}
		names = func(id string) string {
			if n, ok := byID[id]; ok {
				return n
			}
			return "@" + id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d, err := ComputeDigest(c.ctx, c.h.DB, c.cfg(), c.now, c.loc)
	if err != nil {
		return nil, err
	}
	r := DigestReply(c.cfg(), d, team, names)
	r.Title = "Preview — " + r.Title
	return r, nil
}
