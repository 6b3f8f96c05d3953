package handlers

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/touchbase/touchbase"
)

// FollowUp is one lead or opportunity due for a touch.
type FollowUp struct {
	Ref      string // lead#12 or opp#7
	Label    string
	Due      touchbase.Date
	Overdue  int // days past due, 0 when due today or later
	Touches  int
	LastNote string
}

// followups lists what is due today (or this week) for the caller or a
// named rep, overdue first.
func (c *call) followups() (*Reply, error) {
	through, span := c.today, "today"
	owner := c.user.ID
	for _, a := range c.cmd.Args {
		switch {
		case isRepMention(a):
			if owner != c.user.ID {
				return nil, touchbase.Errorf(touchbase.EINVALID, "Name one rep: /followups %s, then /followups %s.", owner, a)
			}
			owner = a
		case touchbase.Fold(a) == "today" || touchbase.Fold(a) == "今日":
		case touchbase.Fold(a) == "week" || touchbase.Fold(a) == "今週":
			// Through the end of this week (Sunday).
			through, span = c.today.AddDays((7-int(c.today.Weekday()))%7), "this week"
		default:
			return nil, touchbase.Errorf(touchbase.EINVALID, "%q: write /followups, /followups week or /followups @rep.", a)
		}
	}
	reply := &Reply{}
	err := c.view(func(tx touchbase.Tx) error {
		if owner != c.user.ID {
			r, err := findRep(tx, owner)
			if err != nil {
				return err
			}
			owner = r.ID
		}
		due, err := DueFollowUps(tx, owner, c.today, through)
		if err != nil {
			return err
		}
		who := "you"
		if owner != c.user.ID {
			who = repName(tx, owner)
		}
		if len(due) == 0 {
			reply.Title = fmt.Sprintf("Nothing due %s for %s.", span, who)
			return nil
		}
		reply.Title = fmt.Sprintf("%s due %s for %s:", plural(len(due), "follow-up"), span, who)
		cad := c.cfg().Cadence.Touches
		for _, f := range due {
			when := "due " + formatDate(f.Due)
			if f.Overdue > 0 {
				when = plural(f.Overdue, "day") + " overdue"
			} else if f.Due == c.today {
				when = "due today"
			}
			line := fmt.Sprintf("%s — %s, touch %d of %d next", f.Label, when, f.Touches+1, cad)
			if f.LastNote != "" {
				line += "; last: “" + f.LastNote + "”"
			}
			reply.Items = append(reply.Items, Item{Text: line + " (" + f.Ref + ")", Actions: FollowUpActions(f.Ref, strings.HasPrefix(f.Ref, "lead#"))})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}

// DueFollowUps returns owner's open leads and opportunities whose next
// follow-up is on or before through, overdue first (oldest due first), with
// the note of their last touch. today dates the overdue count.
func DueFollowUps(tx touchbase.Tx, owner string, today, through touchbase.Date) ([]FollowUp, error) {
	leads, err := tx.Leads(touchbase.LeadFilter{Owner: owner, Open: true, DueBy: through})
	if err != nil {
		return nil, err
	}
	opps, err := tx.Opportunities(touchbase.OpportunityFilter{Owner: owner, Open: true, DueBy: through})
	if err != nil {
		return nil, err
	}
	var out []FollowUp
	lastNote := func(f touchbase.ActivityFilter) (string, error) {
		note := ""
		err := tx.Activities(f, func(a *touchbase.Activity) error { note = a.Note; return nil })
		return note, err
	}
	for _, l := range leads {
		note, err := lastNote(touchbase.ActivityFilter{LeadID: l.ID})
		if err != nil {
			return nil, err
		}
		out = append(out, FollowUp{Ref: fmt.Sprintf("lead#%d", l.ID), Label: l.Label(), Due: l.NextFollowUp, Touches: l.Touches, LastNote: note})
	}
	for _, o := range opps {
		note, err := lastNote(touchbase.ActivityFilter{OpportunityID: o.ID})
		if err != nil {
			return nil, err
		}
		out = append(out, FollowUp{Ref: fmt.Sprintf("opp#%d", o.ID), Label: o.Name, Due: o.NextFollowUp, Touches: o.Touches, LastNote: note})
	}
	for i := range out {
		out[i].Overdue = max(today.Sub(out[i].Due), 0)
	}
	slices.SortStableFunc(out, func(a, b FollowUp) int {
		return cmp.Or(a.Due.Compare(b.Due), strings.Compare(a.Label, b.Label))
	})
	return out, nil
}

// pipeline shows open opportunities by stage: count, amount, weighted
// amount, and the stalled ones.
func (c *call) pipeline() (*Reply, error) {
	scope := "me"
	if len(c.cmd.Args) > 1 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Name one scope: /pipeline, /pipeline all, /pipeline @rep or /pipeline #team.")
	}
	if len(c.cmd.Args) == 1 {
		scope = c.cmd.Args[0]
	}
	reply := &Reply{}
	err := c.view(func(tx touchbase.Tx) error {
		var owners []string // nil: everyone
		title := "Your pipeline"
		switch {
		case touchbase.Fold(scope) == "me":
			owners = []string{c.user.ID}
		case touchbase.Fold(scope) == "all":
			title = "Pipeline, all reps"
		case isRepMention(scope):
			r, err := findRep(tx, scope)
			if err != nil {
				return err
			}
			owners, title = []string{r.ID}, "Pipeline of "+repName(tx, r.ID)
		case strings.HasPrefix(scope, "#") || strings.HasPrefix(scope, "<#"):
			t, err := c.teamByChannelOrName(tx, scope)
			if err != nil {
				return err
			}
			owners, title = slices.Concat(t.Members, t.Managers), "Pipeline of "+t.Name
		default:
			t, err := c.teamByChannelOrName(tx, scope)
			if err != nil {
				return touchbase.Errorf(touchbase.EINVALID, "%q: write /pipeline, /pipeline all, /pipeline @rep or /pipeline #team.", scope)
			}
			owners, title = slices.Concat(t.Members, t.Managers), "Pipeline of "+t.Name
		}
		var opps []*touchbase.Opportunity
		if owners == nil {
			all, err := tx.Opportunities(touchbase.OpportunityFilter{Open: true})
			if err != nil {
				return err
			}
			opps = all
		}
		for _, o := range owners {
			mine, err := tx.Opportunities(touchbase.OpportunityFilter{Owner: o, Open: true})
			if err != nil {
				return err
			}
			opps = append(opps, mine...)
		}
		p := touchbase.Pipeline(c.cfg(), opps, c.now)
		reply.Title = fmt.Sprintf("%s: %s open, %s, weighted %s.", title, plural(p.Count, "opportunity"), p.Total.String(), p.Weighted.String())
		if p.Count == 0 {
			reply.Title = title + ": no open opportunities."
		}
		for i, s := range p.Stages {
			if s.Count == 0 {
				continue
			}
			reply.Lines = append(reply.Lines, fmt.Sprintf("%d %s (%d%%): %d — %s, weighted %s", i+1, c.cfg().Stages[i].Name,
				c.cfg().Stages[i].Probability, s.Count, s.Amount.String(), s.Weighted.String()))
		}
		if len(p.Stalled) > 0 {
			reply.Lines = append(reply.Lines, fmt.Sprintf("Stalled (longer in stage than its average): %d", len(p.Stalled)))
			for _, o := range p.Stalled[:min(len(p.Stalled), 10)] {
				reply.Lines = append(reply.Lines, fmt.Sprintf("  %s — %d days in %s, owner %s", o.Name, o.Days, c.cfg().StageName(o.Stage), repName(tx, o.Owner)))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}
