package touchbase

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the arithmetic of the weekly digest (DESIGN.md section 4)
// and of /pipeline: pure functions over the domain's records, with no I/O.
//
// Rates and averages are kept as exact fractions (Ratio) and rounded only
// when shown; money is summed per currency (Amounts) and never converted.

// Amounts sums money in several currencies without converting any: the
// total of a pipeline in yen and dollars is "¥5,000,000 + $120,000".
type Amounts map[string]int64

// Add adds m; an amount without a currency is left out.
func (a Amounts) Add(m Money) {
	if m.Currency != "" {
		a[m.Currency] += m.Minor
	}
}

// String formats the sums in currency-code order: "¥5,000,000 + $120,000".
func (a Amounts) String() string {
	if len(a) == 0 {
		return "no amount"
	}
	var parts []string
	for _, cur := range slices.Sorted(maps.Keys(a)) {
		parts = append(parts, FormatMoney(Money{Minor: a[cur], Currency: cur}))
	}
	return strings.Join(parts, " + ")
}

// StageTotals are the figures of one stage of a pipeline.
type StageTotals struct {
	Count            int
	Amount, Weighted Amounts
	// Stalled counts the opportunities longer in the stage than its
	// average days.
	Stalled int
}

// PipelineTotals are the figures of a set of open opportunities: counts,
// amounts and weighted amounts (amount × the stage's probability, rounded
// down to the minor unit) in total and by stage, and the stalled ones.
type PipelineTotals struct {
	Count           int
	Total, Weighted Amounts
	Stages          []StageTotals // by stage position - 1
	// Stalled are the opportunities longer in their stage than its average
	// days, longest first (earliest EnteredAt, then lowest ID).
	Stalled []StalledDeal
}

// StalledDeal is an opportunity longer in its stage than the stage's
// average days, as it stood when its pipeline was summed.
type StalledDeal struct {
	ID     uint64
	Name   string
	Owner  string
	Amount Money
	Stage  int // 1-based
	// EnteredAt is when it entered the stage; Days the whole days (24
	// hours) it had spent there.
	EnteredAt time.Time
	Days      int
}

func newPipelineTotals(stages int) PipelineTotals {
	p := PipelineTotals{Total: Amounts{}, Weighted: Amounts{}, Stages: make([]StageTotals, stages)}
	for i := range p.Stages {
		p.Stages[i] = StageTotals{Amount: Amounts{}, Weighted: Amounts{}}
	}
	return p
}

// Pipeline sums the open opportunities among opps by stage, as they stand
// now, and finds the stalled ones: an opportunity is stalled when more than
// its stage's AvgDays × 24 hours have passed since it entered the stage
// (stages with AvgDays 0 never stall). Opportunities at a stage outside the
// stage list are left out.
func Pipeline(cfg *Config, opps []*Opportunity, now time.Time) PipelineTotals {
	p := newPipelineTotals(len(cfg.Stages))
	at := nanos(now)
	for _, o := range opps {
		if o.Open() {
			p.add(cfg, o, o.Stage, o.StageEnteredAt, at, 0)
		}
	}
	sortStalled(p.Stalled)
	return p
}

// add counts o, at the 1-based stage since entered, into p as of at (Unix
// nanoseconds), and lists it when it is stalled then, keeping at most limit
// (0: all) of the longest stalled in a heap. It reports whether o is
// stalled.
func (p *PipelineTotals) add(cfg *Config, o *Opportunity, stage int, entered time.Time, at int64, limit int) bool {
	if stage < 1 || stage > len(cfg.Stages) || stage > len(p.Stages) {
		return false
	}
	st := cfg.Stages[stage-1]
	amount := o.Amount()
	weighted := Money{Minor: Weighted(o.AmountMinor, st.Probability), Currency: o.Currency}
	p.Count++
	p.Total.Add(amount)
	p.Weighted.Add(weighted)
	s := &p.Stages[stage-1]
	s.Count++
	s.Amount.Add(amount)
	s.Weighted.Add(weighted)
	const day = int64(24 * time.Hour)
	in := at - nanos(entered)
	if st.AvgDays <= 0 || in <= int64(st.AvgDays)*day {
		return false
	}
	s.Stalled++
	d := StalledDeal{ID: o.ID, Name: o.Name, Owner: o.Owner, Amount: amount, Stage: stage, EnteredAt: entered, Days: int(in / day)}
	switch {
	case limit <= 0:
		p.Stalled = append(p.Stalled, d)
	case len(p.Stalled) < limit:
		p.Stalled = append(p.Stalled, d)
		stalledUp(p.Stalled, len(p.Stalled)-1)
	case cmpStalled(d, p.Stalled[0]) < 0: // stalled longer than the shortest kept
		p.Stalled[0] = d
		stalledDown(p.Stalled, 0)
	}
	return true
}

// cmpStalled orders stalled deals longest first: earliest EnteredAt, then
// lowest ID, so that which are kept does not depend on the order they come.
func cmpStalled(a, b StalledDeal) int {
	return cmp.Or(a.EnteredAt.Compare(b.EnteredAt), cmp.Compare(a.ID, b.ID))
}

func sortStalled(s []StalledDeal) { slices.SortFunc(s, cmpStalled) }

// stalledUp and stalledDown keep h a heap whose root is the shortest
// stalled deal kept.
func stalledUp(h []StalledDeal, i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if cmpStalled(h[i], h[parent]) <= 0 {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func stalledDown(h []StalledDeal, i int) {
	for {
		top, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && cmpStalled(h[l], h[top]) > 0 {
			top = l
		}
		if r < len(h) && cmpStalled(h[r], h[top]) > 0 {
			top = r
		}
		if top == i {
			return
		}
		h[i], h[top] = h[top], h[i]
		i = top
	}
}

// Ratio is an exact fraction of two counts, Num/Den: a rate (converted of
// open leads) or an average (touches per open lead), kept in integers so
// that nothing is lost until it is shown. A zero Den means there was nothing
// to divide by: the figure is "n/a", never NaN or zero.
type Ratio struct {
	Num, Den int64
}

// Valid reports whether r has a denominator.
func (r Ratio) Valid() bool { return r.Den != 0 }

// Scale returns Num × unit / Den rounded to the nearest integer, halves away
// from zero, and false when r is n/a: Scale(100) is a whole percent,
// Scale(10000) basis points, Scale(100) of an average its hundredths. A
// result beyond an int64 is clamped.
func (r Ratio) Scale(unit int64) (int64, bool) {
	if r.Den == 0 {
		return 0, false
	}
	neg := (r.Num < 0) != (r.Den < 0) != (unit < 0)
	n, d, u := abs(r.Num), abs(r.Den), abs(unit)
	hi, lo := bits.Mul64(n, u)
	if hi >= d {
		return clampSigned(math.MaxUint64, neg), true
	}
	q, rem := bits.Div64(hi, lo, d)
	if rem >= d-rem { // rem ≥ d/2 without overflowing 2·rem
		q++
	}
	return clampSigned(q, neg), true
}

func clampSigned(u uint64, neg bool) int64 {
	if u > math.MaxInt64 {
		u = math.MaxInt64
	}
	if neg {
		return -int64(u)
	}
	return int64(u)
}

// Percent returns r in whole percent, halves rounded up; false when n/a.
func (r Ratio) Percent() (int64, bool) { return r.Scale(100) }

// BasisPoints returns r in hundredths of a percent, halves rounded up;
// false when n/a. Rates are compared in basis points.
func (r Ratio) BasisPoints() (int64, bool) { return r.Scale(10000) }

// String formats r as a whole percent, "40%", or "n/a".
func (r Ratio) String() string { return r.FormatPercent(0) }

// FormatPercent formats r as a percent with the given number of decimals
// (0 to 6), halves rounded up: "40%", "40.25%", or "n/a".
func (r Ratio) FormatPercent(decimals int) string {
	decimals = min(max(decimals, 0), 6)
	v, ok := r.Scale(pow10i(decimals + 2))
	if !ok {
		return "n/a"
	}
	return fixedPoint(v, decimals) + "%"
}

// Decimal formats r as a decimal number with the given number of places (0
// to 6), halves rounded up: Ratio{24, 11}.Decimal(2) is "2.18". It returns
// "n/a" when r has no denominator.
func (r Ratio) Decimal(places int) string {
	places = min(max(places, 0), 6)
	v, ok := r.Scale(pow10i(places))
	if !ok {
		return "n/a"
	}
	return fixedPoint(v, places)
}

// fixedPoint formats v / 10^places with exactly places decimals.
func fixedPoint(v int64, places int) string {
	sign := ""
	if v < 0 {
		sign = "-"
	}
	s := strconv.FormatUint(abs(v), 10)
	if places == 0 {
		return sign + s
	}
	if len(s) <= places {
		s = strings.Repeat("0", places-len(s)+1) + s
	}
	return sign + s[:len(s)-places] + "." + s[len(s)-places:]
}

func pow10i(n int) int64 {
	p := int64(1)
	for range min(max(n, 0), 18) {
		p *= 10
	}
	return p
}

// cmpRatio compares two valid ratios with non-negative parts exactly.
func cmpRatio(a, b Ratio) int {
	ah, al := bits.Mul64(abs(a.Num), abs(b.Den))
	bh, bl := bits.Mul64(abs(b.Num), abs(a.Den))
	return cmp.Or(cmp.Compare(ah, bh), cmp.Compare(al, bl))
}

// Change returns how a figure moved week over week, this − last, and the
// arrow the digest shows beside it: ▲ when it rose, ▼ when it fell, — when
// it held.
func Change(this, last int) (delta int, arrow string) {
	delta = this - last
	switch {
	case delta > 0:
		return delta, "▲"
	case delta < 0:
		return delta, "▼"
	}
	return 0, "—"
}

// FormatChange formats Change(this, last) for a digest line: "▲3", "▼2" or
// "—".
func FormatChange(this, last int) string {
	delta, arrow := Change(this, last)
	if delta == 0 {
		return arrow
	}
	return arrow + strconv.Itoa(max(delta, -delta))
}

// RateChange is Change for rates, in whole percentage points between their
// rounded percents (the numbers the digest shows). ok is false, with the
// arrow —, when either rate is n/a.
func RateChange(this, last Ratio) (points int, arrow string, ok bool) {
	t, okT := this.Percent()
	l, okL := last.Percent()
	if !okT || !okL {
		return 0, "—", false
	}
	points, arrow = Change(int(t), int(l))
	return points, arrow, true
}

// Step is one conversion step of the funnel, in funnel order.
type Step int

// The steps of the funnel; see DigestWeek.Funnel for how each is counted.
const (
	StepTouched     Step = iota // lead → touched
	StepQualified               // touched → qualified (SQL)
	StepOpportunity             // qualified → opportunity (converted)
	StepWon                     // opportunity → won

	numSteps = 4
)

// String names the step as the digest does: "Qualified → opportunity".
func (s Step) String() string {
	switch s {
	case StepTouched:
		return "Lead → touched"
	case StepQualified:
		return "Touched → qualified"
	case StepOpportunity:
		return "Qualified → opportunity"
	case StepWon:
		return "Opportunity → won"
	}
	return fmt.Sprintf("step %d", int(s))
}

// BottleneckReason says why a part of the funnel is the bottleneck.
type BottleneckReason string

// Bottleneck reasons.
const (
	BottleneckNone    BottleneckReason = ""        // the funnel held
	BottleneckFell    BottleneckReason = "fell"    // a step converted worse than last week
	BottleneckStalled BottleneckReason = "stalled" // no step fell; a stage holds the most stalled deals
)

// Bottleneck is the part of the funnel a manager should look at first. It is
// the step whose conversion fell most week over week, in basis points, among
// the steps with a rate both weeks (ties go to the earlier step); when no
// step fell, the pipeline stage with the largest stalled share at the end of
// the week (ties go to more stalled deals, then the earlier stage); when no
// deal is stalled either, none.
type Bottleneck struct {
	Reason BottleneckReason
	// Step is the step that fell (Reason BottleneckFell).
	Step Step
	// This and Last are the step's conversion this week and last week, or,
	// for BottleneckStalled, the stage's stalled share (stalled / open
	// opportunities in the stage) at the end of each week.
	This, Last Ratio
	// Stage is the 1-based stage with the most stalled deals, with its name
	// and average days (Reason BottleneckStalled).
	Stage     int
	StageName string
	AvgDays   int
}

// Sentence says the bottleneck in one plain sentence for the digest:
// "Qualified → opportunity fell from 40% to 25%: 6 qualified leads were not
// converted."
func (b Bottleneck) Sentence() string {
	switch b.Reason {
	case BottleneckFell:
		last, this := percentPair(b.Last, b.This)
		missed := int(b.This.Den - b.This.Num)
		var why string
		switch b.Step {
		case StepTouched:
			why = fmt.Sprintf("%s not touched", countOf(missed, "open lead was", "open leads were"))
		case StepQualified:
			why = fmt.Sprintf("%s not qualified", countOf(missed, "touched lead was", "touched leads were"))
		case StepOpportunity:
			why = fmt.Sprintf("%s not converted", countOf(missed, "qualified lead was", "qualified leads were"))
		default:
			noun := "closed opportunities"
			if b.This.Den == 1 {
				noun = "closed opportunity"
			}
			verb := "were"
			if missed == 1 {
				verb = "was"
			}
			why = fmt.Sprintf("%d of %d %s %s lost", missed, b.This.Den, noun, verb)
		}
		return fmt.Sprintf("%s fell from %s to %s: %s.", b.Step, last, this, why)
	case BottleneckStalled:
		verb := "have"
		if b.This.Num == 1 {
			verb = "has"
		}
		return fmt.Sprintf("No step converted worse than last week, but %s has the most stalled deals: %d of %d (%s) %s been there longer than its %d-day average.",
			b.StageName, b.This.Num, b.This.Den, b.This, verb, b.AvgDays)
	}
	return "The funnel held: no step converted worse than last week and no deal is stalled."
}

// percentPair formats two different rates with as many decimals as it takes
// for them to read differently (up to two).
func percentPair(a, b Ratio) (string, string) {
	for d := 0; d < 2; d++ {
		if x, y := a.FormatPercent(d), b.FormatPercent(d); x != y {
			return x, y
		}
	}
	return a.FormatPercent(2), b.FormatPercent(2)
}

// countOf writes n with the singular or plural phrase.
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Digest is the weekly digest's figures for this week and last week, and
// the bottleneck between them (DESIGN.md section 4). Every figure is in
// both weeks so that each has its week-over-week change.
type Digest struct {
	This, Last DigestWeek
	Bottleneck Bottleneck
}

// DigestWeek is the figures of one week, [Start, End). Counts "in the week"
// are of events whose time falls in it; snapshots ("open", "pipeline",
// "overdue") are as of End, reconstructed from the records' timestamps and
// stage history (see NewDigestBuilder for the approximations).
type DigestWeek struct {
	Start, End time.Time

	Marketing       MarketingFigures
	InsideSales     InsideSalesFigures
	FieldSales      FieldSalesFigures
	CustomerSuccess SuccessFigures

	// Funnel is the week's conversion of each step, indexed by Step:
	//   - StepTouched: of the leads open during the week (created before
	//     its end and not closed before its start), those touched in it;
	//   - StepQualified: of the leads touched in the week and not qualified
	//     before it started, those qualified in it;
	//   - StepOpportunity: of the leads qualified before the week's end and
	//     open during it, those converted in it;
	//   - StepWon: the win rate, won / (won + lost) in the week.
	Funnel [numSteps]Ratio

	// BySource is conversion per lead source, cumulative: over every record
	// created before the week's end, not only the week's. Both weeks list the
	// same sources, by name.
	BySource []SourceFigures
	// ByRep is each rep's week, by owner id. Both weeks list the same reps:
	// those with a figure other than zero in either week.
	ByRep []RepFigures
}

// MarketingFigures are the Marketing section of a week.
type MarketingFigures struct {
	// NewLeads counts the leads created in the week; BySource splits them
	// by source (campaign). Both weeks list the same sources in the same
	// order: most new leads this week first, then most last week, then by
	// name.
	NewLeads int
	BySource []SourceCount
	// MQLs counts the hand-offs of kind mql (Marketing → Inside Sales) in
	// the week; Returned those of kind returned (leads sent back to
	// Marketing as poor quality).
	MQLs     int
	Returned int
}

// SourceCount is a count of leads from one source.
type SourceCount struct {
	Source string
	Count  int
}

// InsideSalesFigures are the Inside Sales section of a week.
type InsideSalesFigures struct {
	// LeadsTouched counts the distinct leads with at least one activity in
	// the week; Touches the activities on leads in the week (every kind,
	// notes included).
	LeadsTouched int
	Touches      int
	// OpenLeads counts the leads open at the end of the week: new, working
	// or qualified then.
	OpenLeads int
	// TouchesPerOpenLead is the touches the open leads had received by the
	// end of the week, over OpenLeads.
	TouchesPerOpenLead Ratio
	// ReachedCadence is the open leads with at least Cadence.Touches
	// touches, over OpenLeads.
	ReachedCadence Ratio
	// Abandoned counts the open leads with exactly one touch whose second
	// touch was due, by the cadence's first gap in business days after the
	// day of that touch, before the day the week ends on.
	Abandoned int
	// Qualified counts the leads qualified (SQL) in the week, by
	// QualifiedAt.
	Qualified int
	// Conversion is lead → opportunity: the leads converted in the week, by
	// ConvertedAt, over the leads open during the week (created before its
	// end and not closed before its start).
	Conversion Ratio
}

// FieldSalesFigures are the Field Sales section of a week. Opportunities of
// every kind count, upsells and cross-sells included.
type FieldSalesFigures struct {
	// NewOpportunities counts the opportunities created in the week.
	NewOpportunities int
	// Pipeline is the opportunities open at the end of the week, at the
	// stage they were in then. Its Stalled lists the MaxStalledDeals
	// longest stalled as they stood then; its Stages count them all, and
	// ByRep counts each owner's.
	Pipeline PipelineTotals
	// Won and Lost count the opportunities closed in the week, by ClosedAt,
	// with their amounts; WinRate is Won / (Won + Lost).
	Won, Lost             int
	WonAmount, LostAmount Amounts
	WinRate               Ratio
	// DaysToClose is the calendar days from CreatedAt to ClosedAt (in the
	// digest's time zone) summed over the opportunities won in the week,
	// over Won.
	DaysToClose Ratio
	// SentBack counts the hand-offs of kind sent_back (Field Sales → Inside
	// Sales) in the week.
	SentBack int
}

// SuccessFigures are the Customer Success section of a week.
type SuccessFigures struct {
	// HandedOver counts the hand-offs of kind won (Field Sales → Customer
	// Success) in the week. NewCustomers counts the accounts whose
	// CustomerSince is a day of the week; Customers those that were
	// customers by the day the week ends on.
	HandedOver   int
	NewCustomers int
	Customers    int
	// Due30 and Due90 count the renewals pending at the end of the week
	// that fall due in the 30 (90) days starting on the day the week ends
	// on, with their ARR; PastDue those pending and due before that day.
	Due30, Due90       int
	Due30ARR, Due90ARR Amounts
	PastDue            int
	// Renewed and Churned count the renewals decided in the week, by
	// DecidedAt; RenewalRate is Renewed / (Renewed + Churned).
	Renewed, Churned int
	RenewalRate      Ratio
	// Upsells and CrossSells count the opportunities of those kinds created
	// in the week, with their amounts.
	Upsells, CrossSells           int
	UpsellAmount, CrossSellAmount Amounts
}

// SourceFigures is the conversion of one lead source, cumulative as of the
// end of the week. Records without a source are under Source "".
type SourceFigures struct {
	Source string
	// Leads counts the source's leads created before the end of the week;
	// LeadToOpportunity is those converted by then, over Leads.
	Leads             int
	LeadToOpportunity Ratio
	// Opportunities counts the source's opportunities (by Opportunity.Source)
	// created before the end of the week; OpportunityToWon is those won by
	// then over those closed (won or lost) by then.
	Opportunities    int
	OpportunityToWon Ratio
}

// RepFigures is one rep's week: the activities they logged in it by kind
// (Meetings includes demos and proposals; Touches is every activity, notes
// included); the open leads and opportunities they own whose follow-up was
// overdue at the end of the week; and their opportunities stalled then.
type RepFigures struct {
	Owner                                   string
	Calls, Emails, Meetings, Notes, Touches int
	Overdue                                 int
	Stalled                                 int
}

// MaxStalledDeals is how many stalled deals a digest week lists, the
// longest stalled first, so that its size does not grow with the store.
const MaxStalledDeals = 50

// The two weeks, as indexes of the builder's arrays.
const (
	lastWeek = 0
	thisWeek = 1
)

// Flags of a lead or opportunity known to the builder. The per-week flags
// are for last week; shifted left by one, for this week.
const (
	flagFed        uint16 = 1 << 0  // the record itself was added
	flagOpenNow    uint16 = 1 << 1  // open as it stands now
	flagOpenAt     uint16 = 1 << 2  // open at the end of the week
	flagDuring     uint16 = 1 << 4  // open during the week
	flagQualBefore uint16 = 1 << 6  // qualified before the week started
	flagQualIn     uint16 = 1 << 8  // qualified during the week
	flagUsed       uint16 = 1 << 10 // the recAgg holds a record (see recTable)
)

// recAgg is what the builder keeps of one lead or opportunity: its own facts
// as flags, and a tally of the activities on it, in 56 bytes. Nothing is
// kept per activity.
type recAgg struct {
	last     [2]int64 // time of the latest touch before the end of each week (valid when n[w+1] > 0)
	n        [3]int32 // touches before the start of last week, the start of this week, the end
	total    int32    // touches in all
	lastNext [2]Date  // the NextDate of those latest touches
	next     Date     // the record's NextFollowUp, when open now
	base     Date     // the follow-up of a record never touched
	owner    int32    // index in DigestBuilder.reps, -1 for none
	flags    uint16
}

// touch counts a touch at t (Unix nanoseconds) that set next.
func (r *recAgg) touch(t int64, next Date, cut *[3]int64) {
	r.total++
	for k := range cut {
		if t < cut[k] {
			r.n[k]++
		}
	}
	for w := range 2 {
		if t >= cut[w+1] {
			continue
		}
		// The latest touch, ties broken by the later NextDate, so that the
		// result does not depend on the order activities come in.
		if r.n[w+1] == 1 || t > r.last[w] || t == r.last[w] && next.After(r.lastNext[w]) {
			r.last[w], r.lastNext[w] = t, next
		}
	}
}

// recTable holds the recAggs of one kind of record by ID. The store numbers
// records 1, 2, 3, ..., so a record's tally sits at its ID in chunks of
// chunkSize, allocated as IDs reach them and never copied; an ID whose chunk
// would leave the chunks mostly empty (a sparse range of imported IDs) is
// kept in a map instead, so the table never holds much more than its
// records.
type recTable struct {
	chunks [][]recAgg         // by ID >> chunkBits; nil until an ID of the chunk comes
	far    map[uint64]*recAgg // the IDs kept out of the chunks
	used   int                // recAggs in use
	slots  int                // recAggs allocated in chunks
}

const (
	chunkBits = 8
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
	// maxChunks bounds the IDs kept in chunks (to 2^24) and so the chunk
	// index itself.
	maxChunks = 1 << 16
	// freeSlots are the slots the chunks may hold however sparse they are:
	// beyond them, at least a quarter of the slots must be in use.
	freeSlots = 1 << 16
)

// get returns the recAgg of id, adding an empty one when there is none.
func (t *recTable) get(id uint64) *recAgg {
	c := id >> chunkBits
	if c < uint64(len(t.chunks)) && t.chunks[c] != nil {
		r := &t.chunks[c][id&chunkMask]
		if r.flags&flagUsed == 0 {
			r.owner, r.flags = -1, flagUsed
			t.used++
		}
		return r
	}
	if r := t.far[id]; r != nil {
		return r
	}
	t.used++
	if c < maxChunks && t.slots+chunkSize <= 4*t.used+freeSlots {
		if c >= uint64(len(t.chunks)) {
			t.chunks = append(t.chunks, make([][]recAgg, int(c)+1-len(t.chunks))...)
		}
		t.chunks[c] = make([]recAgg, chunkSize)
		t.slots += chunkSize
		r := &t.chunks[c][id&chunkMask]
		r.owner, r.flags = -1, flagUsed
		return r
	}
	if t.far == nil {
		t.far = map[uint64]*recAgg{}
	}
	r := &recAgg{owner: -1, flags: flagUsed}
	t.far[id] = r
	return r
}

// each calls fn for every recAgg in use, in no particular order.
func (t *recTable) each(fn func(*recAgg)) {
	for _, ch := range t.chunks {
		for i := range ch {
			if ch[i].flags&flagUsed != 0 {
				fn(&ch[i])
			}
		}
	}
	for _, r := range t.far {
		fn(r)
	}
}

// repAgg is one rep's activity counts, by week.
type repAgg struct {
	name string
	w    [2]RepFigures
}

// sourceAgg is one source's counts, by week.
type sourceAgg struct {
	newLeads, leads, converted, opps, won, lost [2]int
}

// DigestBuilder computes a Digest from the records fed to it one at a time,
// in any order, keeping about 60 bytes per lead and opportunity (a 56-byte
// tally in a table by ID), nothing per activity, and at most
// MaxStalledDeals stalled deals a week, so that a caller can walk a large
// store without holding it in memory. It keeps no reference to the records it is given.
// Each record is to be added once. A DigestBuilder is not safe for
// concurrent use.
type DigestBuilder struct {
	cfg      *Config
	loc      *time.Location
	cut      [3]time.Time // start of last week, start of this week (end of last), end of this week
	cutN     [3]int64
	startDay [2]Date // the day each week starts on, in loc
	endDay   [2]Date // the day each week ends on, in loc

	leads   recTable
	opps    recTable
	repIdx  map[string]int32
	reps    []repAgg
	sources map[string]*sourceAgg

	w [2]DigestWeek // the figures that need no second pass
}

// NewDigestBuilder returns a builder of the digest of the 7 days that end at
// end (exclusive), in loc (UTC when nil): this week is [end − 7 days, end)
// and last week the 7 days before, where a day is a calendar day in loc, so
// a week with a daylight-saving change lasts 167 or 169 hours. cfg gives the
// stages, the cadence and the business calendar (DefaultConfig when nil).
//
// Snapshots as of the end of a week are reconstructed from timestamps, with
// these approximations:
//   - A lead is open from CreatedAt until it closed: a converted lead at
//     ConvertedAt (UpdatedAt when that is zero), a disqualified or nurture
//     lead at UpdatedAt. A lead open now is taken to have been open since
//     its creation, even if it spent time in nurture.
//   - A lead was qualified at QualifiedAt; when that is zero, a converted
//     lead at its conversion and a qualified one at UpdatedAt.
//   - An opportunity is open from CreatedAt until ClosedAt (when zero, its
//     last won or lost history entry, else UpdatedAt). Its stage then is
//     the To of its last history entry before then (lost entries do not
//     change the stage); with no entry before then, the From of the first
//     entry after, or its current stage, entered at CreatedAt. Amount,
//     currency and owner are the current ones.
//   - A touch count is the number of activities on the record before the
//     time; leads and opportunities count their own activities.
//   - A record's follow-up date at the end of a week is its NextFollowUp
//     when it is open now and has no touch since; otherwise the one its
//     last touch before then set (NextDate, or the cadence after that many
//     touches), or, with no touch, the one a new record gets (a lead on
//     the day it was created, an opportunity the cadence's first gap
//     later). Snoozes are not recorded, so they count only in NextFollowUp.
//   - A renewal decided without DecidedAt counts as decided before both
//     weeks.
func NewDigestBuilder(cfg *Config, end time.Time, loc *time.Location) *DigestBuilder {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	if loc == nil {
		loc = time.UTC
	}
	b := &DigestBuilder{
		cfg: cfg, loc: loc,
		repIdx: map[string]int32{}, sources: map[string]*sourceAgg{},
	}
	b.cut[2] = end.In(loc)
	b.cut[1] = b.cut[2].AddDate(0, 0, -7)
	b.cut[0] = b.cut[1].AddDate(0, 0, -7)
	for k, t := range b.cut {
		b.cutN[k] = nanos(t)
	}
	for w := range 2 {
		b.startDay[w] = DateOf(b.cut[w])
		b.endDay[w] = DateOf(b.cut[w+1])
		wk := &b.w[w]
		wk.Start, wk.End = b.cut[w], b.cut[w+1]
		wk.FieldSales.Pipeline = newPipelineTotals(len(cfg.Stages))
		wk.FieldSales.WonAmount, wk.FieldSales.LostAmount = Amounts{}, Amounts{}
		cs := &wk.CustomerSuccess
		cs.Due30ARR, cs.Due90ARR, cs.UpsellAmount, cs.CrossSellAmount = Amounts{}, Amounts{}, Amounts{}, Amounts{}
	}
	return b
}

// nanos returns t in Unix nanoseconds, clamped to what an int64 holds (the
// zero time is math.MinInt64).
func nanos(t time.Time) int64 {
	const lim = math.MaxInt64/int64(time.Second) - 1
	switch s := t.Unix(); {
	case s < -lim:
		return math.MinInt64
	case s > lim:
		return math.MaxInt64
	default:
		return s*int64(time.Second) + int64(t.Nanosecond())
	}
}

// day returns the calendar day of the Unix nanoseconds t in the digest's
// time zone.
func (b *DigestBuilder) day(t int64) Date { return DateOf(time.Unix(0, t).In(b.loc)) }

// week returns the week t falls in, or -1.
func (b *DigestBuilder) week(t int64) int {
	switch {
	case t < b.cutN[0] || t >= b.cutN[2]:
		return -1
	case t < b.cutN[1]:
		return lastWeek
	}
	return thisWeek
}

func (b *DigestBuilder) rep(id string) int32 {
	i, ok := b.repIdx[id]
	if !ok {
		i = int32(len(b.reps))
		b.repIdx[id] = i
		b.reps = append(b.reps, repAgg{name: id})
	}
	return i
}

func (b *DigestBuilder) source(name string) *sourceAgg {
	s := b.sources[name]
	if s == nil {
		s = &sourceAgg{}
		b.sources[name] = s
	}
	return s
}

// AddActivity counts a touch: on its lead or opportunity, and for its owner.
func (b *DigestBuilder) AddActivity(a *Activity) {
	t := nanos(a.At)
	w := b.week(t)
	if a.LeadID != 0 {
		b.leads.get(a.LeadID).touch(t, a.NextDate, &b.cutN)
		if w >= 0 {
			b.w[w].InsideSales.Touches++
		}
	}
	if a.OpportunityID != 0 {
		b.opps.get(a.OpportunityID).touch(t, a.NextDate, &b.cutN)
	}
	if w < 0 || a.Owner == "" {
		return
	}
	r := &b.reps[b.rep(a.Owner)].w[w]
	r.Touches++
	switch a.Kind {
	case ActivityCall:
		r.Calls++
	case ActivityEmail:
		r.Emails++
	case ActivityMeeting, ActivityDemo, ActivityProposal:
		r.Meetings++
	case ActivityNote:
		r.Notes++
	}
}

// leadClosed returns when l stopped being open, and whether it is open now.
func leadClosed(l *Lead) (time.Time, bool) {
	switch {
	case l.Status.Open():
		return time.Time{}, true
	case l.Status == LeadConverted && !l.ConvertedAt.IsZero():
		return l.ConvertedAt, false
	}
	return l.UpdatedAt, false
}

// leadQualified returns when l was qualified, and whether it was.
func leadQualified(l *Lead) (time.Time, bool) {
	switch {
	case !l.QualifiedAt.IsZero():
		return l.QualifiedAt, true
	case l.Status == LeadConverted:
		t, _ := leadClosed(l)
		return t, true
	case l.Status == LeadQualified:
		return l.UpdatedAt, true
	}
	return time.Time{}, false
}

// AddLead counts a lead: new, qualified, converted, open, and by source.
func (b *DigestBuilder) AddLead(l *Lead) {
	r := b.leads.get(l.ID)
	r.flags |= flagFed
	closedT, open := leadClosed(l)
	if open {
		r.flags |= flagOpenNow
		r.next = l.NextFollowUp
	}
	r.base = DateOf(l.CreatedAt.In(b.loc))
	if l.Owner != "" {
		r.owner = b.rep(l.Owner)
	}
	created, closed := nanos(l.CreatedAt), nanos(closedT)
	qT, qualified := leadQualified(l)
	q := nanos(qT)
	converted := l.Status == LeadConverted
	src := b.source(l.Source)
	for w := range 2 {
		s, e := b.cutN[w], b.cutN[w+1]
		if created >= e {
			continue
		}
		wk := &b.w[w]
		if created >= s {
			wk.Marketing.NewLeads++
			src.newLeads[w]++
		}
		src.leads[w]++
		if converted && closed < e {
			src.converted[w]++
		}
		during := open || closed >= s
		if open || closed >= e {
			r.flags |= flagOpenAt << w
		}
		if during {
			r.flags |= flagDuring << w
		}
		switch {
		case qualified && q < s:
			r.flags |= flagQualBefore << w
		case qualified && q < e:
			r.flags |= flagQualIn << w
			wk.InsideSales.Qualified++
		}
		convIn := converted && closed >= s && closed < e
		if during {
			wk.InsideSales.Conversion.Den++
			if convIn {
				wk.InsideSales.Conversion.Num++
			}
			if qualified && q < e {
				wk.Funnel[StepOpportunity].Den++
				if convIn {
					wk.Funnel[StepOpportunity].Num++
				}
			}
		}
	}
}

// oppClosed returns when o closed, and whether it is open now.
func oppClosed(o *Opportunity) (time.Time, bool) {
	if o.Open() {
		return time.Time{}, true
	}
	if !o.ClosedAt.IsZero() {
		return o.ClosedAt, false
	}
	var t time.Time
	for _, h := range o.History {
		if (h.Kind == StageWon || h.Kind == StageLost) && h.At.After(t) {
			t = h.At
		}
	}
	if t.IsZero() {
		t = o.UpdatedAt
	}
	return t, false
}

// stageAt returns the stage o was in just before t (Unix nanoseconds) and
// when it entered it, from its history.
func stageAt(o *Opportunity, t int64) (int, time.Time) {
	before, after := -1, -1
	var beforeAt, afterAt int64
	for i, h := range o.History {
		if h.Kind == StageLost {
			continue
		}
		at := nanos(h.At)
		switch {
		case at < t && (before < 0 || at >= beforeAt):
			before, beforeAt = i, at
		case at >= t && (after < 0 || at < afterAt):
			after, afterAt = i, at
		}
	}
	switch {
	case before >= 0:
		return o.History[before].To, o.History[before].At
	case after >= 0 && o.History[after].Kind != StageCreated:
		return o.History[after].From, o.CreatedAt
	case after >= 0:
		return o.History[after].To, o.CreatedAt
	case nanos(o.StageEnteredAt) < t:
		return o.Stage, o.StageEnteredAt
	}
	return o.Stage, o.CreatedAt
}

// AddOpportunity counts an opportunity: new, in the pipeline at the end of
// each week, won or lost, by kind and by source.
func (b *DigestBuilder) AddOpportunity(o *Opportunity) {
	r := b.opps.get(o.ID)
	r.flags |= flagFed
	closedT, open := oppClosed(o)
	if open {
		r.flags |= flagOpenNow
		r.next = o.NextFollowUp
	}
	createdDay := DateOf(o.CreatedAt.In(b.loc))
	r.base, _ = b.cfg.Cadence.Next(0, createdDay, b.cfg.Calendar)
	if o.Owner != "" {
		r.owner = b.rep(o.Owner)
	}
	created, closed := nanos(o.CreatedAt), nanos(closedT)
	src := b.source(o.Source)
	for w := range 2 {
		s, e := b.cutN[w], b.cutN[w+1]
		if created >= e {
			continue
		}
		wk := &b.w[w]
		fs, cs := &wk.FieldSales, &wk.CustomerSuccess
		src.opps[w]++
		if created >= s {
			fs.NewOpportunities++
			switch o.Kind {
			case KindUpsell:
				cs.Upsells++
				cs.UpsellAmount.Add(o.Amount())
			case KindCrossSell:
				cs.CrossSells++
				cs.CrossSellAmount.Add(o.Amount())
			}
		}
		if open || closed >= e {
			r.flags |= flagOpenAt << w
			stage, entered := stageAt(o, e)
			if fs.Pipeline.add(b.cfg, o, stage, entered, e, MaxStalledDeals) && r.owner >= 0 {
				b.reps[r.owner].w[w].Stalled++
			}
			continue
		}
		// Closed before the end of the week.
		switch o.Status {
		case OpportunityWon:
			src.won[w]++
		case OpportunityLost:
			src.lost[w]++
		}
		if closed < s {
			continue
		}
		switch o.Status {
		case OpportunityWon:
			fs.Won++
			fs.WonAmount.Add(o.Amount())
			fs.DaysToClose.Num += int64(max(DateOf(closedT.In(b.loc)).Sub(createdDay), 0))
			fs.DaysToClose.Den++
		case OpportunityLost:
			fs.Lost++
			fs.LostAmount.Add(o.Amount())
		}
	}
}

// AddHandoff counts a hand-off: MQLs, leads returned, opportunities sent
// back, and won accounts handed to Customer Success.
func (b *DigestBuilder) AddHandoff(h *Handoff) {
	w := b.week(nanos(h.At))
	if w < 0 {
		return
	}
	wk := &b.w[w]
	switch h.Kind {
	case HandoffMQL:
		wk.Marketing.MQLs++
	case HandoffReturned:
		wk.Marketing.Returned++
	case HandoffSentBack:
		wk.FieldSales.SentBack++
	case HandoffWon:
		wk.CustomerSuccess.HandedOver++
	}
}

// AddRenewal counts a renewal: due soon, past due, renewed or churned.
func (b *DigestBuilder) AddRenewal(r *Renewal) {
	decided := r.Status == RenewalRenewed || r.Status == RenewalChurned
	d := nanos(r.DecidedAt)
	hasD := !r.DecidedAt.IsZero()
	created := nanos(r.CreatedAt)
	for w := range 2 {
		s, e := b.cutN[w], b.cutN[w+1]
		cs := &b.w[w].CustomerSuccess
		if decided && hasD && d >= s && d < e {
			if r.Status == RenewalRenewed {
				cs.Renewed++
			} else {
				cs.Churned++
			}
		}
		pending := (r.CreatedAt.IsZero() || created < e) && (!decided || hasD && d >= e)
		if !pending || r.Due.IsZero() {
			continue
		}
		arr := Money{Minor: r.ARRMinor, Currency: r.Currency}
		switch day := b.endDay[w]; {
		case r.Due.Before(day):
			cs.PastDue++
		case r.Due.Before(day.AddDays(30)):
			cs.Due30++
			cs.Due30ARR.Add(arr)
			fallthrough
		case r.Due.Before(day.AddDays(90)):
			cs.Due90++
			cs.Due90ARR.Add(arr)
		}
	}
}

// AddAccount counts an account that became a customer.
func (b *DigestBuilder) AddAccount(a *Account) {
	if a.CustomerSince.IsZero() {
		return
	}
	for w := range 2 {
		if a.CustomerSince.Before(b.endDay[w]) {
			cs := &b.w[w].CustomerSuccess
			cs.Customers++
			if !a.CustomerSince.Before(b.startDay[w]) {
				cs.NewCustomers++
			}
		}
	}
}

// followUp returns the follow-up date r had at the end of week w (see
// NewDigestBuilder).
func (b *DigestBuilder) followUp(r *recAgg, w int) Date {
	if r.flags&flagOpenNow != 0 && r.total == r.n[w+1] {
		return r.next
	}
	if k := r.n[w+1]; k > 0 {
		if !r.lastNext[w].IsZero() {
			return r.lastNext[w]
		}
		d, _ := b.cfg.Cadence.Next(int(k), b.day(r.last[w]), b.cfg.Calendar)
		return d
	}
	return r.base
}

// overdue reports whether r, open at the end of week w, was overdue then.
func (b *DigestBuilder) overdue(r *recAgg, w int) bool {
	d := b.followUp(r, w)
	return !d.IsZero() && d.Before(b.endDay[w])
}

// Digest returns the digest of what was added so far. It may be called
// again after more records are added.
func (b *DigestBuilder) Digest() *Digest {
	var weeks [2]DigestWeek
	for w := range weeks {
		weeks[w] = b.w[w].clone()
	}
	overdue := make([][2]int, len(b.reps))
	cadence := b.cfg.Cadence.Touches
	b.leads.each(func(r *recAgg) {
		for w := range weeks {
			wk := &weeks[w]
			is := &wk.InsideSales
			touched := r.n[w+1] > r.n[w]
			if touched {
				is.LeadsTouched++
			}
			if r.flags&flagFed == 0 {
				continue
			}
			if r.flags&(flagDuring<<w) != 0 {
				wk.Funnel[StepTouched].Den++
				if touched {
					wk.Funnel[StepTouched].Num++
				}
			}
			if touched && r.flags&(flagQualBefore<<w) == 0 {
				wk.Funnel[StepQualified].Den++
				if r.flags&(flagQualIn<<w) != 0 {
					wk.Funnel[StepQualified].Num++
				}
			}
			if r.flags&(flagOpenAt<<w) == 0 {
				continue
			}
			n := int(r.n[w+1])
			is.OpenLeads++
			is.TouchesPerOpenLead.Num += int64(n)
			is.TouchesPerOpenLead.Den++
			is.ReachedCadence.Den++
			if n >= cadence {
				is.ReachedCadence.Num++
			}
			if n == 1 {
				// The only touch before the week's end is the latest.
				due, _ := b.cfg.Cadence.Next(1, b.day(r.last[w]), b.cfg.Calendar)
				if due.Before(b.endDay[w]) {
					is.Abandoned++
				}
			}
			if r.owner >= 0 && b.overdue(r, w) {
				overdue[r.owner][w]++
			}
		}
	})
	b.opps.each(func(r *recAgg) {
		if r.flags&flagFed == 0 || r.owner < 0 {
			return
		}
		for w := range weeks {
			if r.flags&(flagOpenAt<<w) != 0 && b.overdue(r, w) {
				overdue[r.owner][w]++
			}
		}
	})

	// By rep: everyone with a figure in either week, by id.
	var reps []int
	for i, r := range b.reps {
		if r.w[0] != (RepFigures{}) || r.w[1] != (RepFigures{}) || overdue[i] != [2]int{} {
			reps = append(reps, i)
		}
	}
	slices.SortFunc(reps, func(x, y int) int { return strings.Compare(b.reps[x].name, b.reps[y].name) })

	// Sources: with a record created before the end of this week, by name;
	// new leads: with some in either week, most first.
	var all, fresh []string
	for name, s := range b.sources {
		if s.leads[thisWeek] > 0 || s.opps[thisWeek] > 0 {
			all = append(all, name)
		}
		if s.newLeads[0] > 0 || s.newLeads[1] > 0 {
			fresh = append(fresh, name)
		}
	}
	slices.Sort(all)
	slices.SortFunc(fresh, func(x, y string) int {
		sx, sy := b.sources[x], b.sources[y]
		return cmp.Or(cmp.Compare(sy.newLeads[thisWeek], sx.newLeads[thisWeek]),
			cmp.Compare(sy.newLeads[lastWeek], sx.newLeads[lastWeek]), strings.Compare(x, y))
	})

	for w := range weeks {
		wk := &weeks[w]
		fs, cs := &wk.FieldSales, &wk.CustomerSuccess
		fs.WinRate = Ratio{int64(fs.Won), int64(fs.Won + fs.Lost)}
		wk.Funnel[StepWon] = fs.WinRate
		cs.RenewalRate = Ratio{int64(cs.Renewed), int64(cs.Renewed + cs.Churned)}
		for _, i := range reps {
			f := b.reps[i].w[w]
			f.Owner, f.Overdue = b.reps[i].name, overdue[i][w]
			wk.ByRep = append(wk.ByRep, f)
		}
		for _, name := range all {
			s := b.sources[name]
			wk.BySource = append(wk.BySource, SourceFigures{
				Source: name, Leads: s.leads[w], LeadToOpportunity: Ratio{int64(s.converted[w]), int64(s.leads[w])},
				Opportunities: s.opps[w], OpportunityToWon: Ratio{int64(s.won[w]), int64(s.won[w] + s.lost[w])},
			})
		}
		for _, name := range fresh {
			wk.Marketing.BySource = append(wk.Marketing.BySource, SourceCount{Source: name, Count: b.sources[name].newLeads[w]})
		}
	}
	d := &Digest{Last: weeks[lastWeek], This: weeks[thisWeek]}
	d.Bottleneck = findBottleneck(b.cfg, &d.This, &d.Last)
	return d
}

// clone returns a copy of w that shares no map or slice with it.
func (w DigestWeek) clone() DigestWeek {
	c := w
	fs, cs := &c.FieldSales, &c.CustomerSuccess
	fs.Pipeline.Total, fs.Pipeline.Weighted = maps.Clone(fs.Pipeline.Total), maps.Clone(fs.Pipeline.Weighted)
	fs.Pipeline.Stages = slices.Clone(fs.Pipeline.Stages)
	for i := range fs.Pipeline.Stages {
		st := &fs.Pipeline.Stages[i]
		st.Amount, st.Weighted = maps.Clone(st.Amount), maps.Clone(st.Weighted)
	}
	fs.Pipeline.Stalled = slices.Clone(fs.Pipeline.Stalled)
	sortStalled(fs.Pipeline.Stalled)
	fs.WonAmount, fs.LostAmount = maps.Clone(fs.WonAmount), maps.Clone(fs.LostAmount)
	cs.Due30ARR, cs.Due90ARR = maps.Clone(cs.Due30ARR), maps.Clone(cs.Due90ARR)
	cs.UpsellAmount, cs.CrossSellAmount = maps.Clone(cs.UpsellAmount), maps.Clone(cs.CrossSellAmount)
	c.Marketing.BySource, c.BySource, c.ByRep = nil, nil, nil
	return c
}

// findBottleneck applies the rule that Bottleneck documents.
func findBottleneck(cfg *Config, this, last *DigestWeek) Bottleneck {
	var best Bottleneck
	var drop int64
	for s := range Step(numSteps) {
		t, okT := this.Funnel[s].BasisPoints()
		l, okL := last.Funnel[s].BasisPoints()
		if okT && okL && l-t > drop {
			drop = l - t
			best = Bottleneck{Reason: BottleneckFell, Step: s, This: this.Funnel[s], Last: last.Funnel[s]}
		}
	}
	if best.Reason != BottleneckNone {
		return best
	}
	for i, st := range this.FieldSales.Pipeline.Stages {
		if st.Stalled == 0 {
			continue
		}
		share := Ratio{int64(st.Stalled), int64(st.Count)}
		if best.Reason != BottleneckNone {
			if c := cmpRatio(share, best.This); c < 0 || c == 0 && share.Num <= best.This.Num {
				continue
			}
		}
		best = Bottleneck{Reason: BottleneckStalled, This: share, Stage: i + 1, StageName: cfg.StageName(i + 1)}
		if i < len(cfg.Stages) {
			best.AvgDays = cfg.Stages[i].AvgDays
		}
		if i < len(last.FieldSales.Pipeline.Stages) {
			ls := last.FieldSales.Pipeline.Stages[i]
			best.Last = Ratio{int64(ls.Stalled), int64(ls.Count)}
		}
	}
	return best
}
