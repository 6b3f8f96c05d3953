package handlers

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/touchbase/touchbase"
)

// convert turns a qualified lead into an account (reused when one of the same
// name exists), a contact and an opportunity at stage 1, and hands it to the
// Field Sales owner named by to:.
func (c *call) convert() (*Reply, error) {
	c.joinName()
	amount, close, err := c.amountAndClose()
	if err != nil {
		return nil, err
	}
	if err := checkName("name:", c.cmd.Opts["name"], verbSpecOf("convert").Examples[0]); err != nil {
		return nil, err
	}
	reply := &Reply{}
	err = c.update(func(tx touchbase.Tx) error {
		t, err := c.resolve(tx, 0, wantConvertible)
		if err != nil {
			return err
		}
		l := t.lead
		if err := c.authorize(tx, l.Owner, l.Label()); err != nil {
			return err
		}
		if !l.BANT.Qualified(c.cfg().BANTThreshold) {
			return touchbase.Errorf(touchbase.EINVALID, "%s is not qualified: BANT %s is %d of 4 yes, %d needed. Record it first: /qualify %s b:yes n:yes",
				l.Label(), l.BANT.Summary(), l.BANT.Yes(), c.cfg().BANTThreshold, t.ref())
		}
		owner, err := c.repOpt(tx, "to", c.user.ID)
		if err != nil {
			return err
		}
		company := cmp.Or(l.Company, l.Name)
		acct, err := c.accountFor(tx, company, owner, l.Source)
		if err != nil {
			return err
		}
		contact := &touchbase.Contact{AccountID: acct.ID, Name: l.Name, Title: l.Title, Email: l.Email, Phone: l.Phone, CreatedAt: c.now.UTC()}
		if l.BANT.Authority.Answer == touchbase.Yes {
			contact.Role = touchbase.RoleDecisionMaker
		}
		if l.Name != "" {
			if err := tx.CreateContact(contact); err != nil {
				return err
			}
		}
		o := c.newOpportunity(tx, acct, cmp.Or(c.cmd.Opts["name"], company), owner, amount, close)
		o.ContactID, o.LeadID, o.Source, o.BANT = contact.ID, l.ID, l.Source, l.BANT
		o.Touches, o.LastTouch = 0, l.LastTouch
		if err := tx.CreateOpportunity(o); err != nil {
			return err
		}
		l.Status, l.AccountID, l.ContactID, l.OpportunityID = touchbase.LeadConverted, acct.ID, contact.ID, o.ID
		l.ConvertedAt = c.now.UTC()
		l.NextFollowUp, l.UpdatedAt = touchbase.Date{}, c.now.UTC()
		if err := tx.UpdateLead(l); err != nil {
			return err
		}
		reply.Title = fmt.Sprintf("Converted %s into opportunity %s (opp#%d) at stage 1 %s.", l.Label(), o.Name, o.ID, c.cfg().StageName(1))
		reply.Fields = c.oppFields(o)
		reply.Fields = append(reply.Fields, Field{"Owner", repName(tx, owner)})
		if owner != l.Owner {
			h := &touchbase.Handoff{At: c.now.UTC(), Kind: touchbase.HandoffSQL, From: l.Owner, To: owner, LeadID: l.ID, OpportunityID: o.ID}
			if err := tx.CreateHandoff(h); err != nil {
				return err
			}
			reply.Lines = append(reply.Lines, fmt.Sprintf("Handed to %s; they are told now.", repName(tx, owner)))
			return c.notify(tx, reply, owner, &Reply{
				Title:  fmt.Sprintf("%s handed you a new opportunity: %s (opp#%d).", repName(tx, l.Owner), o.Name, o.ID),
				Fields: append(c.oppFields(o), Field{"BANT", o.BANT.Summary()}, Field{"Contact", l.Label()}),
				Actions: []Action{{Label: "Log call", Command: "log call opp#" + strconv.FormatUint(o.ID, 10)},
					{Label: "Send back", Command: "stage opp#" + strconv.FormatUint(o.ID, 10) + " back reason:"}},
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}

func (c *call) amountAndClose() (touchbase.Money, touchbase.Date, error) {
	var m touchbase.Money
	if v, ok := c.cmd.Opts["amount"]; ok {
		var err error
		if m, err = c.parseAmount(v); err != nil {
			return m, touchbase.Date{}, optErr("amount", err)
		}
	}
	d, err := c.dateOpt("close")
	return m, d, err
}

// accountFor returns the account named name (or account#ID), creating it
// when there is none.
func (c *call) accountFor(tx touchbase.Tx, name, owner, source string) (*touchbase.Account, error) {
	if kind, id, ok := parseRef(name); ok {
		if kind != touchbase.RefAccount {
			return nil, touchbase.Errorf(touchbase.EINVALID, "%s is not an account: name the company, as in /deal Acme \"ERP rollout\".", name)
		}
		a, err := tx.Account(id)
		if err != nil {
			return nil, c.noRef(err, "account", id)
		}
		return a, nil
	}
	refs, err := tx.Search(name, 20)
	if err != nil {
		return nil, err
	}
	key := touchbase.NameKey(name)
	for _, r := range refs {
		if r.Kind != touchbase.RefAccount || !r.Exact {
			continue
		}
		a, err := tx.Account(r.ID)
		if err != nil {
			return nil, err
		}
		if touchbase.NameKey(a.Name) == key {
			return a, nil
		}
	}
	a := &touchbase.Account{Name: name, Owner: owner, Source: source, CreatedAt: c.now.UTC()}
	return a, tx.CreateAccount(a)
}

func (c *call) newOpportunity(tx touchbase.Tx, acct *touchbase.Account, name, owner string, amount touchbase.Money, close touchbase.Date) *touchbase.Opportunity {
	cur := amount.Currency
	if cur == "" {
		cur = c.cfg().Currency
	}
	cal, _ := c.calendar(tx, owner)
	next, _ := c.cfg().Cadence.Next(0, c.today, cal)
	return &touchbase.Opportunity{
		AccountID: acct.ID, Name: name, AmountMinor: amount.Minor, Currency: cur, CloseDate: close,
		Stage: 1, Status: touchbase.OpportunityOpen, Owner: owner, Source: acct.Source,
		NextFollowUp: next, StageEnteredAt: c.now.UTC(), CreatedAt: c.now.UTC(), UpdatedAt: c.now.UTC(),
		History: []touchbase.StageChange{{At: c.now.UTC(), By: c.user.ID, Kind: touchbase.StageCreated, To: 1}},
	}
}

func (c *call) oppFields(o *touchbase.Opportunity) []Field {
	amount := "not set"
	if o.AmountMinor > 0 {
		amount = touchbase.FormatMoney(o.Amount())
	}
	close := "not set"
	if !o.CloseDate.IsZero() {
		close = o.CloseDate.String()
	}
	return []Field{
		{"Stage", fmt.Sprintf("%d %s (%d%%)", o.Stage, c.cfg().StageName(o.Stage), c.cfg().Probability(o))},
		{"Amount", amount},
		{"Close", close},
	}
}

// deal creates an opportunity directly on an account.
func (c *call) deal() (*Reply, error) {
	args := c.cmd.Args
	if len(args) == 0 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Which account? Try: %s", verbSpecOf("deal").Examples[0])
	}
	if len(args) > 2 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Too many words: quote the account and the opportunity name, as in %s", verbSpecOf("deal").Examples[0])
	}
	amount, close, err := c.amountAndClose()
	if err != nil {
		return nil, err
	}
	name := args[0]
	if len(args) == 2 {
		name = args[1]
	} else if _, _, ok := parseRef(name); ok {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Name the opportunity: /deal %s \"ERP rollout\"", name)
	}
	if err := checkName("The account's name", args[0], verbSpecOf("deal").Examples[0]); err != nil {
		return nil, err
	}
	if err := checkName("The opportunity's name", name, verbSpecOf("deal").Examples[0]); err != nil {
		return nil, err
	}
	reply := &Reply{}
	err = c.update(func(tx touchbase.Tx) error {
		owner, err := c.repOpt(tx, "owner", c.user.ID)
		if err != nil {
			return err
		}
		acct, err := c.accountFor(tx, args[0], owner, "")
		if err != nil {
			return err
		}
		o := c.newOpportunity(tx, acct, name, owner, amount, close)
		if err := tx.CreateOpportunity(o); err != nil {
			return err
		}
		reply.Title = fmt.Sprintf("Created opportunity %s for %s (opp#%d), owner %s.", o.Name, acct.Name, o.ID, repName(tx, owner))
		reply.Fields = c.oppFields(o)
		reply.Actions = []Action{{Label: "Log meeting", Command: "log meeting opp#" + strconv.FormatUint(o.ID, 10)}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}

// stage moves an opportunity: next, prev, a number, a stage name, won, lost,
// or back to Inside Sales.
func (c *call) stage() (*Reply, error) {
	if len(c.cmd.Args) < 2 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Which opportunity, and to which stage? Try /stage Acme next, /stage Acme 4, /stage Acme won or /stage Acme lost reason:\"budget cut\".")
	}
	to := strings.Join(c.cmd.Args[1:], " ")
	amount, close, err := c.amountAndClose()
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(c.cmd.Opts["reason"])
	reply := &Reply{}
	err = c.update(func(tx touchbase.Tx) error {
		t, err := c.resolve(tx, 0, wantOpenOpp)
		if err != nil {
			return err
		}
		o := t.opp
		if err := c.authorize(tx, o.Owner, o.Name); err != nil {
			return err
		}
		if amount.Minor > 0 {
			o.AmountMinor, o.Currency = amount.Minor, amount.Currency
		}
		if !close.IsZero() {
			o.CloseDate = close
		}
		now := c.now.UTC()
		switch key := touchbase.Fold(to); key {
		case "lost", "lose", "失注":
			if reason == "" {
				return touchbase.Errorf(touchbase.EINVALID, "Say why it was lost, for the win/loss review: /stage %s lost reason:\"budget cut\"", t.ref())
			}
			o.Status, o.LostReason, o.ClosedAt, o.NextFollowUp = touchbase.OpportunityLost, reason, now, touchbase.Date{}
			o.History = append(o.History, touchbase.StageChange{At: now, By: c.user.ID, Kind: touchbase.StageLost, From: o.Stage, To: o.Stage, Reason: reason})
			reply.Title = fmt.Sprintf("%s marked lost at stage %d %s: %s.", o.Name, o.Stage, c.cfg().StageName(o.Stage), reason)
		case "back", "sendback", "return", "差し戻し":
			if err := c.sendBack(tx, o, reason, reply); err != nil {
				return err
			}
		default:
			n, err := c.stageNumber(o, key)
			if err != nil {
				return err
			}
			m, err := c.cfg().PlanMove(o, n)
			if err != nil {
				return err
			}
			o.History = append(o.History, touchbase.StageChange{At: now, By: c.user.ID, Kind: m.Kind, From: m.From, To: m.To, Reason: reason})
			o.Stage, o.StageEnteredAt = m.To, now
			if m.Warning != "" {
				reply.Warnings = append(reply.Warnings, m.Warning)
			}
			switch m.Kind {
			case touchbase.StageWon:
				o.Status, o.ClosedAt, o.NextFollowUp = touchbase.OpportunityWon, now, touchbase.Date{}
				reply.Title = fmt.Sprintf("%s won: %s. Congratulations!", o.Name, touchbase.FormatMoney(o.Amount()))
				if err := c.handToSuccess(tx, o, reply); err != nil {
					return err
				}
			case touchbase.StageBack:
				reply.Title = fmt.Sprintf("%s moved back to stage %d %s (from %d).", o.Name, m.To, c.cfg().StageName(m.To), m.From)
			default:
				reply.Title = fmt.Sprintf("%s moved to stage %d %s (%d%%).", o.Name, m.To, c.cfg().StageName(m.To), c.cfg().Probability(o))
			}
		}
		o.UpdatedAt = now
		reply.Fields = append(c.oppFields(o), reply.Fields...)
		if o.Open() {
			reply.Actions = append(reply.Actions, Action{Label: "Next stage", Command: "stage " + t.ref() + " next"})
		}
		return tx.UpdateOpportunity(o)
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}

// stageNumber reads next, prev, a number or a stage name.
func (c *call) stageNumber(o *touchbase.Opportunity, key string) (int, error) {
	switch key {
	case "next", "advance", "+1", "次":
		if o.Stage >= c.cfg().Won() {
			return 0, touchbase.Errorf(touchbase.ECONFLICT, "%s is at the last stage.", o.Name)
		}
		return o.Stage + 1, nil
	case "prev", "previous", "-1", "前":
		if o.Stage <= 1 {
			return 0, touchbase.Errorf(touchbase.ECONFLICT, "%s is at the first stage.", o.Name)
		}
		return o.Stage - 1, nil
	case "won", "win", "受注", "closed won":
		return c.cfg().Won(), nil
	}
	n, err := strconv.Atoi(key)
	if err != nil {
		n = c.cfg().StageByName(key)
	}
	if n >= 1 && n <= len(c.cfg().Stages) {
		return n, nil
	}
	names := make([]string, len(c.cfg().Stages))
	for i, s := range c.cfg().Stages {
		names[i] = fmt.Sprintf("%d %s", i+1, s.Name)
	}
	what := quoteWord(key) + " is not a stage"
	if err == nil {
		what = fmt.Sprintf("There is no stage %d", n)
	}
	return 0, touchbase.Errorf(touchbase.EINVALID, "%s. Write next, prev, won, lost, back, a number or a stage name, as in /stage opp#%d next: %s.", what, o.ID, strings.Join(names, ", "))
}

// sendBack returns an opportunity to the Inside Sales rep who converted it,
// at stage 1, with the reason: the return the digest counts.
func (c *call) sendBack(tx touchbase.Tx, o *touchbase.Opportunity, reason string, reply *Reply) error {
	if reason == "" {
		return touchbase.Errorf(touchbase.EINVALID, "Say why it goes back, so Inside Sales can fix it: /stage opp#%d back reason:\"no budget\"", o.ID)
	}
	to, err := c.repOpt(tx, "to", "")
	if err != nil {
		return err
	}
	if _, named := c.cmd.Opts["to"]; !named && o.LeadID != 0 {
		l, err := tx.Lead(o.LeadID)
		if err != nil {
			return err
		}
		to = l.Owner
	}
	if to == "" || to == o.Owner {
		return touchbase.Errorf(touchbase.EINVALID, "%s has no Inside Sales owner to go back to. Name one: /stage opp#%d back reason:%q to:@rep", o.Name, o.ID, reason)
	}
	now := c.now.UTC()
	h := &touchbase.Handoff{At: now, Kind: touchbase.HandoffSentBack, From: o.Owner, To: to, OpportunityID: o.ID, LeadID: o.LeadID, Reason: reason}
	if err := tx.CreateHandoff(h); err != nil {
		return err
	}
	o.History = append(o.History, touchbase.StageChange{At: now, By: c.user.ID, Kind: touchbase.StageSentBack, From: o.Stage, To: 1, Reason: reason})
	from := o.Owner
	o.Owner, o.Stage, o.StageEnteredAt = to, 1, now
	o.NextFollowUp = c.today
	reply.Title = fmt.Sprintf("%s sent back to %s: %s.", o.Name, repName(tx, to), reason)
	return c.notify(tx, reply, to, &Reply{
		Title:   fmt.Sprintf("%s sent %s (opp#%d) back to you: %s.", repName(tx, from), o.Name, o.ID, reason),
		Actions: []Action{{Label: "Qualify again", Command: "qualify opp#" + strconv.FormatUint(o.ID, 10)}},
	})
}

// handToSuccess hands a won account to Customer Success (to: when given,
// else the first member of the first Customer Success team) and starts its
// contract: a renewal due at start + term, with the ARR of arr: or the
// deal's amount.
func (c *call) handToSuccess(tx touchbase.Tx, o *touchbase.Opportunity, reply *Reply) error {
	arr, term, err := c.contractTerms(o)
	if err != nil {
		return err
	}
	to, err := c.repOpt(tx, "to", "")
	if err != nil {
		return err
	}
	if _, named := c.cmd.Opts["to"]; !named {
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		for _, t := range teams {
			if t.Function == touchbase.CustomerSuccess && len(t.Members)+len(t.Managers) > 0 {
				to = slices.Concat(t.Members, t.Managers)[0]
				break
			}
		}
	}
	keeper := cmp.Or(to, o.Owner)
	acct, err := tx.Account(o.AccountID)
	if err != nil {
		return err
	}
	if acct.CustomerSince.IsZero() {
		acct.CustomerSince = c.today
	}
	acct.SuccessOwner = keeper
	if err := tx.UpdateAccount(acct); err != nil {
		return err
	}
	if o.Kind == touchbase.KindNew && arr.Minor > 0 {
		r := &touchbase.Renewal{
			AccountID: acct.ID, OpportunityID: o.ID, Owner: keeper, ARRMinor: arr.Minor, Currency: arr.Currency,
			Start: c.today, Due: c.today.AddMonths(term), TermMonths: term, Status: touchbase.RenewalPending, CreatedAt: c.now.UTC(),
		}
		if err := tx.CreateRenewal(r); err != nil {
			return err
		}
		reply.Lines = append(reply.Lines, fmt.Sprintf("Contract started: %s a year for %d months; renewal due %s.", touchbase.FormatMoney(arr), term, formatDate(r.Due)))
	}
	if to == "" {
		reply.Lines = append(reply.Lines, "No Customer Success team yet to hand the account to: /tb team create \"CS\" customer_success #cs")
		return nil
	}
	if to == o.Owner {
		return nil
	}
	h := &touchbase.Handoff{At: c.now.UTC(), Kind: touchbase.HandoffWon, From: o.Owner, To: to, OpportunityID: o.ID}
	if err := tx.CreateHandoff(h); err != nil {
		return err
	}
	reply.Lines = append(reply.Lines, fmt.Sprintf("Handed to %s (Customer Success) for onboarding.", repName(tx, to)))
	if err := c.notify(tx, reply, to, &Reply{
		Title: fmt.Sprintf("New customer for you: %s won %s (%s). Plan the onboarding.", repName(tx, o.Owner), o.Name, touchbase.FormatMoney(o.Amount())),
	}); err != nil {
		return err
	}
	// The onboarding follow-up: two business days later, at 09:00 where the
	// Customer Success rep is.
	cal, loc := c.calendar(tx, to)
	day := cal.AddBusinessDays(touchbase.DateOf(c.now.In(loc)), 2)
	return c.notifyAt(tx, reply, to, &Reply{
		Title: fmt.Sprintf("Onboarding follow-up: %s became a customer %s. Has the kick-off happened?", acct.Name, formatDate(c.today)),
		Lines: []string{fmt.Sprintf("%s won it; the contract's renewal is tracked. Log the kick-off, or look for more business.", repName(tx, o.Owner))},
		Actions: []Action{
			{Label: "Upsell", Command: fmt.Sprintf("upsell account#%d \"Upsell\"", acct.ID)},
			{Label: "Cross-sell", Command: fmt.Sprintf("upsell account#%d cross \"Cross-sell\"", acct.ID)},
		},
	}, c.cfg().ReminderTime(day, loc))
}

// contractTerms reads arr: (default: the deal's amount) and term: (months;
// default 12) of a win.
func (c *call) contractTerms(o *touchbase.Opportunity) (touchbase.Money, int, error) {
	arr := o.Amount()
	if v, ok := c.cmd.Opts["arr"]; ok {
		m, err := c.parseAmount(v)
		if err != nil {
			return m, 0, optErr("arr", err)
		}
		arr = m
	}
	term, err := c.termOpt()
	return arr, term, err
}

// termOpt reads term: as months: 12, 12m, 24m, 1y, 2y. Default 12.
func (c *call) termOpt() (int, error) {
	v, ok := c.cmd.Opts["term"]
	if !ok {
		return 12, nil
	}
	s := strings.ToLower(strings.TrimSpace(touchbase.Fold(v)))
	mult := 1
	switch {
	case strings.HasSuffix(s, "y"):
		s, mult = strings.TrimSuffix(s, "y"), 12
	case strings.HasSuffix(s, "ヶ月"), strings.HasSuffix(s, "か月"):
		s = strings.TrimSuffix(strings.TrimSuffix(s, "ヶ月"), "か月")
	case strings.HasSuffix(s, "m"):
		s = strings.TrimSuffix(s, "m")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n*mult > 120 {
		return 0, touchbase.Errorf(touchbase.EINVALID, "term: %q is not a contract term: try term:12m, term:24m or term:1y.", v)
	}
	return n * mult, nil
}
