package handlers

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/touchbase/touchbase"
)

// maxEmail is the longest email address there is (RFC 5321's path limit
// less its brackets).
const maxEmail = 254

// lead adds a lead owned by the caller (or owner:), warning about likely
// duplicates: the same email, or the same name at the same company.
func (c *call) lead() (*Reply, error) {
	name := strings.TrimSpace(strings.Join(c.cmd.Args, " "))
	company := strings.TrimSpace(c.cmd.Opts["company"])
	example := verbSpecOf("lead").Examples[0]
	if name == "" && company == "" {
		return nil, touchbase.Errorf(touchbase.EINVALID, "A lead needs a name or a company. Try: %s", example)
	}
	for _, n := range []struct{ what, name string }{{"The lead's name", name}, {"company:", company}, {"source:", c.cmd.Opts["source"]}} {
		if err := checkName(n.what, n.name, example); err != nil {
			return nil, err
		}
	}
	email := strings.TrimSpace(c.cmd.Opts["email"])
	if len(email) > maxEmail {
		return nil, touchbase.Errorf(touchbase.EINVALID, "email: is %d characters long, more than an address can be (%d): try email:taro@acme.co.jp", len(email), maxEmail)
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || !strings.Contains(email[strings.IndexByte(email, '@'):], ".") {
			return nil, touchbase.Errorf(touchbase.EINVALID, "email %q is not an email address: try email:taro@acme.co.jp", email)
		}
	}
	l := &touchbase.Lead{
		Name:      name,
		Company:   company,
		Email:     email,
		Title:     c.cmd.Opts["title"],
		Phone:     c.cmd.Opts["phone"],
		Source:    c.cmd.Opts["source"],
		Owner:     c.user.ID,
		Status:    touchbase.LeadNew,
		CreatedAt: c.now.UTC(),
		UpdatedAt: c.now.UTC(),
		// A new lead is due today: the first touch is the one most often skipped.
		NextFollowUp: c.today,
	}
	reply := &Reply{}
	err := c.update(func(tx touchbase.Tx) error {
		owner, err := c.repOpt(tx, "owner", l.Owner)
		if err != nil {
			return err
		}
		l.Owner = owner
		dups, err := c.duplicates(tx, l)
		if err != nil {
			return err
		}
		for _, d := range dups {
			reply.Warnings = append(reply.Warnings, fmt.Sprintf("Possible duplicate: %s (%s, owner %s, lead#%d).", d.Label(), d.Status, repName(tx, d.Owner), d.ID))
		}
		if l.Source != "" {
			if _, err := tx.Campaign(l.Source); touchbase.ErrorCode(err) == touchbase.ENOTFOUND {
				if err := tx.CreateCampaign(&touchbase.Campaign{Name: l.Source, CreatedAt: c.now.UTC()}); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
		}
		if err := tx.CreateLead(l); err != nil {
			return err
		}
		reply.Title = fmt.Sprintf("Added lead %s (lead#%d), owner %s.", l.Label(), l.ID, repName(tx, l.Owner))
		return nil
	})
	if err != nil {
		return nil, err
	}
	reply.Fields = leadFields(l)
	reply.Actions = []Action{
		{Label: "Log call", Command: "log call lead#" + fmt.Sprint(l.ID)},
		{Label: "Qualify", Command: "qualify lead#" + fmt.Sprint(l.ID)},
	}
	return reply, nil
}

func leadFields(l *touchbase.Lead) []Field {
	var f []Field
	add := func(label, v string) {
		if v != "" {
			f = append(f, Field{label, v})
		}
	}
	add("Company", l.Company)
	add("Title", l.Title)
	add("Email", l.Email)
	add("Phone", l.Phone)
	add("Source", l.Source)
	add("Status", string(l.Status))
	add("Next follow-up", formatDate(l.NextFollowUp))
	return f
}

func (c *call) duplicates(tx touchbase.Tx, l *touchbase.Lead) ([]*touchbase.Lead, error) {
	var dups []*touchbase.Lead
	seen := map[uint64]bool{}
	if l.Email != "" {
		same, err := tx.Leads(touchbase.LeadFilter{Email: l.Email})
		if err != nil {
			return nil, err
		}
		for _, d := range same {
			seen[d.ID] = true
			dups = append(dups, d)
		}
	}
	if l.Name == "" || l.Company == "" {
		return dups, nil
	}
	refs, err := tx.Search(l.Name, 50)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if r.Kind != touchbase.RefLead || !r.Exact || seen[r.ID] {
			continue
		}
		d, err := tx.Lead(r.ID)
		if err != nil {
			return nil, err
		}
		if touchbase.NameKey(d.Name) == touchbase.NameKey(l.Name) && touchbase.NameKey(d.Company) == touchbase.NameKey(l.Company) {
			seen[d.ID] = true
			dups = append(dups, d)
		}
	}
	return dups, nil
}

// qualify records BANT answers on a lead or an opportunity. Without answers
// it returns the BANT form, for the platform to ask the four questions.
func (c *call) qualify() (*Reply, error) {
	answers, err := c.bantAnswers()
	if err != nil {
		return nil, err
	}
	if len(c.cmd.Args) > 1 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Unexpected %q: /qualify takes one name and b: a: n: t: answers. Quote a name with spaces: /qualify \"Acme KK\" b:yes", strings.Join(c.cmd.Args[1:], " "))
	}
	reply := &Reply{}
	err = c.update(func(tx touchbase.Tx) error {
		t, err := c.resolve(tx, 0, wantQualifiable)
		if err != nil {
			return err
		}
		var bant *touchbase.BANT
		var label string
		if t.lead != nil {
			bant, label = &t.lead.BANT, t.lead.Label()
		} else {
			bant, label = &t.opp.BANT, t.opp.Name
		}
		if len(answers) == 0 {
			reply.Form = bantForm(t.ref(), label, *bant)
			reply.Title = fmt.Sprintf("BANT for %s: %s, %d of 4 yes.", label, bant.Summary(), bant.Yes())
			return nil
		}
		if err := c.authorize(tx, t.owner(), label); err != nil {
			return err
		}
		for i, item := range answers {
			*bant.Item(i) = item
		}
		yes, threshold := bant.Yes(), c.cfg().BANTThreshold
		qualified := bant.Qualified(threshold)
		reply.Title = fmt.Sprintf("BANT for %s: %s — %d of 4 yes.", label, bant.Summary(), yes)
		for i, l := range touchbase.BANTLetters {
			it := bant.Item(i)
			v := it.Answer.String()
			if it.Note != "" {
				v += " — " + it.Note
			}
			reply.Fields = append(reply.Fields, Field{l.Name, v})
		}
		if l := t.lead; l != nil {
			switch {
			case qualified && l.Status != touchbase.LeadQualified:
				l.Status, l.QualifiedAt = touchbase.LeadQualified, c.now.UTC()
			case !qualified && l.Status == touchbase.LeadQualified:
				l.Status, l.QualifiedAt = touchbase.LeadWorking, time.Time{}
			}
			if qualified {
				reply.Lines = append(reply.Lines, fmt.Sprintf("Qualified (%d of 4 needed). Convert it into an opportunity when ready.", threshold))
				reply.Actions = append(reply.Actions, Action{Label: "Convert to opportunity", Command: "convert " + t.ref(), Primary: true})
			} else {
				reply.Lines = append(reply.Lines, fmt.Sprintf("Not qualified yet: %d of 4 yes, %d needed.", yes, threshold))
			}
			l.UpdatedAt = c.now.UTC()
			return tx.UpdateLead(l)
		}
		t.opp.UpdatedAt = c.now.UTC()
		return tx.UpdateOpportunity(t.opp)
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}

// bantAnswers reads b: a: n: t: options. Each is yes/no/unknown, optionally
// followed by a note ("yes 5m"); a bare value that is not an answer is a yes
// with that note, checked for what it should be (an amount for b:, a date
// for t:).
func (c *call) bantAnswers() (map[int]touchbase.BANTItem, error) {
	out := map[int]touchbase.BANTItem{}
	for i, l := range touchbase.BANTLetters {
		v, ok := c.cmd.Opts[l.Key]
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		word, rest, _ := strings.Cut(v, " ")
		if a, ok := touchbase.ParseAnswer(word); ok && v != "" {
			out[i] = touchbase.BANTItem{Answer: a, Note: strings.TrimSpace(rest)}
			continue
		}
		if v == "" {
			return nil, touchbase.Errorf(touchbase.EINVALID, "%s: is empty: write %s:yes, %s:no or %s:unknown.", l.Key, l.Key, l.Key, l.Key)
		}
		switch l.Key {
		case "b":
			m, err := c.parseAmount(v)
			if err != nil {
				return nil, touchbase.Errorf(touchbase.EINVALID, "b: %q is neither yes/no/unknown nor an amount: try b:yes, b:5m or b:500万.", v)
			}
			v = touchbase.FormatMoney(m)
		case "t":
			d, err := touchbase.ParseDate(v, c.today)
			if err != nil {
				return nil, touchbase.Errorf(touchbase.EINVALID, "t: %q is neither yes/no/unknown nor a date: try t:yes, t:2027-03 or t:2027-03-31.", v)
			}
			v = d.String()
		}
		out[i] = touchbase.BANTItem{Answer: touchbase.Yes, Note: v}
	}
	return out, nil
}

func bantForm(ref, label string, b touchbase.BANT) *Form {
	f := &Form{Kind: FormBANT, Title: "Qualify " + label, Target: ref}
	for i, l := range touchbase.BANTLetters {
		it := b.Item(i)
		f.Questions = append(f.Questions, Question{
			Key: l.Key, Label: l.Name, Prompt: l.Question,
			Current: it.Answer.String(), Note: it.Note,
			Options: []string{"yes", "no", "unknown"},
		})
	}
	return f
}

// BANTCommand builds the qualify command a filled BANT form submits:
// answers and notes keyed by the question's Key.
func BANTCommand(ref string, answers, notes map[string]string) string {
	cmd := &Command{Verb: "qualify", Args: []string{ref}, Opts: map[string]string{}}
	for _, l := range touchbase.BANTLetters {
		a, ok := answers[l.Key]
		if !ok {
			continue
		}
		v := a
		if n := strings.TrimSpace(notes[l.Key]); n != "" {
			v += " " + n
		}
		cmd.Opts[l.Key] = v
	}
	return cmd.String()
}

// setLeadStatus parks or closes a lead: nurture or disqualify.
func (c *call) parkLead(status touchbase.LeadStatus) (*Reply, error) {
	c.joinName()
	reason := strings.TrimSpace(c.cmd.Opts["reason"])
	if status == touchbase.LeadDisqualified && reason == "" {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Say why it is disqualified, so the source can be judged: %s", verbSpecOf("disqualify").Examples[0])
	}
	until, err := c.dateOpt("until")
	if err != nil {
		return nil, err
	}
	if status == touchbase.LeadNurture && until.IsZero() {
		until = c.today.AddDays(c.cfg().NurtureDays)
	}
	if !until.IsZero() && !until.After(c.today) {
		return nil, touchbase.Errorf(touchbase.EINVALID, "until: %s is not in the future: try until:+90d or until:2027-04.", until)
	}
	w := wantOpenLead
	if status == touchbase.LeadDisqualified {
		w = wantParkable
	}
	reply := &Reply{}
	err = c.update(func(tx touchbase.Tx) error {
		t, err := c.resolve(tx, 0, w)
		if err != nil {
			return err
		}
		l := t.lead
		if err := c.authorize(tx, l.Owner, l.Label()); err != nil {
			return err
		}
		l.Status, l.Reason, l.UpdatedAt = status, reason, c.now.UTC()
		l.NextFollowUp = touchbase.Date{}
		if status == touchbase.LeadNurture {
			l.RecycleOn = until
			reply.Title = fmt.Sprintf("%s moved to nurture; it comes back on %s.", l.Label(), formatDate(until))
		} else {
			l.RecycleOn = touchbase.Date{}
			reply.Title = fmt.Sprintf("%s disqualified: %s.", l.Label(), reason)
		}
		return tx.UpdateLead(l)
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}

func (c *call) nurture() (*Reply, error)    { return c.parkLead(touchbase.LeadNurture) }
func (c *call) disqualify() (*Reply, error) { return c.parkLead(touchbase.LeadDisqualified) }
