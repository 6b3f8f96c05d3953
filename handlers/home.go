package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/touchbase/touchbase"
)

// FollowUpActions are the buttons of a follow-up: log it, snooze it, mark
// it done, or park it.
func FollowUpActions(ref string, lead bool) []Action {
	a := []Action{
		{Label: "Log call", Command: "log call " + ref, Primary: true},
		{Label: "Log email", Command: "log email " + ref},
		{Label: "Snooze 1 day", Command: "snooze " + ref + " tomorrow"},
		{Label: "Snooze 3 days", Command: "snooze " + ref + " +3d"},
		{Label: "Snooze a week", Command: "snooze " + ref + " next mon"},
		{Label: "Done", Command: "log note " + ref + " \"follow-up done\""},
	}
	if lead {
		a = append(a, Action{Label: "Move to nurture", Command: "nurture " + ref})
	} else {
		a = append(a, Action{Label: "Next stage", Command: "stage " + ref + " next"})
	}
	return a
}

// Home is what a rep sees on their own page (Slack's App Home): today's
// follow-ups with buttons, their open pipeline by stage, and the week's
// touches.
func (h *Handler) Home(ctx context.Context, u User) (*Reply, error) {
	c := &call{h: h, ctx: ctx, user: u, cmd: &Command{}, now: h.Now(), loc: h.location(ctx, u.TimeZone)}
	c.today = touchbase.DateOf(c.now.In(c.loc))
	weekStart := c.today.AddDays(-((int(c.today.Weekday()) + 6) % 7))
	r := &Reply{}
	err := h.DB.View(ctx, func(tx touchbase.Tx) error {
		due, err := DueFollowUps(tx, u.ID, c.today, c.today)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			r.Title = "Nothing due today. Well done."
		} else {
			r.Title = plural(len(due), "follow-up") + " due today"
		}
		cad := h.Config.Cadence.Touches
		for _, f := range due {
			text := fmt.Sprintf("*%s* — touch %d of %d", f.Label, f.Touches+1, cad)
			if f.Overdue > 0 {
				text += ", " + plural(f.Overdue, "day") + " overdue"
			}
			if f.LastNote != "" {
				text += "\nlast: “" + f.LastNote + "”"
			}
			r.Items = append(r.Items, Item{Text: text, Actions: FollowUpActions(f.Ref, strings.HasPrefix(f.Ref, "lead#"))})
		}
		opps, err := tx.Opportunities(touchbase.OpportunityFilter{Owner: u.ID, Open: true})
		if err != nil {
			return err
		}
		p := touchbase.Pipeline(h.Config, opps, c.now)
		r.Fields = append(r.Fields, Field{"Open pipeline", fmt.Sprintf("%s, %s, weighted %s", plural(p.Count, "opportunity"), p.Total, p.Weighted)})
		for i, s := range p.Stages {
			if s.Count > 0 {
				r.Lines = append(r.Lines, fmt.Sprintf("%d %s: %d — %s", i+1, h.Config.Stages[i].Name, s.Count, s.Amount))
			}
		}
		if len(p.Stalled) > 0 {
			r.Lines = append(r.Lines, plural(len(p.Stalled), "stalled deal")+": "+p.Stalled[0].Name+"…")
		}
		touches := 0
		err = tx.Activities(touchbase.ActivityFilter{Owner: u.ID, Since: weekStart.AddDays(-1)}, func(a *touchbase.Activity) error {
			if !touchbase.DateOf(a.At.In(c.loc)).Before(weekStart) {
				touches++
			}
			return nil
		})
		r.Fields = append(r.Fields, Field{"Touches this week", fmt.Sprint(touches)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}
