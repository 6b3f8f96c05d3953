package handlers

import (
	"fmt"
	"strings"

	"github.com/touchbase/touchbase"
)

// findAccount resolves an account by name (or account#ID), forgivingly,
// with numbered choices when several match.
func (c *call) findAccount(tx touchbase.Tx, argIndex int) (*touchbase.Account, error) {
	if len(c.cmd.Args) <= argIndex {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Which customer? Try: %s", verbSpecOf(c.cmd.Verb).Examples[0])
	}
	query := c.cmd.Args[argIndex]
	if kind, id, ok := parseRef(query); ok && kind == touchbase.RefAccount {
		a, err := tx.Account(id)
		if err != nil {
			return nil, c.noRef(err, "account", id)
		}
		return a, nil
	}
	refs, err := tx.Search(query, 50)
	if err != nil {
		return nil, err
	}
	var exact, prefix []*touchbase.Account
	for _, r := range refs {
		if r.Kind != touchbase.RefAccount {
			continue
		}
		a, err := tx.Account(r.ID)
		if err != nil {
			return nil, err
		}
		if r.Exact {
			exact = append(exact, a)
		} else {
			prefix = append(prefix, a)
		}
	}
	cands := exact
	if len(cands) == 0 {
		cands = prefix
	}
	switch len(cands) {
	case 0:
		return nil, touchbase.Errorf(touchbase.ENOTFOUND, "No account matches %q. Accounts are created by /convert and /deal.", query)
	case 1:
		return cands[0], nil
	}
	amb := &ambiguousError{query: query}
	for _, a := range cands[:min(len(cands), 10)] {
		alt := *c.cmd
		alt.Args = append([]string(nil), c.cmd.Args...)
		alt.Args[argIndex] = fmt.Sprintf("account#%d", a.ID)
		amb.choices = append(amb.choices, Choice{Label: "Account " + a.Name, Command: alt.String()})
	}
	return nil, amb
}

// renewal records a customer's renewal outcome: renewed starts the next
// term, churned closes the contract with its reason.
func (c *call) renewal() (*Reply, error) {
	if len(c.cmd.Args) < 2 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Name the customer and the outcome: %s or %s", verbSpecOf("renewal").Examples[0], verbSpecOf("renewal").Examples[1])
	}
	// The outcome is the last word; the words before it name the customer,
	// quoted or not ("/renewal acme kk renewed").
	last := len(c.cmd.Args) - 1
	c.cmd.Args = []string{strings.Join(c.cmd.Args[:last], " "), c.cmd.Args[last]}
	outcome := touchbase.Fold(c.cmd.Args[1])
	reason := strings.TrimSpace(c.cmd.Opts["reason"])
	switch outcome {
	case "renewed", "renew", "更新":
		outcome = "renewed"
	case "churned", "churn", "lost", "解約":
		outcome = "churned"
		if reason == "" {
			return nil, touchbase.Errorf(touchbase.EINVALID, "Say why the customer left, for the churn review: /renewal %s churned reason:\"moved to a competitor\"", quoteArg(c.cmd.Args[0]))
		}
	default:
		return nil, touchbase.Errorf(touchbase.EINVALID, "%q: the outcome is renewed or churned, as in %s", c.cmd.Args[1], verbSpecOf("renewal").Examples[0])
	}
	amountText, hasAmount := c.cmd.Opts["amount"]
	if hasAmount {
		// Checked now, read again below in the contract's currency.
		if _, err := c.parseAmount(amountText); err != nil {
			return nil, optErr("amount", err)
		}
	}
	reply := &Reply{}
	err := c.update(func(tx touchbase.Tx) error {
		a, err := c.findAccount(tx, 0)
		if err != nil {
			return err
		}
		pending, err := tx.Renewals(touchbase.RenewalFilter{AccountID: a.ID, Pending: true})
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			return touchbase.Errorf(touchbase.ENOTFOUND, "%s has no contract waiting for renewal. A contract starts when a deal is won: /stage %s won arr:5m term:12m", a.Name, quoteArg(a.Name))
		}
		r := pending[0] // the earliest term still open
		if err := c.authorize(tx, r.Owner, a.Name); err != nil {
			return err
		}
		r.DecidedAt = c.now.UTC()
		if outcome == "churned" {
			r.Status, r.Reason = touchbase.RenewalChurned, reason
			reply.Title = fmt.Sprintf("%s churned at the %s renewal: %s.", a.Name, r.Due, reason)
			return tx.UpdateRenewal(r)
		}
		r.Status = touchbase.RenewalRenewed
		if err := tx.UpdateRenewal(r); err != nil {
			return err
		}
		term := r.TermMonths
		if _, ok := c.cmd.Opts["term"]; ok {
			if term, err = c.termOpt(); err != nil {
				return err
			}
		}
		next := &touchbase.Renewal{
			AccountID: a.ID, OpportunityID: r.OpportunityID, Owner: r.Owner, ARRMinor: r.ARRMinor, Currency: r.Currency,
			Start: r.Due, Due: r.Due.AddMonths(term), TermMonths: term, Status: touchbase.RenewalPending, CreatedAt: c.now.UTC(),
		}
		if hasAmount {
			// An amount typed without a currency is in the contract's.
			amount, err := touchbase.ParseAmount(amountText, r.Currency)
			if err != nil {
				return optErr("amount", err)
			}
			next.ARRMinor, next.Currency = amount.Minor, amount.Currency
		}
		if err := tx.CreateRenewal(next); err != nil {
			return err
		}
		arr := touchbase.Money{Minor: next.ARRMinor, Currency: next.Currency}
		reply.Title = fmt.Sprintf("%s renewed: %s a year; next renewal due %s.", a.Name, touchbase.FormatMoney(arr), formatDate(next.Due))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}

// upsell creates an upsell or cross-sell opportunity on an existing account.
func (c *call) upsell() (*Reply, error) {
	args := c.cmd.Args
	kind := touchbase.KindUpsell
	if len(args) > 1 && (touchbase.Fold(args[1]) == "cross" || touchbase.Fold(args[1]) == "cross-sell") {
		kind = touchbase.KindCrossSell
		args = append(args[:1:1], args[2:]...)
	}
	if len(args) != 2 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Name the customer and the opportunity: %s", verbSpecOf("upsell").Examples[0])
	}
	if err := checkName("The opportunity's name", args[1], verbSpecOf("upsell").Examples[0]); err != nil {
		return nil, err
	}
	amount, close, err := c.amountAndClose()
	if err != nil {
		return nil, err
	}
	reply := &Reply{}
	err = c.update(func(tx touchbase.Tx) error {
		a, err := c.findAccount(tx, 0)
		if err != nil {
			return err
		}
		owner, err := c.repOpt(tx, "owner", c.user.ID)
		if err != nil {
			return err
		}
		o := c.newOpportunity(tx, a, args[1], owner, amount, close)
		o.Kind = kind
		if err := tx.CreateOpportunity(o); err != nil {
			return err
		}
		what := "Upsell"
		if kind == touchbase.KindCrossSell {
			what = "Cross-sell"
		}
		reply.Title = fmt.Sprintf("%s opportunity %s for %s (opp#%d), owner %s.", what, o.Name, a.Name, o.ID, repName(tx, owner))
		reply.Fields = c.oppFields(o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}
