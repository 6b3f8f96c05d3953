package handlers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/touchbase/touchbase"
)

// target is the record a command acts on: a lead or an opportunity.
type target struct {
	lead *touchbase.Lead
	opp  *touchbase.Opportunity
}

func (t target) ref() string {
	if t.lead != nil {
		return "lead#" + strconv.FormatUint(t.lead.ID, 10)
	}
	return "opp#" + strconv.FormatUint(t.opp.ID, 10)
}

func (t target) owner() string {
	if t.lead != nil {
		return t.lead.Owner
	}
	return t.opp.Owner
}

// want says which records a verb may act on.
type want struct {
	leads func(touchbase.LeadStatus) bool // nil: no leads
	opps  bool                            // open opportunities
	what  string                          // "open lead or opportunity", for messages
}

var (
	wantTouchable = want{
		leads: func(s touchbase.LeadStatus) bool { return s.Open() || s == touchbase.LeadNurture },
		opps:  true, what: "open lead or opportunity",
	}
	wantQualifiable = want{
		leads: func(s touchbase.LeadStatus) bool {
			return s != touchbase.LeadConverted && s != touchbase.LeadDisqualified
		},
		opps: true, what: "lead or open opportunity",
	}
	wantConvertible = want{
		leads: func(s touchbase.LeadStatus) bool {
			return s != touchbase.LeadConverted && s != touchbase.LeadDisqualified
		},
		what: "lead that is not converted yet",
	}
	wantOpenLead = want{leads: touchbase.LeadStatus.Open, what: "open lead"}
	wantParkable = want{
		leads: func(s touchbase.LeadStatus) bool { return s.Open() || s == touchbase.LeadNurture },
		what:  "open or nurture lead",
	}
	wantOpenOpp = want{opps: true, what: "open opportunity"}
)

// ambiguousError carries the candidates of a name that matched several
// records; Handle turns it into a Reply with Choices.
type ambiguousError struct {
	query   string
	choices []Choice
}

func (e *ambiguousError) Error() string { return "ambiguous name " + e.query }

func (e *ambiguousError) reply() *Reply {
	return &Reply{
		Title:   fmt.Sprintf("%q matches %d records. Which one?", e.query, len(e.choices)),
		Choices: e.choices,
	}
}

// resolve finds the record that query names, forgivingly (case, width,
// "KK"/"Inc." suffixes, prefixes of the name or of one of its words), or
// an explicit reference such as lead#12 or opp#7. argIndex is the position
// of the query in c.cmd.Args, so that choices can rewrite the command.
func (c *call) resolve(tx touchbase.Tx, argIndex int, w want) (target, error) {
	if len(c.cmd.Args) <= argIndex {
		return target{}, touchbase.Errorf(touchbase.EINVALID, "Which %s? Name it: %s", w.what, verbSpecOf(c.cmd.Verb).Examples[0])
	}
	query := c.cmd.Args[argIndex]
	if kind, id, ok := parseRef(query); ok {
		return c.loadRef(tx, kind, id, w)
	}
	refs, err := tx.SearchKey(c.nameKey(query), 50)
	if err != nil {
		return target{}, err
	}
	// The records the name matches exactly win; those it only prefixes
	// (up to 49 of them) are read only when there are none.
	cands, _, err := candidates(tx, refs, w, true)
	if err != nil {
		return target{}, err
	}
	if len(cands) == 0 {
		if _, cands, err = candidates(tx, refs, w, false); err != nil {
			return target{}, err
		}
	}
	switch len(cands) {
	case 0:
		return target{}, touchbase.Errorf(touchbase.ENOTFOUND, "No %s matches %q. Check the spelling, or list yours with /followups week or /pipeline.", w.what, query)
	case 1:
		return cands[0], nil
	}
	amb := &ambiguousError{query: query}
	for _, t := range cands[:min(len(cands), 10)] {
		alt := *c.cmd
		alt.Args = append([]string(nil), c.cmd.Args...)
		alt.Args[argIndex] = t.ref()
		amb.choices = append(amb.choices, Choice{Label: c.describe(tx, t), Command: alt.String()})
	}
	return target{}, amb
}

// candidates turns search results into the records w accepts, each once:
// those whose name matched exactly, then those it prefixed; with exactOnly,
// the first alone, reading none of the others. An account stands for its
// open opportunities.
func candidates(tx touchbase.Tx, refs []touchbase.Ref, w want, exactOnly bool) (exact, prefix []target, err error) {
	type record struct {
		lead bool
		id   uint64
	}
	seen := map[record]bool{}
	add := func(t target, isExact bool) {
		r := record{lead: t.lead != nil}
		if r.lead {
			r.id = t.lead.ID
		} else {
			r.id = t.opp.ID
		}
		if seen[r] {
			return
		}
		seen[r] = true
		if isExact {
			exact = append(exact, t)
		} else {
			prefix = append(prefix, t)
		}
	}
	for _, r := range refs {
		if exactOnly && !r.Exact {
			continue
		}
		switch r.Kind {
		case touchbase.RefLead:
			if w.leads == nil {
				continue
			}
			l, err := tx.Lead(r.ID)
			if err != nil {
				return nil, nil, err
			}
			if w.leads(l.Status) {
				add(target{lead: l}, r.Exact)
			}
		case touchbase.RefOpportunity:
			if !w.opps {
				continue
			}
			o, err := tx.Opportunity(r.ID)
			if err != nil {
				return nil, nil, err
			}
			if o.Open() {
				add(target{opp: o}, r.Exact)
			}
		case touchbase.RefAccount:
			if !w.opps {
				continue
			}
			opps, err := tx.Opportunities(touchbase.OpportunityFilter{AccountID: r.ID, Open: true})
			if err != nil {
				return nil, nil, err
			}
			for _, o := range opps {
				add(target{opp: o}, r.Exact)
			}
		}
	}
	return exact, prefix, nil
}

func (c *call) loadRef(tx touchbase.Tx, kind touchbase.RefKind, id uint64, w want) (target, error) {
	switch kind {
	case touchbase.RefAccount:
		return target{}, touchbase.Errorf(touchbase.EINVALID, "account#%d is an account; this command needs %s. Name it: %s", id, w.a(), verbSpecOf(c.cmd.Verb).Examples[0])
	case touchbase.RefLead:
		l, err := tx.Lead(id)
		if err != nil {
			return target{}, c.noRef(err, "lead", id)
		}
		if w.leads == nil || !w.leads(l.Status) {
			return target{}, touchbase.Errorf(touchbase.ECONFLICT, "Lead %s is %s; this command needs %s.", l.Label(), l.Status, w.a())
		}
		return target{lead: l}, nil
	default:
		o, err := tx.Opportunity(id)
		if err != nil {
			return target{}, c.noRef(err, "opp", id)
		}
		if !w.opps || !o.Open() {
			return target{}, touchbase.Errorf(touchbase.ECONFLICT, "Opportunity %s is %s; this command needs %s.", o.Name, o.Status, w.a())
		}
		return target{opp: o}, nil
	}
}

// joinName makes all the words of a command one name, for the verbs that
// take a name and options only ("/convert acme kk"), so that no word is
// silently left out of it.
func (c *call) joinName() {
	if len(c.cmd.Args) > 1 {
		c.cmd.Args = []string{strings.Join(c.cmd.Args, " ")}
	}
}

// noRef turns the store's not-found for a reference the rep typed
// (lead#99) into a refusal that says what to write instead.
func (c *call) noRef(err error, kind string, id uint64) error {
	if touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
		return err
	}
	return touchbase.Errorf(touchbase.ENOTFOUND, "There is no %s#%d. Check the number, or name the record instead: %s", kind, id, verbSpecOf(c.cmd.Verb).Examples[0])
}

// a is what w wants with its article: "an open lead".
func (w want) a() string {
	if strings.ContainsRune("aeiou", rune(w.what[0])) {
		return "an " + w.what
	}
	return "a " + w.what
}

// longNameWords is how many words, at most, resolveLong tries as one name.
const longNameWords = 3

// resolveLong resolves the name at argIndex like resolve, but first tries
// it joined with up to two following words (longNameWords in all), for names typed without quotes
// in a hurry ("log call acme kk asked for a demo"): the longest run that
// names exactly one record wins, and the words it took leave c.cmd.Args.
func (c *call) resolveLong(tx touchbase.Tx, argIndex int, w want) (target, error) {
	args := c.cmd.Args
	for n := min(longNameWords, len(args)-argIndex); n >= 2; n-- {
		query := strings.Join(args[argIndex:argIndex+n], " ")
		if _, _, ok := parseRef(args[argIndex]); ok {
			break
		}
		refs, err := tx.SearchKey(c.nameKey(query), 5)
		if err != nil {
			return target{}, err
		}
		if len(refs) == 0 || !refs[0].Exact {
			continue
		}
		joined := *c.cmd
		joined.Args = slices.Concat(args[:argIndex], []string{query}, args[argIndex+n:])
		saved := c.cmd
		c.cmd = &joined
		t, err := c.resolve(tx, argIndex, w)
		if err == nil {
			return t, nil
		}
		c.cmd = saved
	}
	return c.resolve(tx, argIndex, w)
}

// nameKey returns the NameKey of query, worked out once per call. A
// command works out those of the names it will resolve before its
// transaction (see prepareNames), which the store's one writer runs after
// those of other commands.
func (c *call) nameKey(query string) string {
	for _, k := range c.nameKeys {
		if k.query == query {
			return k.key
		}
	}
	key := touchbase.NameKey(query)
	if c.nameKeys == nil {
		c.nameKeys = c.nameKeyBuf[:0]
	}
	c.nameKeys = append(c.nameKeys, queryKey{query, key})
	return key
}

// queryKey is a name as typed and its NameKey.
type queryKey struct{ query, key string }

// prepareNames works out the keys that resolveLong searches for the name at
// argIndex: the name alone and joined with the words after it, up to
// longNameWords.
func (c *call) prepareNames(argIndex int) {
	args := c.cmd.Args
	for n := min(longNameWords, len(args)-argIndex); n >= 1; n-- {
		c.nameKey(strings.Join(args[argIndex:argIndex+n], " "))
	}
}

// parseRef reads lead#12 or opp#7.
func parseRef(s string) (touchbase.RefKind, uint64, bool) {
	if strings.IndexByte(s, '#') < 0 {
		return "", 0, false // a name: spare it the lower-casing
	}
	kind, num, ok := strings.Cut(strings.ToLower(s), "#")
	if !ok {
		return "", 0, false
	}
	id, err := strconv.ParseUint(num, 10, 64)
	if err != nil || id == 0 {
		return "", 0, false
	}
	switch kind {
	case "lead", "l":
		return touchbase.RefLead, id, true
	case "opp", "o", "opportunity":
		return touchbase.RefOpportunity, id, true
	case "account", "acct":
		return touchbase.RefAccount, id, true
	}
	return "", 0, false
}

// describe labels a candidate so a rep can tell similar names apart.
func (c *call) describe(tx touchbase.Tx, t target) string {
	if l := t.lead; l != nil {
		return fmt.Sprintf("Lead %s — %s, %s, owner %s", l.Label(), l.Status, plural(l.Touches, "touch"), repName(tx, l.Owner))
	}
	o := t.opp
	acct := ""
	if a, err := tx.Account(o.AccountID); err == nil {
		acct = a.Name + ": "
	}
	return fmt.Sprintf("Opportunity %s%s — stage %d %s, %s, owner %s", acct, o.Name, o.Stage, c.cfg().StageName(o.Stage),
		touchbase.FormatMoney(o.Amount()), repName(tx, o.Owner))
}

func verbSpecOf(verb string) *verbSpec { return findVerb(verb) }

// Pickers name what a type-ahead picker offers.
const (
	PickRecord      = "record"      // open leads and opportunities (log, snooze)
	PickQualifiable = "qualifiable" // leads not converted and open opportunities
	PickLead        = "lead"        // leads that can be converted
	PickOpportunity = "opportunity" // open opportunities
	PickAccount     = "account"     // accounts
)

// Suggest returns up to 20 records matching query for a type-ahead picker
// (Slack's external_select): each Choice's Command is the record's reference
// (lead#12, opp#7, account#3), and its Label what the rep reads.
func (h *Handler) Suggest(ctx context.Context, u User, picker, query string) ([]Choice, error) {
	w, ok := map[string]want{
		PickRecord: wantTouchable, PickQualifiable: wantQualifiable, PickLead: wantConvertible, PickOpportunity: wantOpenOpp,
	}[picker]
	if !ok && picker != PickAccount {
		return nil, touchbase.Errorf(touchbase.EINVALID, "unknown picker %q", picker)
	}
	c := &call{h: h, ctx: ctx, user: u, cmd: &Command{}, now: h.Now()}
	var out []Choice
	err := h.DB.View(ctx, func(tx touchbase.Tx) error {
		refs, err := tx.Search(query, 50)
		if err != nil {
			return err
		}
		if picker == PickAccount {
			for _, r := range refs {
				if r.Kind != touchbase.RefAccount || len(out) >= 20 {
					continue
				}
				a, err := tx.Account(r.ID)
				if err != nil {
					return err
				}
				out = append(out, Choice{Label: a.Name, Command: fmt.Sprintf("account#%d", a.ID)})
			}
			return nil
		}
		exact, prefix, err := candidates(tx, refs, w, false)
		if err != nil {
			return err
		}
		for _, t := range append(exact, prefix...)[:min(len(exact)+len(prefix), 20)] {
			out = append(out, Choice{Label: c.describe(tx, t), Command: t.ref()})
		}
		return nil
	})
	return out, err
}
