package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/touchbase/touchbase"
)

// ImportChunk is how many records ImportData writes per transaction.
// Fewer, larger transactions write less: each one rewrites the pages of the
// lead and opportunity indexes that its activities touch, which is nearly
// all of them. 1,000,000 activities (BenchmarkImport1MActivities, 2 cores)
// took 11.8 s of CPU in chunks of 10,000, 8.8 s in 20,000, 6.0 s in 50,000
// and 5.4 s in 100,000. Past 50,000 the gain is small, while a transaction
// twice as long holds the one writer, and every command waiting for it,
// twice as long: about 0.3 s at 50,000.
const ImportChunk = 50000

// ImportData writes every record of x with its own ID, committing up to
// ImportChunk records of one kind per transaction, never the whole import
// in one.
//
// Before writing anything it checks the whole of x in one read transaction,
// and refuses it, changing nothing, with a message naming the first record
// at fault: an EINVALID error for a record without its ID or a required
// field (a lead's name or company, an activity's kind, owner, time and lead
// or opportunity, a renewal's account), a time outside the years 1 to 9999,
// an ID given twice, or a reference (an activity's lead, a contact's
// account…) that is neither in x nor in the database; an ECONFLICT error for
// a record whose ID (a rep's user id, a team's or campaign's name) is in the
// database already with different content.
//
// A record already in the database with the same content is skipped, so
// running the same import again after it stopped part-way (a crash, a full
// disk, Ctrl-C) writes exactly what is missing: every record ends up stored
// once. An error while writing says how far the import got; what was
// committed is whole.
func ImportData(ctx context.Context, db DB, x *Export) error {
	_, err := (&Importer{DB: db}).Import(ctx, x)
	return err
}

// Importer imports exports into DB; ImportData is Import with the defaults.
type Importer struct {
	DB DB
	// Chunk is how many records one transaction writes; 0 means
	// ImportChunk.
	Chunk int
}

// ImportResult says what an import did, by kind of record as an export
// names them ("leads", "activities").
type ImportResult struct {
	Written map[string]int // records written
	Skipped map[string]int // records that were stored already, as they are
	Chunks  int            // transactions committed
}

// Total returns the records written and skipped, of every kind.
func (r *ImportResult) Total() (written, skipped int) {
	for _, n := range r.Written {
		written += n
	}
	for _, n := range r.Skipped {
		skipped += n
	}
	return written, skipped
}

// Import imports x as ImportData does, and says what it did.
func (im *Importer) Import(ctx context.Context, x *Export) (*ImportResult, error) {
	activities := func(fn func(int, *touchbase.Activity) error) error {
		for i, a := range x.Activities {
			if err := fn(i, a); err != nil {
				return err
			}
		}
		return nil
	}
	return im.run(ctx, x, activities)
}

// ImportFile imports the export in f (as `touchbase export` writes it) as
// Import does, without holding its activities in memory: it reads f twice,
// once through as the check goes and once more from the activities on as
// they are written. Everything else is held in memory, as ReadExport
// would. Like ReadExport, it refuses unknown fields and versions.
func (im *Importer) ImportFile(ctx context.Context, f io.ReadSeeker) (*ImportResult, error) {
	x := &Export{}
	read := false
	var start int64 = -1 // where the activities begin, just after their [
	walk := func(fn func(int, *touchbase.Activity) error) error {
		switch {
		case !read:
			read = true
			return readExport(f, x, &start, fn)
		case start >= 0:
			return readActivities(f, start, fn)
		}
		return nil // the file has no activities
	}
	return im.run(ctx, x, walk)
}

// notExport refuses a file that is not an export.
func notExport(err error) error {
	return touchbase.Errorf(touchbase.EINVALID, "the file is not a touchbase export: %v; nothing was imported", err)
}

// readExport reads the export in f into x, token by token, except the
// activities: it calls fn for each of those, decoded into one Activity used
// again, and sets start to where they begin.
func readExport(f io.ReadSeeker, x *Export, start *int64, fn func(int, *touchbase.Activity) error) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := expectDelim(dec, '{'); err != nil {
		return notExport(err)
	}
	fields := exportFields(x)
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return notExport(err)
		}
		key, _ := t.(string)
		if seen[key] {
			return notExport(fmt.Errorf("%q appears twice", key))
		}
		seen[key] = true
		switch field, ok := fields[key]; {
		case key == "activities":
			switch t, err := dec.Token(); {
			case err != nil:
				return notExport(fmt.Errorf("activities: %w", err))
			case t == nil:
				continue // null: none
			case t != json.Delim('['):
				return notExport(errors.New("activities is not a list"))
			}
			*start = dec.InputOffset()
			a := new(touchbase.Activity)
			for i := 0; dec.More(); i++ {
				*a = touchbase.Activity{}
				if err := dec.Decode(a); err != nil {
					return notExport(fmt.Errorf("activities[%d]: %w", i, err))
				}
				if err := fn(i, a); err != nil {
					return err
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return notExport(fmt.Errorf("activities: %w", err))
			}
		case !ok:
			return notExport(fmt.Errorf("json: unknown field %q", key))
		default:
			if err := dec.Decode(field); err != nil {
				return notExport(fmt.Errorf("%s: %w", key, err))
			}
			if key == "version" && x.Version != ExportVersion {
				return errVersion(x.Version)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return notExport(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return notExport(errors.New("more follows the export"))
	}
	if !seen["version"] {
		return errVersion(0)
	}
	return nil
}

// readActivities reads the activities of an export again from start, where
// readExport found them, each into an Activity of its own.
func readActivities(f io.ReadSeeker, start int64, fn func(int, *touchbase.Activity) error) error {
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return err
	}
	// The decoder starts at the array's [, which start is just after.
	dec := json.NewDecoder(io.MultiReader(strings.NewReader("["), f))
	dec.DisallowUnknownFields()
	if err := expectDelim(dec, '['); err != nil {
		return notExport(err)
	}
	for i := 0; dec.More(); i++ {
		a := new(touchbase.Activity)
		if err := dec.Decode(a); err != nil {
			return notExport(fmt.Errorf("activities[%d]: %w", i, err))
		}
		if err := fn(i, a); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

// expectDelim reads the next token, which must be d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("found %v where %v belongs", t, d)
	}
	return nil
}

// exportFields returns a pointer to each field of x by its JSON name, so
// that a field added to Export is read without more code.
func exportFields(x *Export) map[string]any {
	v := reflect.ValueOf(x).Elem()
	fields := make(map[string]any, v.NumField())
	for i := range v.NumField() {
		fields[jsonName(v.Type().Field(i))] = v.Field(i).Addr().Interface()
	}
	return fields
}

func errVersion(v int) error {
	return touchbase.Errorf(touchbase.EINVALID, "export version %d is not supported (this touchbase reads version %d)", v, ExportVersion)
}

// activityWalk calls fn for each activity of an import, in order, with its
// position; it may be called more than once and gives the same activities
// each time (a file is read again rather than held in memory).
type activityWalk func(fn func(int, *touchbase.Activity) error) error

// run checks the import, then writes it in chunks. x holds every kind but
// the activities, which walk gives. When the walk fills x as it goes (a
// file read once through), x is complete only after the first walk, which
// the check makes first.
func (im *Importer) run(ctx context.Context, x *Export, walk activityWalk) (*ImportResult, error) {
	var p *plan
	err := im.DB.View(ctx, func(tx touchbase.Tx) error {
		var err error
		p, err = check(ctx, tx, x, walk)
		return err
	})
	if err != nil {
		return nil, err
	}
	return im.write(ctx, x, walk, p)
}

// plan is what the check decided: which records are stored already.
type plan struct {
	skip  map[string][]bool // by kind, then position
	todo  map[string]int    // records to write, by kind
	total int               // records to write
}

// importKinds are the kinds of record in the order they are written: a
// record after those it refers to, so that a stopped import never leaves a
// reference to a record it did not reach.
var importKinds = []string{"reps", "teams", "campaigns", "accounts", "contacts", "leads", "opportunities", "activities", "handoffs", "renewals"}

// A reference from one record to another, by kind and ID.
type ref struct {
	kind string // "leads", "accounts"…
	id   uint64
}

// checker checks an import in one read transaction.
type checker struct {
	tx   touchbase.Tx
	x    *Export
	ctx  context.Context
	ids  map[string]map[uint64]bool // the IDs of x, by kind
	refs map[ref]bool               // the references noted
	// notes are the references still to check, each with the first record
	// that makes it, in the order they were noted.
	notes []refNote
	skip  map[string][]bool
}

// refNote is a reference and the record and field that make it.
type refNote struct {
	ref ref
	at  string // "activities[12]: lead_id"
}

// check checks the whole import and returns what to write.
func check(ctx context.Context, tx touchbase.Tx, x *Export, walk activityWalk) (*plan, error) {
	c := &checker{tx: tx, x: x, ctx: ctx, refs: make(map[ref]bool), skip: make(map[string][]bool)}
	// The activities come first: a walk over a file fills in the rest.
	if err := c.activities(walk); err != nil {
		return nil, err
	}
	if err := c.records(); err != nil {
		return nil, err
	}
	if err := c.references(); err != nil {
		return nil, err
	}
	p := &plan{skip: c.skip, todo: map[string]int{}}
	for _, kind := range importKinds {
		for _, s := range c.skip[kind] {
			if !s {
				p.todo[kind]++
				p.total++
			}
		}
	}
	return p, nil
}

// activities checks each activity on its own and against the database, and
// notes its references for later.
func (c *checker) activities(walk activityWalk) error {
	var skip []bool
	var ids []uint64
	var lastLead, lastOpp uint64
	err := walk(func(i int, a *touchbase.Activity) error {
		at := func() string { return fmt.Sprintf("activities[%d]", i) }
		if a == nil {
			return invalidf("%s is empty", at())
		}
		if err := checkActivity(a); err != nil {
			return invalidf("%s: %s", at(), err)
		}
		if i%4096 == 0 {
			if err := c.ctx.Err(); err != nil {
				return err
			}
		}
		ids = append(ids, a.ID)
		stored, err := c.tx.Activity(a.ID)
		switch {
		case err == nil:
			if f := differs(stored, a); f != "" {
				return conflictf("activity", strconv.FormatUint(a.ID, 10), f)
			}
		case touchbase.ErrorCode(err) != touchbase.ENOTFOUND:
			return err
		}
		skip = append(skip, err == nil)
		// Activities come in runs on one lead: note each run once.
		if a.LeadID != 0 && a.LeadID != lastLead {
			c.refer(ref{"leads", a.LeadID}, at, "lead_id")
			lastLead = a.LeadID
		}
		if a.OpportunityID != 0 && a.OpportunityID != lastOpp {
			c.refer(ref{"opportunities", a.OpportunityID}, at, "opportunity_id")
			lastOpp = a.OpportunityID
		}
		return nil
	})
	if err != nil {
		return err
	}
	if id, ok := repeated(ids); ok {
		return invalidf("activity %d appears twice in the file", id)
	}
	c.skip["activities"] = skip
	return nil
}

// checkActivity checks the fields of a that the store and the digest need.
func checkActivity(a *touchbase.Activity) error {
	switch {
	case a.ID == 0:
		return errNoID
	case !a.Kind.Valid():
		return fmt.Errorf("kind %q is not one of %s", a.Kind, kindList())
	case a.Owner == "":
		return errors.New("owner is missing: the rep who made the touch")
	case a.At.IsZero():
		return errors.New("at is missing: when the touch happened")
	case !timeInRange(a.At):
		return fmt.Errorf("at %s is outside the years 1 to 9999", a.At.Format(time.RFC3339))
	case a.LeadID == 0 && a.OpportunityID == 0:
		return errors.New("lead_id and opportunity_id are both missing: a touch is with a lead or an opportunity")
	}
	return nil
}

func kindList() string {
	s := make([]string, len(touchbase.ActivityKinds))
	for i, k := range touchbase.ActivityKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

var errNoID = errors.New("id is missing: every imported record needs its id, so that running the import again finds it")

// repeated returns an ID that ids holds twice, sorting ids.
func repeated(ids []uint64) (uint64, bool) {
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return ids[i], true
		}
	}
	return 0, false
}

// refer notes that the record at at refers to r in field.
func (c *checker) refer(r ref, at func() string, field string) {
	if r.id == 0 {
		return
	}
	if !c.refs[r] {
		c.refs[r] = true
		c.notes = append(c.notes, refNote{r, at() + ": " + field})
	}
}

// records checks every kind but the activities.
func (c *checker) records() error {
	x, tx := c.x, c.tx
	var err error
	c.ids = map[string]map[uint64]bool{}
	// Leads and opportunities carry their BANT beside them in the file.
	leads := make([]*touchbase.Lead, len(x.Leads))
	for i, e := range x.Leads {
		if e == nil || e.Lead == nil {
			return invalidf("leads[%d] is empty", i)
		}
		e.Lead.BANT = importBANT(e.BANT, e.BANTNotes)
		leads[i] = e.Lead
	}
	opps := make([]*touchbase.Opportunity, len(x.Opportunities))
	for i, e := range x.Opportunities {
		if e == nil || e.Opportunity == nil {
			return invalidf("opportunities[%d] is empty", i)
		}
		e.Opportunity.BANT = importBANT(e.BANT, e.BANTNotes)
		opps[i] = e.Opportunity
	}
	campaigns, err := tx.Campaigns()
	if err != nil {
		return err
	}
	campaignByID := make(map[uint64]*touchbase.Campaign, len(campaigns))
	for _, cp := range campaigns {
		campaignByID[cp.ID] = cp
	}

	if c.skip["reps"], err = checkKind(c, "reps", "rep", x.Reps, recordKind[touchbase.Rep]{
		key: func(r *touchbase.Rep) string { return r.ID },
		check: func(r *touchbase.Rep) error {
			if r.ID == "" {
				return errors.New("id is missing: the rep's chat user id")
			}
			return keyText("id", r.ID)
		},
		stored: func(r *touchbase.Rep) (*touchbase.Rep, error) { return tx.Rep(r.ID) },
	}); err != nil {
		return err
	}
	if c.skip["teams"], err = checkKind(c, "teams", "team", x.Teams, recordKind[touchbase.Team]{
		key: func(t *touchbase.Team) string { return touchbase.NameKey(t.Name) },
		check: func(t *touchbase.Team) error {
			switch {
			case touchbase.NameKey(t.Name) == "":
				return errors.New("name is missing")
			case !t.Function.Valid():
				return fmt.Errorf("function %q is not one of marketing, inside_sales, field_sales, customer_success", t.Function)
			}
			return keyText("name", t.Name)
		},
		stored: func(t *touchbase.Team) (*touchbase.Team, error) { return tx.Team(t.Name) },
	}); err != nil {
		return err
	}
	if c.skip["campaigns"], err = checkKind(c, "campaigns", "campaign", x.Campaigns, recordKind[touchbase.Campaign]{
		key: func(cp *touchbase.Campaign) string { return strconv.FormatUint(cp.ID, 10) },
		check: func(cp *touchbase.Campaign) error {
			switch {
			case cp.ID == 0:
				return errNoID
			case touchbase.NameKey(cp.Name) == "":
				return errors.New("name is missing")
			}
			return keyText("name", cp.Name)
		},
		stored: func(cp *touchbase.Campaign) (*touchbase.Campaign, error) {
			// A campaign is known by its name as much as by its ID: one
			// of the same name under another ID is a conflict too.
			if named, err := tx.Campaign(cp.Name); err == nil && named.ID != cp.ID {
				return nil, touchbase.Errorf(touchbase.ECONFLICT, "campaign %d is named %q, like campaign %d in the database; nothing was imported", cp.ID, cp.Name, named.ID)
			} else if err != nil && touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
				return nil, err
			}
			if s, ok := campaignByID[cp.ID]; ok {
				return s, nil
			}
			return nil, touchbase.Errorf(touchbase.ENOTFOUND, "campaign %d not found", cp.ID)
		},
	}); err != nil {
		return err
	}
	// Two campaigns of the file under one name would leave one behind.
	names := map[string]int{}
	for i, cp := range x.Campaigns {
		if j, ok := names[touchbase.NameKey(cp.Name)]; ok {
			return invalidf("campaigns[%d] and campaigns[%d] have the same name %q", j, i, cp.Name)
		}
		names[touchbase.NameKey(cp.Name)] = i
	}
	if c.skip["accounts"], err = checkKind(c, "accounts", "account", x.Accounts, recordKind[touchbase.Account]{
		id: func(a *touchbase.Account) uint64 { return a.ID },
		check: func(a *touchbase.Account) error {
			return errors.Join(keyText("name", a.Name), keyText("owner", a.Owner), keyText("success_owner", a.SuccessOwner))
		},
		stored: func(a *touchbase.Account) (*touchbase.Account, error) { return tx.Account(a.ID) },
	}); err != nil {
		return err
	}
	if c.skip["contacts"], err = checkKind(c, "contacts", "contact", x.Contacts, recordKind[touchbase.Contact]{
		id:     func(ct *touchbase.Contact) uint64 { return ct.ID },
		stored: func(ct *touchbase.Contact) (*touchbase.Contact, error) { return tx.Contact(ct.ID) },
		refs: func(ct *touchbase.Contact) []fieldRef {
			return []fieldRef{{"account_id", ref{"accounts", ct.AccountID}}}
		},
	}); err != nil {
		return err
	}
	if c.skip["leads"], err = checkKind(c, "leads", "lead", leads, recordKind[touchbase.Lead]{
		id: func(l *touchbase.Lead) uint64 { return l.ID },
		check: func(l *touchbase.Lead) error {
			if l.Name == "" && l.Company == "" {
				return errors.New("name and company are both missing: a lead needs one of them")
			}
			return errors.Join(keyText("name", l.Name), keyText("company", l.Company), keyText("owner", l.Owner), keyText("email", l.Email))
		},
		stored: func(l *touchbase.Lead) (*touchbase.Lead, error) { return tx.Lead(l.ID) },
		refs: func(l *touchbase.Lead) []fieldRef {
			return []fieldRef{{"account_id", ref{"accounts", l.AccountID}}, {"contact_id", ref{"contacts", l.ContactID}}, {"opportunity_id", ref{"opportunities", l.OpportunityID}}}
		},
	}); err != nil {
		return err
	}
	if c.skip["opportunities"], err = checkKind(c, "opportunities", "opportunity", opps, recordKind[touchbase.Opportunity]{
		id: func(o *touchbase.Opportunity) uint64 { return o.ID },
		check: func(o *touchbase.Opportunity) error {
			return errors.Join(keyText("name", o.Name), keyText("owner", o.Owner))
		},
		stored: func(o *touchbase.Opportunity) (*touchbase.Opportunity, error) { return tx.Opportunity(o.ID) },
		refs: func(o *touchbase.Opportunity) []fieldRef {
			return []fieldRef{{"account_id", ref{"accounts", o.AccountID}}, {"contact_id", ref{"contacts", o.ContactID}}, {"lead_id", ref{"leads", o.LeadID}}}
		},
	}); err != nil {
		return err
	}
	handoffs, err := tx.Handoffs()
	if err != nil {
		return err
	}
	handoffByID := make(map[uint64]*touchbase.Handoff, len(handoffs))
	for _, h := range handoffs {
		handoffByID[h.ID] = h
	}
	if c.skip["handoffs"], err = checkKind(c, "handoffs", "handoff", x.Handoffs, recordKind[touchbase.Handoff]{
		id: func(h *touchbase.Handoff) uint64 { return h.ID },
		stored: func(h *touchbase.Handoff) (*touchbase.Handoff, error) {
			if s, ok := handoffByID[h.ID]; ok {
				return s, nil
			}
			return nil, touchbase.Errorf(touchbase.ENOTFOUND, "handoff %d not found", h.ID)
		},
		refs: func(h *touchbase.Handoff) []fieldRef {
			return []fieldRef{{"lead_id", ref{"leads", h.LeadID}}, {"opportunity_id", ref{"opportunities", h.OpportunityID}}}
		},
	}); err != nil {
		return err
	}
	if c.skip["renewals"], err = checkKind(c, "renewals", "renewal", x.Renewals, recordKind[touchbase.Renewal]{
		id: func(r *touchbase.Renewal) uint64 { return r.ID },
		check: func(r *touchbase.Renewal) error {
			if r.AccountID == 0 {
				return errors.New("account_id is missing: a renewal is of an account")
			}
			return keyText("owner", r.Owner)
		},
		stored: func(r *touchbase.Renewal) (*touchbase.Renewal, error) { return tx.Renewal(r.ID) },
		refs: func(r *touchbase.Renewal) []fieldRef {
			return []fieldRef{{"account_id", ref{"accounts", r.AccountID}}, {"opportunity_id", ref{"opportunities", r.OpportunityID}}}
		},
	}); err != nil {
		return err
	}
	return nil
}

// recordKind says how checkKind checks one kind of record.
type recordKind[R any] struct {
	// id returns a record's ID, for kinds known by a number; key, for the
	// others, what identifies it.
	id  func(*R) uint64
	key func(*R) string
	// check returns what is wrong with a record's fields, if anything,
	// apart from its ID and its times.
	check func(*R) error
	// stored returns the stored record of the same ID, or ENOTFOUND.
	stored func(*R) (*R, error)
	// refs returns the records it refers to (an ID of 0 refers to none).
	refs func(*R) []fieldRef
}

// fieldRef is a reference and the field that holds it.
type fieldRef struct {
	field string
	ref   ref
}

// checkKind checks the records rs of the kind name (the file's name for
// them; noun names one), and returns which of them are stored already.
func checkKind[R any](c *checker, name, noun string, rs []*R, k recordKind[R]) ([]bool, error) {
	skip := make([]bool, len(rs))
	seen := make(map[string]int, len(rs))
	if k.id != nil {
		c.ids[name] = make(map[uint64]bool, len(rs))
	}
	for i, r := range rs {
		at := func() string { return fmt.Sprintf("%s[%d]", name, i) }
		if r == nil {
			return nil, invalidf("%s is empty", at())
		}
		key := ""
		if k.id != nil {
			id := k.id(r)
			if id == 0 {
				return nil, invalidf("%s: %s", at(), errNoID)
			}
			c.ids[name][id] = true
			key = strconv.FormatUint(id, 10)
		}
		if k.check != nil {
			if err := k.check(r); err != nil {
				return nil, invalidf("%s: %s", at(), err)
			}
		}
		if k.key != nil {
			key = k.key(r)
		}
		if field, t := outOfRange(reflect.ValueOf(r).Elem(), ""); field != "" {
			return nil, invalidf("%s: %s %s is outside the years 1 to 9999", at(), field, t.Format(time.RFC3339))
		}
		if j, ok := seen[key]; ok {
			return nil, invalidf("%s[%d] and %s are both %s %s", name, j, at(), noun, key)
		}
		seen[key] = i
		stored, err := k.stored(r)
		switch {
		case err == nil:
			if f := differs(stored, r); f != "" {
				return nil, conflictf(noun, key, f)
			}
			skip[i] = true
		case touchbase.ErrorCode(err) != touchbase.ENOTFOUND:
			return nil, err
		}
		if k.refs != nil {
			for _, fr := range k.refs(r) {
				c.refer(fr.ref, at, fr.field)
			}
		}
	}
	return skip, nil
}

// references checks that every record referred to is in the file or in the
// database.
func (c *checker) references() error {
	for _, n := range c.notes {
		r := n.ref
		if c.ids[r.kind][r.id] {
			continue
		}
		var err error
		switch r.kind {
		case "accounts":
			_, err = c.tx.Account(r.id)
		case "contacts":
			_, err = c.tx.Contact(r.id)
		case "leads":
			_, err = c.tx.Lead(r.id)
		case "opportunities":
			_, err = c.tx.Opportunity(r.id)
		}
		if touchbase.ErrorCode(err) == touchbase.ENOTFOUND {
			return invalidf("%s is %d, and there is no such %s in the file or in the database", n.at, r.id, nouns[r.kind])
		} else if err != nil {
			return err
		}
	}
	return nil
}

// nouns name one record of the kinds that are referred to.
var nouns = map[string]string{"accounts": "account", "contacts": "contact", "leads": "lead", "opportunities": "opportunity"}

// maxKeyText is the longest a text that the store puts in a key (an owner,
// an email, a name's words) may be: bbolt refuses keys over 32 KiB.
const maxKeyText = 32000

// keyText refuses a text too long for a key, naming field.
func keyText(field, s string) error {
	if len(s) > maxKeyText {
		return fmt.Errorf("%s is %d bytes long; at most %d fit", field, len(s), maxKeyText)
	}
	return nil
}

// The times the store keeps: years 1 to 9999, in UTC.
var (
	firstTime = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)
	lastTime  = time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC)
)

// timeInRange reports whether the store can keep t: zero (not set), or in
// the years 1 to 9999 in UTC.
func timeInRange(t time.Time) bool {
	return t.IsZero() || !t.Before(firstTime) && !t.After(lastTime)
}

var timeType = reflect.TypeFor[time.Time]()

// outOfRange returns the JSON name of the first time in v (a record) that
// the store cannot keep, and that time; "" when there is none.
func outOfRange(v reflect.Value, path string) (string, time.Time) {
	switch {
	case v.Type() == timeType:
		if t := v.Interface().(time.Time); !timeInRange(t) {
			return path, t
		}
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			return outOfRange(v.Elem(), path)
		}
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			if f, t := outOfRange(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f, t
			}
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if sf := v.Type().Field(i); sf.IsExported() {
				if f, t := outOfRange(v.Field(i), join(path, jsonName(sf))); f != "" {
					return f, t
				}
			}
		}
	}
	return "", time.Time{}
}

// differs returns the JSON name of the first field in which a and b, two
// records of one type, differ as the store keeps them: times compare as
// instants (the store keeps them in UTC), and an empty list as none. It
// returns "" when they are the same.
func differs(a, b any) string {
	return differ(reflect.ValueOf(a), reflect.ValueOf(b), "")
}

func differ(a, b reflect.Value, path string) string {
	switch {
	case a.Type() == timeType:
		if !a.Interface().(time.Time).Equal(b.Interface().(time.Time)) {
			return path
		}
	case a.Kind() == reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return path
			}
			return ""
		}
		return differ(a.Elem(), b.Elem(), path)
	case a.Kind() == reflect.Slice:
		if a.Len() != b.Len() {
			return path
		}
		for i := range a.Len() {
			if f := differ(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f
			}
		}
	case a.Kind() == reflect.Struct && exportedFields(a.Type()):
		for i := range a.NumField() {
			if f := differ(a.Field(i), b.Field(i), join(path, jsonName(a.Type().Field(i)))); f != "" {
				return f
			}
		}
	case a.Comparable():
		if !a.Equal(b) {
			return path
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return path
		}
	}
	return ""
}

// exportedFields reports whether every field of struct type t is exported:
// those that are not (Date) compare whole.
func exportedFields(t reflect.Type) bool {
	for i := range t.NumField() {
		if !t.Field(i).IsExported() {
			return false
		}
	}
	return true
}

// jsonName returns the name of field f in JSON.
func jsonName(f reflect.StructField) string {
	if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
		return name
	}
	return f.Name
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func invalidf(format string, args ...any) error {
	return touchbase.Errorf(touchbase.EINVALID, "%s; nothing was imported", fmt.Sprintf(format, args...))
}

// conflictf refuses a record whose ID is stored with other content.
func conflictf(noun, key, field string) error {
	return touchbase.Errorf(touchbase.ECONFLICT, "%s %s is in the database already, with a different %s; nothing was imported", noun, key, field)
}

// write writes what p says is missing, Chunk records per transaction.
func (im *Importer) write(ctx context.Context, x *Export, walk activityWalk, p *plan) (*ImportResult, error) {
	w := &chunkWriter{ctx: ctx, db: im.DB, size: im.Chunk, total: p.total,
		res: &ImportResult{Written: map[string]int{}, Skipped: map[string]int{}}}
	if w.size <= 0 {
		w.size = ImportChunk
	}
	for _, kind := range importKinds {
		skip := p.skip[kind]
		var err error
		switch {
		case kind != "activities":
			for i, s := range skip {
				if s {
					w.res.Skipped[kind]++
				} else if err = w.add(kind, gather(x, kind, i)); err != nil {
					break
				}
			}
		case p.todo[kind] == 0:
			// All stored already: no need to read them again.
			w.res.Skipped[kind] += len(skip)
		default:
			err = w.activities(walk, skip)
		}
		if err != nil {
			return w.res, err
		}
	}
	return w.res, w.flush()
}

// activities gathers the activities of walk that skip does not mark.
func (w *chunkWriter) activities(walk activityWalk, skip []bool) error {
	n := 0
	err := walk(func(i int, a *touchbase.Activity) error {
		if n++; i >= len(skip) {
			return errFileChanged
		} else if skip[i] {
			w.res.Skipped["activities"]++
			return nil
		}
		return w.add("activities", func(c *chunk) { c.acts = append(c.acts, a) })
	})
	if err == nil && n != len(skip) {
		err = errFileChanged
	}
	return err
}

var errFileChanged = touchbase.Errorf(touchbase.ECONFLICT, "the file changed while it was imported; run the import again")

// gather returns what adds record i of kind in x to a chunk.
func gather(x *Export, kind string, i int) func(*chunk) {
	op := func(f func(touchbase.Tx) error) func(*chunk) {
		return func(c *chunk) { c.ops = append(c.ops, f) }
	}
	switch kind {
	case "reps":
		return op(func(tx touchbase.Tx) error { return tx.PutRep(x.Reps[i]) })
	case "teams":
		return op(func(tx touchbase.Tx) error { return tx.PutTeam(x.Teams[i]) })
	case "campaigns":
		return op(func(tx touchbase.Tx) error { return tx.CreateCampaign(x.Campaigns[i]) })
	case "accounts":
		return func(c *chunk) { c.accounts = append(c.accounts, x.Accounts[i]) }
	case "contacts":
		return op(func(tx touchbase.Tx) error { return tx.CreateContact(x.Contacts[i]) })
	case "leads":
		return func(c *chunk) { c.leads = append(c.leads, x.Leads[i].Lead) }
	case "opportunities":
		return func(c *chunk) { c.opps = append(c.opps, x.Opportunities[i].Opportunity) }
	case "handoffs":
		return op(func(tx touchbase.Tx) error { return tx.CreateHandoff(x.Handoffs[i]) })
	case "renewals":
		return op(func(tx touchbase.Tx) error { return tx.CreateRenewal(x.Renewals[i]) })
	}
	panic("handlers: import: no kind " + kind)
}

// chunk is what one transaction writes: records of one kind. Kinds share
// buckets (accounts, leads and opportunities the name index), and bbolt
// splits the nodes a transaction changed only at commit: the names of
// 5,000 opportunities put into the unsplit node holding those of the
// leads and accounts before them moved every entry after them, and took
// 10 s. The kinds the store writes many at a time (accounts, leads,
// opportunities, activities) go in one call; the others one op a record.
type chunk struct {
	kind     string
	n        int
	ops      []func(touchbase.Tx) error
	accounts []*touchbase.Account
	leads    []*touchbase.Lead
	opps     []*touchbase.Opportunity
	acts     []*touchbase.Activity
}

// write writes c in tx.
func (c *chunk) write(tx touchbase.Tx) error {
	for _, op := range c.ops {
		if err := op(tx); err != nil {
			return err
		}
	}
	switch {
	case len(c.accounts) > 0:
		return tx.CreateAccounts(c.accounts)
	case len(c.leads) > 0:
		return tx.CreateLeads(c.leads)
	case len(c.opps) > 0:
		return tx.CreateOpportunities(c.opps)
	case len(c.acts) > 0:
		return tx.CreateActivities(c.acts)
	}
	return nil
}

// chunkWriter gathers records into chunks and commits each in a
// transaction of its own.
type chunkWriter struct {
	ctx   context.Context
	db    DB
	size  int
	total int // records to write in all, for messages
	res   *ImportResult
	c     chunk
	done  int // records committed
}

// add gathers one record of kind with put, committing first what is
// gathered when it is of another kind, and after when there are size.
func (w *chunkWriter) add(kind string, put func(*chunk)) error {
	if w.c.n > 0 && w.c.kind != kind {
		if err := w.flush(); err != nil {
			return err
		}
	}
	w.c.kind = kind
	put(&w.c)
	if w.c.n++; w.c.n >= w.size {
		return w.flush()
	}
	return nil
}

// flush commits what is gathered in one transaction.
func (w *chunkWriter) flush() error {
	if w.c.n == 0 {
		return nil
	}
	if err := w.db.Update(w.ctx, w.c.write); err != nil {
		return w.stopped(err)
	}
	w.done += w.c.n
	w.res.Chunks++
	w.res.Written[w.c.kind] += w.c.n
	w.c = chunk{}
	return nil
}

// stopped explains an error that stopped the import part-way.
func (w *chunkWriter) stopped(err error) error {
	msg := fmt.Sprintf("the import stopped after %d of %d records; what was written is whole, and running the same import again writes the rest", w.done, w.total)
	if code := touchbase.ErrorCode(err); code != touchbase.EINTERNAL {
		return touchbase.Errorf(code, "%s; %s", touchbase.ErrorMessage(err), msg)
	}
	return fmt.Errorf("handlers: %s: %w", msg, err)
}
