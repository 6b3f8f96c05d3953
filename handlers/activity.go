package handlers

import (
	"fmt"
	"strings"

	"github.com/touchbase/touchbase"
)

// activityKinds maps what reps type to an activity kind.
var activityKinds = map[string]touchbase.ActivityKind{
	"call": touchbase.ActivityCall, "called": touchbase.ActivityCall, "phone": touchbase.ActivityCall, "tel": touchbase.ActivityCall, "電話": touchbase.ActivityCall,
	"email": touchbase.ActivityEmail, "mail": touchbase.ActivityEmail, "e-mail": touchbase.ActivityEmail, "emailed": touchbase.ActivityEmail, "メール": touchbase.ActivityEmail,
	"meeting": touchbase.ActivityMeeting, "meet": touchbase.ActivityMeeting, "mtg": touchbase.ActivityMeeting, "visit": touchbase.ActivityMeeting, "商談": touchbase.ActivityMeeting, "打合せ": touchbase.ActivityMeeting, "訪問": touchbase.ActivityMeeting,
	"note": touchbase.ActivityNote, "memo": touchbase.ActivityNote, "メモ": touchbase.ActivityNote,
	"demo": touchbase.ActivityDemo, "デモ": touchbase.ActivityDemo,
	"proposal": touchbase.ActivityProposal, "提案": touchbase.ActivityProposal,
}

// log records a touch on the lead or opportunity that best matches the name,
// counts it, and sets the next follow-up from next: or the cadence.
func (c *call) log() (*Reply, error) {
	args := c.cmd.Args
	if len(args) == 0 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "What kind of touch, and with whom? Try: %s", verbSpecOf("log").Examples[0])
	}
	kind, ok := activityKinds[touchbase.Fold(args[0])]
	if !ok {
		return nil, touchbase.Errorf(touchbase.EINVALID, "%q is not a kind of touch: write call, email, meeting, note, demo or proposal first, as in /log call Acme \"asked for pricing\" next:fri", args[0])
	}
	// A trailing "next DATE" written without the colon (as typed in a DM)
	// sets the follow-up.
	nextText, hasNext := c.cmd.Opts["next"]
	if !hasNext && len(args) > 2 {
		if d, n := c.trailingNext(args[2:]); n > 0 {
			nextText, hasNext = d, true
			c.cmd.Args = args[:len(args)-n]
		}
	}
	var next touchbase.Date
	if hasNext {
		d, err := touchbase.ParseDate(nextText, c.today)
		if err != nil {
			return nil, optErr("next", err)
		}
		if d.Before(c.today) {
			return nil, touchbase.Errorf(touchbase.EINVALID, "next: %s is in the past: the next follow-up is today or later, e.g. next:fri or next:+3d.", d)
		}
		next = d
	}
	c.prepareNames(1)
	cad := c.cfg().Cadence
	reply := &Reply{}
	// What the answer is made of, read in the transaction; the answer is
	// written after it, off the store's one writer. One variable, which the
	// transaction's function shares as one allocation rather than four.
	var got struct {
		t       target
		touches *int
		label   string
		note    string
	}
	err := c.update(func(tx touchbase.Tx) error {
		var err error
		got.t, err = c.resolveLong(tx, 1, wantTouchable)
		if err != nil {
			return err
		}
		// The words after the name are the note.
		got.note = strings.TrimSpace(strings.Join(c.cmd.Args[2:], " "))
		a := &touchbase.Activity{
			Kind: kind, Owner: c.user.ID, At: c.now.UTC(), Note: got.note,
			NextStep: c.cmd.Opts["step"], NextDate: next,
		}
		var due *touchbase.Date
		if l := got.t.lead; l != nil {
			if err := c.authorize(tx, l.Owner, l.Label()); err != nil {
				return err
			}
			a.LeadID, got.touches, got.label, due = l.ID, &l.Touches, l.Label(), &l.NextFollowUp
			if l.Status == touchbase.LeadNew || l.Status == touchbase.LeadNurture {
				if l.Status == touchbase.LeadNurture {
					reply.Lines = append(reply.Lines, "Back from nurture: the lead is worked again.")
				}
				l.Status, l.RecycleOn = touchbase.LeadWorking, touchbase.Date{}
			}
			l.LastTouch, l.UpdatedAt = a.At, a.At
		} else {
			o := got.t.opp
			if err := c.authorize(tx, o.Owner, o.Name); err != nil {
				return err
			}
			a.OpportunityID, got.touches, got.label, due = o.ID, &o.Touches, o.Name, &o.NextFollowUp
			o.LastTouch, o.UpdatedAt = a.At, a.At
		}
		*got.touches++
		if next.IsZero() {
			var running bool
			cal, _ := c.calendar(tx, c.user.ID)
			next, running = cad.Next(*got.touches, c.today, cal)
			if !running {
				reply.Lines = append(reply.Lines, fmt.Sprintf("That was touch %d: the cadence of %d is done. Keep going, move it to nurture (/tb nurture %s) or disqualify it.", *got.touches, cad.Touches, got.t.ref()))
			}
		}
		*due = next
		if err := tx.CreateActivity(a); err != nil {
			return err
		}
		if l := got.t.lead; l != nil {
			err = tx.UpdateLead(l)
		} else {
			err = tx.UpdateOpportunity(got.t.opp)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	count := fmt.Sprintf("touch %d of %d", *got.touches, cad.Touches)
	if *got.touches > cad.Touches {
		count = fmt.Sprintf("touch %d, past the cadence of %d", *got.touches, cad.Touches)
	}
	reply.Title = fmt.Sprintf("Logged %s with %s — %s. Next follow-up: %s.", kind, got.label, count, formatDate(next))
	if got.note != "" {
		reply.Lines = append([]string{"“" + got.note + "”"}, reply.Lines...)
	}
	if step := c.cmd.Opts["step"]; step != "" {
		reply.Lines = append(reply.Lines, "Next step: "+step)
	}
	ref := got.t.ref()
	reply.Actions = make([]Action, 1, 3)
	reply.Actions[0] = Action{Label: "Snooze 1 day", Command: "snooze " + ref + " tomorrow"}
	if got.t.lead != nil {
		reply.Actions = append(reply.Actions, Action{Label: "Qualify", Command: "qualify " + ref}, Action{Label: "Move to nurture", Command: "nurture " + ref})
	} else {
		reply.Actions = append(reply.Actions, Action{Label: "Next stage", Command: "stage " + ref + " next"})
	}
	return reply, nil
}

// trailingNext finds "next DATE" at the end of words ("... next fri",
// "... next next mon", "... next 2027-01-10") and returns the date text and
// how many words it took.
func (c *call) trailingNext(words []string) (string, int) {
	for n := 3; n >= 2; n-- {
		if len(words) < n || touchbase.Fold(words[len(words)-n]) != "next" {
			continue
		}
		text := strings.Join(words[len(words)-n+1:], " ")
		if _, err := touchbase.ParseDate(text, c.today); err == nil {
			return text, n
		}
	}
	return "", 0
}

// snooze moves a follow-up to a later day.
func (c *call) snooze() (*Reply, error) {
	when := "tomorrow"
	if len(c.cmd.Args) > 1 {
		when = strings.Join(c.cmd.Args[1:], " ")
	}
	d, err := touchbase.ParseDate(when, c.today)
	if err != nil {
		return nil, err
	}
	if !d.After(c.today) {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Snooze to a later day than today: try /tb snooze Acme tomorrow, +3d or next mon.")
	}
	reply := &Reply{}
	err = c.update(func(tx touchbase.Tx) error {
		t, err := c.resolve(tx, 0, wantTouchable)
		if err != nil {
			return err
		}
		if l := t.lead; l != nil {
			if err := c.authorize(tx, l.Owner, l.Label()); err != nil {
				return err
			}
			l.NextFollowUp, l.UpdatedAt = d, c.now.UTC()
			reply.Title = fmt.Sprintf("Snoozed %s until %s.", l.Label(), formatDate(d))
			return tx.UpdateLead(l)
		}
		o := t.opp
		if err := c.authorize(tx, o.Owner, o.Name); err != nil {
			return err
		}
		o.NextFollowUp, o.UpdatedAt = d, c.now.UTC()
		reply.Title = fmt.Sprintf("Snoozed %s until %s.", o.Name, formatDate(d))
		return tx.UpdateOpportunity(o)
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}
