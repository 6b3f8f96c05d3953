package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/touchbase/touchbase"
)

// Reminder builds a rep's daily reminder for today: every open lead and
// opportunity due or overdue, overdue first, with days overdue, which touch
// is next, and the last touch's note; a record whose cadence is done offers
// to keep going, nurture or disqualify. It returns nil when nothing is due:
// no message is better than an empty one.
func Reminder(tx touchbase.Tx, cfg *touchbase.Config, repID string, today touchbase.Date) (*Reply, error) {
	due, err := DueFollowUps(tx, repID, today, today)
	if err != nil || len(due) == 0 {
		return nil, err
	}
	overdue := 0
	for _, f := range due {
		if f.Overdue > 0 {
			overdue++
		}
	}
	r := &Reply{Title: fmt.Sprintf("Good morning! %s to follow up today", plural(len(due), "record"))}
	if overdue > 0 {
		r.Title += fmt.Sprintf(", %d overdue", overdue)
	}
	r.Title += "."
	cad := cfg.Cadence.Touches
	// A phone screen holds a couple of dozen; the rest are a command away.
	const shown = 20
	if len(due) > shown {
		r.Lines = append(r.Lines, fmt.Sprintf("The %d most overdue are below; /followups lists all %d.", shown, len(due)))
		due = due[:shown]
	}
	for _, f := range due {
		lead := strings.HasPrefix(f.Ref, "lead#")
		var b strings.Builder
		fmt.Fprintf(&b, "*%s*", f.Label)
		if f.Overdue > 0 {
			fmt.Fprintf(&b, " — %s overdue", plural(f.Overdue, "day"))
		} else {
			b.WriteString(" — due today")
		}
		actions := FollowUpActions(f.Ref, lead)
		if f.Touches >= cad {
			fmt.Fprintf(&b, " · %d touches, the cadence of %d is done: keep going, nurture or disqualify?", f.Touches, cad)
			actions = []Action{{Label: "Keep going: log call", Command: "log call " + f.Ref, Primary: true}}
			if lead {
				actions = append(actions,
					Action{Label: "Move to nurture", Command: "nurture " + f.Ref},
					Action{Label: "Disqualify", Command: "disqualify " + f.Ref + " reason:"})
			} else {
				actions = append(actions, Action{Label: "Mark lost", Command: "stage " + f.Ref + " lost reason:"})
			}
		} else {
			fmt.Fprintf(&b, " · touch %d of %d next", f.Touches+1, cad)
		}
		if f.LastNote != "" {
			fmt.Fprintf(&b, "\nlast: “%s”", f.LastNote)
		}
		r.Items = append(r.Items, Item{Text: b.String(), Actions: actions})
	}
	return r, nil
}

// StalledNotice tells an owner that a deal has been in its stage longer than
// the stage's average.
func StalledNotice(cfg *touchbase.Config, o *touchbase.Opportunity, now time.Time) *Reply {
	days := int(now.Sub(o.StageEnteredAt).Hours() / 24)
	st := cfg.Stages[o.Stage-1]
	ref := fmt.Sprintf("opp#%d", o.ID)
	return &Reply{
		Title: fmt.Sprintf("%s has been in %s for %d days (the average is %d): is it stuck?", o.Name, st.Name, days, st.AvgDays),
		Lines: []string{"Move it forward, log what is happening, or close it."},
		Actions: []Action{
			{Label: "Next stage", Command: "stage " + ref + " next", Primary: true},
			{Label: "Log call", Command: "log call " + ref},
			{Label: "Mark lost", Command: "stage " + ref + " lost reason:"},
		},
	}
}

// RenewalNotice reminds a customer's owner of a renewal days ahead.
func RenewalNotice(r *touchbase.Renewal, account string, days int) *Reply {
	arr := touchbase.Money{Minor: r.ARRMinor, Currency: r.Currency}
	return &Reply{
		Title: fmt.Sprintf("%s renews in %d days (%s): %s a year.", account, days, formatDate(r.Due), touchbase.FormatMoney(arr)),
		Lines: []string{"Plan the renewal conversation; look for upsell and cross-sell while you are at it."},
		Actions: []Action{
			{Label: "Renewed", Command: fmt.Sprintf("renewal account#%d renewed", r.AccountID), Primary: true},
			{Label: "Upsell", Command: fmt.Sprintf("upsell account#%d \"Upsell\"", r.AccountID)},
		},
	}
}
