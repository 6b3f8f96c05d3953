package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/touchbase/touchbase"
)

// digestSQLite computes the figures of the weekly digest ending at end, in
// loc, with SQL: GROUP BY queries over the tables, through their indexes,
// that follow the definitions of touchbase.DigestWeek and the
// approximations of touchbase.NewDigestBuilder. Business days come from a
// calendar table (each day's start in loc and its business-day ordinal)
// that the digest builds first from cfg's calendar, as a database keeps a
// holiday table. Go only puts the rows into a touchbase.Digest; the
// Bottleneck, a choice among the figures, is left out.
func digestSQLite(ctx context.Context, db *sql.DB, cfg *touchbase.Config, end time.Time, loc *time.Location) (*touchbase.Digest, error) {
	q := newDigestQuery(cfg, end, loc)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: false}) // temp tables are written
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := q.calendar(ctx, tx); err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	for _, step := range []struct {
		name string
		fn   func(context.Context, *sql.Tx) error
	}{
		{"leads", q.leads}, {"lead sources", q.leadSources}, {"activities", q.activities},
		{"opportunities", q.opportunities}, {"handoffs", q.handoffs}, {"renewals", q.renewals}, {"accounts", q.accounts},
	} {
		if err := step.fn(ctx, tx); err != nil {
			return nil, fmt.Errorf("%s: %w", step.name, err)
		}
	}
	return q.digest(), nil
}

// digestQuery holds the parameters of one digest and the rows read so far.
type digestQuery struct {
	cfg      *touchbase.Config
	loc      *time.Location
	cut      [3]time.Time
	cutN     [3]int64
	startDay [2]int64 // days since 1970-01-01
	endDay   [2]int64
	weeks    string // the weeks as a VALUES table: w, s, e, sday, eday

	w       [2]touchbase.DigestWeek
	reps    map[string]*[2]touchbase.RepFigures
	sources map[string]*[2]sourceRow
	stalled [2][]touchbase.StalledDeal
}

type sourceRow struct{ newLeads, leads, converted, opps, won, lost int }

func newDigestQuery(cfg *touchbase.Config, end time.Time, loc *time.Location) *digestQuery {
	q := &digestQuery{cfg: cfg, loc: loc, reps: map[string]*[2]touchbase.RepFigures{}, sources: map[string]*[2]sourceRow{}}
	q.cut[2] = end.In(loc)
	q.cut[1] = q.cut[2].AddDate(0, 0, -7)
	q.cut[0] = q.cut[1].AddDate(0, 0, -7)
	for k, t := range q.cut {
		q.cutN[k] = t.UnixNano()
	}
	var rows []string
	for w := range 2 {
		q.startDay[w] = int64(touchbase.DateOf(q.cut[w]).Sub(epoch))
		q.endDay[w] = int64(touchbase.DateOf(q.cut[w+1]).Sub(epoch))
		rows = append(rows, fmt.Sprintf("(%d, %d, %d, %d, %d)", w, q.cutN[w], q.cutN[w+1], q.startDay[w], q.endDay[w]))
		wk := &q.w[w]
		wk.Start, wk.End = q.cut[w], q.cut[w+1]
		p := &wk.FieldSales.Pipeline
		p.Total, p.Weighted = touchbase.Amounts{}, touchbase.Amounts{}
		p.Stages = make([]touchbase.StageTotals, len(cfg.Stages))
		for i := range p.Stages {
			p.Stages[i] = touchbase.StageTotals{Amount: touchbase.Amounts{}, Weighted: touchbase.Amounts{}}
		}
		wk.FieldSales.WonAmount, wk.FieldSales.LostAmount = touchbase.Amounts{}, touchbase.Amounts{}
		cs := &wk.CustomerSuccess
		cs.Due30ARR, cs.Due90ARR, cs.UpsellAmount, cs.CrossSellAmount = touchbase.Amounts{}, touchbase.Amounts{}, touchbase.Amounts{}, touchbase.Amounts{}
	}
	q.weeks = "weeks(w, s, e, sday, eday) AS (VALUES " + strings.Join(rows, ", ") + ")"
	return q
}

// sql expands the digest's macros in a query: WEEKS (the VALUES table),
// MIN (the unset time), C0, C1, C2 (the cuts), OPEN (a lead status is
// open), TOUCHES (the cadence's touches), and the functions DAY(t) (the day
// of instant t in loc) and NEXT(k, d) (Cadence.Next after k touches on day
// d), written as subqueries of the calendar.
func (q *digestQuery) sql(s string) string {
	var gap strings.Builder
	gap.WriteString("CASE")
	gaps := q.cfg.Cadence.Gaps
	if len(gaps) == 0 {
		gaps = []int{5}
	}
	for i, g := range gaps[:len(gaps)-1] {
		fmt.Fprintf(&gap, " WHEN (%%[1]s) <= %d THEN %d", i+1, g)
	}
	fmt.Fprintf(&gap, " ELSE %d END", gaps[len(gaps)-1])
	s = expand(s, "NEXT", func(args []string) string {
		return fmt.Sprintf("(SELECT b.day FROM cal x JOIN bizdays b ON b.ord = x.ord + 1 - x.biz + (%s) WHERE x.day = (%s))",
			fmt.Sprintf(gap.String(), args[0]), args[1])
	})
	s = expand(s, "DAY", func(args []string) string {
		return fmt.Sprintf("(SELECT day FROM cal WHERE start_ns <= (%s) ORDER BY start_ns DESC LIMIT 1)", args[0])
	})
	return strings.NewReplacer(
		"WEEKS", q.weeks,
		"MIN", "(-9223372036854775807 - 1)",
		"C0", fmt.Sprint(q.cutN[0]), "C1", fmt.Sprint(q.cutN[1]), "C2", fmt.Sprint(q.cutN[2]),
		"OPEN", "('new', 'working', 'qualified')",
		"TOUCHES", fmt.Sprint(q.cfg.Cadence.Touches),
	).Replace(s)
}

// expand replaces each NAME(args) in s with fn(args); args are split at
// top-level commas.
func expand(s, name string, fn func([]string) string) string {
	for {
		i := strings.Index(s, name+"(")
		if i < 0 {
			return s
		}
		depth, start, j := 0, i+len(name)+1, i+len(name)
		var args []string
		for ; j < len(s); j++ {
			switch s[j] {
			case '(':
				depth++
			case ')':
				depth--
			case ',':
				if depth == 1 {
					args = append(args, strings.TrimSpace(s[start:j]))
					start = j + 1
				}
			}
			if depth == 0 {
				break
			}
		}
		args = append(args, strings.TrimSpace(s[start:j]))
		s = s[:i] + fn(args) + s[j+1:]
	}
}

// calendar builds the temporary calendar over the days the data spans:
// cal(day, start_ns, ord, biz), where ord counts the business days up to
// and including day, and bizdays(ord, day).
func (q *digestQuery) calendar(ctx context.Context, tx *sql.Tx) error {
	var lo, hi sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT min(t), max(t) FROM (
		SELECT min(at) AS t FROM activities UNION ALL SELECT max(at) FROM activities
		UNION ALL SELECT min(created_at) FROM leads UNION ALL SELECT min(created_at) FROM opportunities
		UNION ALL SELECT min(closed_at) FROM opportunities UNION ALL SELECT max(updated_at) FROM leads)`).Scan(&lo, &hi)
	if err != nil {
		return err
	}
	first, last := q.cut[0].AddDate(0, 0, -7), q.cut[2].AddDate(0, 0, 7)
	if lo.Valid && time.Unix(0, lo.Int64).Before(first) {
		first = time.Unix(0, lo.Int64)
	}
	if hi.Valid && time.Unix(0, hi.Int64).After(last) {
		last = time.Unix(0, hi.Int64)
	}
	for _, s := range []string{
		`CREATE TEMP TABLE cal(day INTEGER PRIMARY KEY, start_ns INTEGER UNIQUE, ord INTEGER, biz INTEGER)`,
		`CREATE TEMP TABLE bizdays(ord INTEGER PRIMARY KEY, day INTEGER)`,
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO cal VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	biz, err := tx.PrepareContext(ctx, `INSERT INTO bizdays VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer biz.Close()
	// A month of slack each side for the cadence's steps.
	ord := int64(0)
	for d, stop := touchbase.DateOf(first.In(q.loc)).AddDays(-31), touchbase.DateOf(last.In(q.loc)).AddDays(62); !d.After(stop); d = d.AddDays(1) {
		isBiz := q.cfg.Calendar.BusinessDay(d)
		if isBiz {
			ord++
			if _, err := biz.ExecContext(ctx, ord, int64(d.Sub(epoch))); err != nil {
				return err
			}
		}
		if _, err := ins.ExecContext(ctx, int64(d.Sub(epoch)), d.In(q.loc).UnixNano(), ord, isBiz); err != nil {
			return err
		}
	}
	return nil
}

// rep returns the figures of rep id, by week.
func (q *digestQuery) rep(id string) *[2]touchbase.RepFigures {
	r := q.reps[id]
	if r == nil {
		r = &[2]touchbase.RepFigures{}
		q.reps[id] = r
	}
	return r
}

func (q *digestQuery) source(name string) *[2]sourceRow {
	s := q.sources[name]
	if s == nil {
		s = &[2]sourceRow{}
		q.sources[name] = s
	}
	return s
}

// each runs query and calls fn to scan each row.
func each(ctx context.Context, tx *sql.Tx, query string, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// leads sums the Inside Sales figures and the funnel's lead steps by week
// and owner, each lead with its touches before each cut (one pass over the
// activities-by-lead index) and its follow-up at the end of each week.
func (q *digestQuery) leads(ctx context.Context, tx *sql.Tx) error {
	query := q.sql(`
WITH WEEKS,
t AS (SELECT lead_id AS id, count(*) AS total,
		count(*) FILTER (WHERE at < C0) AS n0, count(*) FILTER (WHERE at < C1) AS n1, count(*) FILTER (WHERE at < C2) AS n2,
		max(at) FILTER (WHERE at < C1) AS last0, max(at) FILTER (WHERE at < C2) AS last1
	FROM activities WHERE lead_id IS NOT NULL GROUP BY lead_id),
l AS (SELECT id, owner, status IN OPEN AS open, status = 'converted' AS converted, next_follow_up AS next,
		coalesce(created_at, MIN) AS created, created_at,
		CASE WHEN status IN OPEN THEN MIN WHEN status = 'converted' AND converted_at IS NOT NULL THEN converted_at ELSE coalesce(updated_at, MIN) END AS closed,
		CASE WHEN qualified_at IS NOT NULL THEN qualified_at
			WHEN status = 'converted' THEN coalesce(converted_at, updated_at, MIN)
			WHEN status = 'qualified' THEN coalesce(updated_at, MIN) END AS q
	FROM leads),
lw AS (SELECT w, l.id, l.owner, l.open, l.converted, l.next, l.created_at, s, e, eday,
		l.open OR l.closed >= s AS during,
		l.open OR l.closed >= e AS open_at,
		l.q IS NOT NULL AND l.q < s AS qual_before,
		l.q IS NOT NULL AND l.q >= s AND l.q < e AS qual_in,
		l.q IS NOT NULL AND l.q < e AS qual_by_end,
		l.converted AND l.closed >= s AND l.closed < e AS conv_in,
		coalesce(t.total, 0) AS total,
		CASE w WHEN 0 THEN coalesce(t.n1, 0) ELSE coalesce(t.n2, 0) END AS n,
		CASE w WHEN 0 THEN coalesce(t.n1, 0) > coalesce(t.n0, 0) ELSE coalesce(t.n2, 0) > coalesce(t.n1, 0) END AS touched,
		CASE w WHEN 0 THEN t.last0 ELSE t.last1 END AS last
	FROM l JOIN weeks ON l.created < e LEFT JOIN t ON t.id = l.id)
SELECT w, owner,
	sum(qual_in), sum(during), sum(during AND conv_in), sum(during AND qual_by_end), sum(during AND qual_by_end AND conv_in),
	sum(during AND touched), sum(touched AND NOT qual_before), sum(touched AND NOT qual_before AND qual_in),
	sum(open_at), sum(CASE WHEN open_at THEN n ELSE 0 END), sum(open_at AND n >= TOUCHES),
	sum(open_at AND n = 1 AND NEXT(1, DAY(last)) < eday),
	sum(open_at AND owner IS NOT NULL AND coalesce(
		CASE WHEN open AND total = n THEN next
			WHEN n > 0 THEN coalesce((SELECT max(a.next_date) FROM activities a WHERE a.lead_id = lw.id AND a.at = lw.last), NEXT(n, DAY(last)))
			ELSE DAY(created_at) END < eday, 0))
FROM lw GROUP BY w, owner`)
	return each(ctx, tx, query, func(rows *sql.Rows) error {
		var w int
		var owner sql.NullString
		var v [13]int64
		dst := []any{&w, &owner}
		for i := range v {
			dst = append(dst, &v[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		wk := &q.w[w]
		is := &wk.InsideSales
		is.Qualified += int(v[0])
		is.Conversion.Den += v[1]
		is.Conversion.Num += v[2]
		wk.Funnel[touchbase.StepOpportunity].Den += v[3]
		wk.Funnel[touchbase.StepOpportunity].Num += v[4]
		wk.Funnel[touchbase.StepTouched].Den += v[1]
		wk.Funnel[touchbase.StepTouched].Num += v[5]
		wk.Funnel[touchbase.StepQualified].Den += v[6]
		wk.Funnel[touchbase.StepQualified].Num += v[7]
		is.OpenLeads += int(v[8])
		is.TouchesPerOpenLead.Num += v[9]
		is.TouchesPerOpenLead.Den += v[8]
		is.ReachedCadence.Num += v[10]
		is.ReachedCadence.Den += v[8]
		is.Abandoned += int(v[11])
		if owner.Valid {
			q.rep(owner.String)[w].Overdue += int(v[12])
		}
		return nil
	})
}

// leadSources counts new, all and converted leads by week and source.
func (q *digestQuery) leadSources(ctx context.Context, tx *sql.Tx) error {
	query := q.sql(`
WITH WEEKS,
l AS (SELECT coalesce(source, '') AS source, coalesce(created_at, MIN) AS created, status = 'converted' AS converted,
		CASE WHEN status = 'converted' AND converted_at IS NOT NULL THEN converted_at ELSE coalesce(updated_at, MIN) END AS closed
	FROM leads)
SELECT w, source, sum(created >= s), count(*), sum(converted AND closed < e)
FROM l JOIN weeks ON created < e GROUP BY w, source`)
	return each(ctx, tx, query, func(rows *sql.Rows) error {
		var w, newLeads, leads, converted int
		var source string
		if err := rows.Scan(&w, &source, &newLeads, &leads, &converted); err != nil {
			return err
		}
		s := &q.source(source)[w]
		s.newLeads, s.leads, s.converted = newLeads, leads, converted
		q.w[w].Marketing.NewLeads += newLeads
		return nil
	})
}

// activities counts the weeks' touches by rep and kind, the touches on
// leads, and the leads touched, through the activities-by-time index.
func (q *digestQuery) activities(ctx context.Context, tx *sql.Tx) error {
	err := each(ctx, tx, q.sql(`
WITH WEEKS
SELECT w, owner, count(*), sum(kind = 'call'), sum(kind = 'email'), sum(kind IN ('meeting', 'demo', 'proposal')), sum(kind = 'note'),
	sum(lead_id IS NOT NULL), count(DISTINCT lead_id)
FROM activities JOIN weeks ON at >= s AND at < e GROUP BY w, owner`), func(rows *sql.Rows) error {
		var w int
		var owner sql.NullString
		var touches, calls, emails, meetings, notes, onLeads, leads int
		if err := rows.Scan(&w, &owner, &touches, &calls, &emails, &meetings, &notes, &onLeads, &leads); err != nil {
			return err
		}
		q.w[w].InsideSales.Touches += onLeads
		if owner.Valid {
			r := &q.rep(owner.String)[w]
			r.Touches, r.Calls, r.Emails, r.Meetings, r.Notes = touches, calls, emails, meetings, notes
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Distinct leads over all owners: a lead touched by two reps is one.
	return each(ctx, tx, q.sql(`
WITH WEEKS
SELECT w, count(DISTINCT lead_id) FROM activities JOIN weeks ON at >= s AND at < e WHERE lead_id IS NOT NULL GROUP BY w`), func(rows *sql.Rows) error {
		var w, n int
		if err := rows.Scan(&w, &n); err != nil {
			return err
		}
		q.w[w].InsideSales.LeadsTouched = n
		return nil
	})
}

// opportunities computes each opportunity's state at the end of each week
// (its stage then, from its stage changes, and its follow-up) into a
// temporary table, then sums it by week: the pipeline by stage and
// currency, the longest stalled, won and lost, new by kind, by source, and
// stalled and overdue by owner.
func (q *digestQuery) opportunities(ctx context.Context, tx *sql.Tx) error {
	var stages []string
	for i, st := range q.cfg.Stages {
		stages = append(stages, fmt.Sprintf("(%d, %d, %d)", i+1, st.Probability, st.AvgDays))
	}
	create := q.sql(`
CREATE TEMP TABLE opw AS
WITH WEEKS,
stages(stage, prob, avg_days) AS (VALUES ` + strings.Join(stages, ", ") + `),
t AS (SELECT opportunity_id AS id, count(*) AS total,
		count(*) FILTER (WHERE at < C1) AS n1, count(*) FILTER (WHERE at < C2) AS n2,
		max(at) FILTER (WHERE at < C1) AS last0, max(at) FILTER (WHERE at < C2) AS last1
	FROM activities WHERE opportunity_id IS NOT NULL GROUP BY opportunity_id),
o AS (SELECT id, name, kind, owner, coalesce(source, '') AS source, status, amount_minor AS amount, currency, stage, next_follow_up AS next,
		coalesce(created_at, MIN) AS created, created_at, coalesce(stage_entered_at, MIN) AS stage_entered,
		CASE WHEN status = 'open' THEN MIN WHEN closed_at IS NOT NULL THEN closed_at
			ELSE coalesce((SELECT max(h.at) FROM stage_changes h WHERE h.opportunity_id = o.id AND h.kind IN ('won', 'lost')), updated_at, MIN) END AS closed
	FROM opportunities o),
ow AS (SELECT w, o.*, s, e, eday, o.status = 'open' OR o.closed >= e AS open_at,
		(SELECT h.seq FROM stage_changes h WHERE h.opportunity_id = o.id AND h.kind <> 'lost' AND coalesce(h.at, MIN) < e
			ORDER BY coalesce(h.at, MIN) DESC, h.seq DESC LIMIT 1) AS bseq,
		(SELECT h.seq FROM stage_changes h WHERE h.opportunity_id = o.id AND h.kind <> 'lost' AND coalesce(h.at, MIN) >= e
			ORDER BY coalesce(h.at, MIN), h.seq LIMIT 1) AS aseq,
		coalesce(t.total, 0) AS total,
		CASE w WHEN 0 THEN coalesce(t.n1, 0) ELSE coalesce(t.n2, 0) END AS n,
		CASE w WHEN 0 THEN t.last0 ELSE t.last1 END AS last
	FROM o JOIN weeks ON o.created < e LEFT JOIN t ON t.id = o.id),
os AS (SELECT ow.*,
		CASE WHEN bseq IS NOT NULL THEN b.to_stage WHEN aseq IS NOT NULL THEN CASE a.kind WHEN 'created' THEN a.to_stage ELSE a.from_stage END
			ELSE ow.stage END AS stage_then,
		CASE WHEN bseq IS NOT NULL THEN coalesce(b.at, MIN) WHEN aseq IS NOT NULL THEN created WHEN stage_entered < e THEN stage_entered
			ELSE created END AS entered
	FROM ow LEFT JOIN stage_changes b ON b.opportunity_id = ow.id AND b.seq = ow.bseq
		LEFT JOIN stage_changes a ON a.opportunity_id = ow.id AND a.seq = ow.aseq)
SELECT os.w, os.id, os.name, os.kind, os.owner, os.source, os.status, os.amount, os.currency, os.created >= os.s AS new, os.open_at,
	os.stage_then, os.entered, st.prob, os.open_at AND st.stage IS NOT NULL AS in_pipeline,
	os.open_at AND st.avg_days > 0 AND os.e - os.entered > st.avg_days * 86400000000000 AS stalled,
	(os.e - os.entered) / 86400000000000 AS days,
	NOT os.open_at AND os.closed >= os.s AS closed_in,
	CASE WHEN NOT os.open_at AND os.closed >= os.s AND os.status = 'won' THEN max(DAY(os.closed) - DAY(os.created_at), 0) END AS days_to_close,
	os.open_at AND os.owner IS NOT NULL AND coalesce(
		CASE WHEN os.status = 'open' AND os.total = os.n THEN os.next
			WHEN os.n > 0 THEN coalesce((SELECT max(a.next_date) FROM activities a WHERE a.opportunity_id = os.id AND a.at = os.last), NEXT(os.n, DAY(os.last)))
			ELSE NEXT(0, DAY(os.created_at)) END < os.eday, 0) AS overdue
FROM os LEFT JOIN stages st ON st.stage = os.stage_then`)
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return err
	}

	// The pipeline at the end of each week, by stage and currency.
	err := each(ctx, tx, `SELECT w, stage_then, currency, count(*), sum(amount), sum(amount * prob / 100), sum(stalled)
		FROM opw WHERE in_pipeline GROUP BY w, stage_then, currency`, func(rows *sql.Rows) error {
		var w, stage, n, stalled int
		var cur sql.NullString
		var amount, weighted int64
		if err := rows.Scan(&w, &stage, &cur, &n, &amount, &weighted, &stalled); err != nil {
			return err
		}
		p := &q.w[w].FieldSales.Pipeline
		st := &p.Stages[stage-1]
		p.Count += n
		st.Count += n
		st.Stalled += stalled
		if cur.Valid {
			p.Total[cur.String] += amount
			p.Weighted[cur.String] += weighted
			st.Amount[cur.String] += amount
			st.Weighted[cur.String] += weighted
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The longest stalled of each week.
	err = each(ctx, tx, fmt.Sprintf(`SELECT w, id, name, coalesce(owner, ''), amount, coalesce(currency, ''), stage_then, entered, days FROM (
		SELECT *, row_number() OVER (PARTITION BY w ORDER BY entered, id) AS rank FROM opw WHERE in_pipeline AND stalled)
		WHERE rank <= %d ORDER BY w, rank`, touchbase.MaxStalledDeals), func(rows *sql.Rows) error {
		var w int
		var d touchbase.StalledDeal
		var entered int64
		if err := rows.Scan(&w, &d.ID, &d.Name, &d.Owner, &d.Amount.Minor, &d.Amount.Currency, &d.Stage, &entered, &d.Days); err != nil {
			return err
		}
		d.EnteredAt = time.Unix(0, entered).UTC()
		q.stalled[w] = append(q.stalled[w], d)
		return nil
	})
	if err != nil {
		return err
	}
	// Won and lost in each week, by currency.
	err = each(ctx, tx, `SELECT w, status, currency, count(*), sum(amount), sum(days_to_close) FROM opw
		WHERE closed_in AND status IN ('won', 'lost') GROUP BY w, status, currency`, func(rows *sql.Rows) error {
		var w, n int
		var status string
		var cur sql.NullString
		var amount int64
		var days sql.NullInt64
		if err := rows.Scan(&w, &status, &cur, &n, &amount, &days); err != nil {
			return err
		}
		fs := &q.w[w].FieldSales
		if status == "won" {
			fs.Won += n
			fs.DaysToClose.Num += days.Int64
			fs.DaysToClose.Den += int64(n)
			if cur.Valid {
				fs.WonAmount[cur.String] += amount
			}
		} else {
			fs.Lost += n
			if cur.Valid {
				fs.LostAmount[cur.String] += amount
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// New in each week, by kind and currency.
	err = each(ctx, tx, `SELECT w, coalesce(kind, ''), currency, count(*), sum(amount) FROM opw WHERE new GROUP BY w, kind, currency`, func(rows *sql.Rows) error {
		var w, n int
		var kind string
		var cur sql.NullString
		var amount int64
		if err := rows.Scan(&w, &kind, &cur, &n, &amount); err != nil {
			return err
		}
		q.w[w].FieldSales.NewOpportunities += n
		cs := &q.w[w].CustomerSuccess
		switch touchbase.OpportunityKind(kind) {
		case touchbase.KindUpsell:
			cs.Upsells += n
			if cur.Valid {
				cs.UpsellAmount[cur.String] += amount
			}
		case touchbase.KindCrossSell:
			cs.CrossSells += n
			if cur.Valid {
				cs.CrossSellAmount[cur.String] += amount
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// By source, to the end of each week.
	err = each(ctx, tx, `SELECT w, source, count(*), sum(NOT open_at AND status = 'won'), sum(NOT open_at AND status = 'lost')
		FROM opw GROUP BY w, source`, func(rows *sql.Rows) error {
		var w, n, won, lost int
		var source string
		if err := rows.Scan(&w, &source, &n, &won, &lost); err != nil {
			return err
		}
		s := &q.source(source)[w]
		s.opps, s.won, s.lost = n, won, lost
		return nil
	})
	if err != nil {
		return err
	}
	// Stalled and overdue by owner.
	return each(ctx, tx, `SELECT w, owner, sum(in_pipeline AND stalled), sum(overdue) FROM opw WHERE owner IS NOT NULL GROUP BY w, owner`,
		func(rows *sql.Rows) error {
			var w, stalled, overdue int
			var owner string
			if err := rows.Scan(&w, &owner, &stalled, &overdue); err != nil {
				return err
			}
			r := &q.rep(owner)[w]
			r.Stalled += stalled
			r.Overdue += overdue
			return nil
		})
}

// handoffs counts the weeks' hand-offs by kind.
func (q *digestQuery) handoffs(ctx context.Context, tx *sql.Tx) error {
	return each(ctx, tx, q.sql(`WITH WEEKS SELECT w, kind, count(*) FROM handoffs JOIN weeks ON at >= s AND at < e GROUP BY w, kind`),
		func(rows *sql.Rows) error {
			var w, n int
			var kind string
			if err := rows.Scan(&w, &kind, &n); err != nil {
				return err
			}
			wk := &q.w[w]
			switch touchbase.HandoffKind(kind) {
			case touchbase.HandoffMQL:
				wk.Marketing.MQLs += n
			case touchbase.HandoffReturned:
				wk.Marketing.Returned += n
			case touchbase.HandoffSentBack:
				wk.FieldSales.SentBack += n
			case touchbase.HandoffWon:
				wk.CustomerSuccess.HandedOver += n
			}
			return nil
		})
}

// renewals counts renewals decided in each week, and those pending at its
// end by how soon they fall due, by currency.
func (q *digestQuery) renewals(ctx context.Context, tx *sql.Tx) error {
	return each(ctx, tx, q.sql(`
WITH WEEKS,
r AS (SELECT *, status IN ('renewed', 'churned') AS decided FROM renewals),
rw AS (SELECT w, r.*, eday,
		decided AND decided_at IS NOT NULL AND decided_at >= s AND decided_at < e AS decided_in,
		(created_at IS NULL OR created_at < e) AND (NOT decided OR decided_at IS NOT NULL AND decided_at >= e) AND due IS NOT NULL AS pending
	FROM r JOIN weeks)
SELECT w, currency, sum(decided_in AND status = 'renewed'), sum(decided_in AND status = 'churned'),
	sum(pending AND due < eday),
	sum(pending AND due >= eday AND due < eday + 30), sum(CASE WHEN pending AND due >= eday AND due < eday + 30 THEN arr_minor ELSE 0 END),
	sum(pending AND due >= eday AND due < eday + 90), sum(CASE WHEN pending AND due >= eday AND due < eday + 90 THEN arr_minor ELSE 0 END)
FROM rw GROUP BY w, currency`), func(rows *sql.Rows) error {
		var w, renewed, churned, pastDue, due30, due90 int
		var cur sql.NullString
		var arr30, arr90 int64
		if err := rows.Scan(&w, &cur, &renewed, &churned, &pastDue, &due30, &arr30, &due90, &arr90); err != nil {
			return err
		}
		cs := &q.w[w].CustomerSuccess
		cs.Renewed += renewed
		cs.Churned += churned
		cs.PastDue += pastDue
		cs.Due30 += due30
		cs.Due90 += due90
		if cur.Valid && due30 > 0 {
			cs.Due30ARR[cur.String] += arr30
		}
		if cur.Valid && due90 > 0 {
			cs.Due90ARR[cur.String] += arr90
		}
		return nil
	})
}

// accounts counts the customers by the end of each week, and the new ones.
func (q *digestQuery) accounts(ctx context.Context, tx *sql.Tx) error {
	return each(ctx, tx, q.sql(`WITH WEEKS SELECT w, sum(customer_since < eday), sum(customer_since >= sday AND customer_since < eday)
		FROM accounts JOIN weeks WHERE customer_since IS NOT NULL GROUP BY w`), func(rows *sql.Rows) error {
		var w, customers, fresh int
		if err := rows.Scan(&w, &customers, &fresh); err != nil {
			return err
		}
		q.w[w].CustomerSuccess.Customers = customers
		q.w[w].CustomerSuccess.NewCustomers = fresh
		return nil
	})
}

// digest puts the rows read into a Digest, listing reps and sources as the
// digest does.
func (q *digestQuery) digest() *touchbase.Digest {
	var reps []string
	for id, r := range q.reps {
		if r[0] != (touchbase.RepFigures{}) || r[1] != (touchbase.RepFigures{}) {
			reps = append(reps, id)
		}
	}
	slices.Sort(reps)
	var all, fresh []string
	for name, s := range q.sources {
		if s[1].leads > 0 || s[1].opps > 0 {
			all = append(all, name)
		}
		if s[0].newLeads > 0 || s[1].newLeads > 0 {
			fresh = append(fresh, name)
		}
	}
	slices.Sort(all)
	slices.SortFunc(fresh, func(x, y string) int {
		sx, sy := q.sources[x], q.sources[y]
		if c := sy[1].newLeads - sx[1].newLeads; c != 0 {
			return c
		}
		if c := sy[0].newLeads - sx[0].newLeads; c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	for w := range q.w {
		wk := &q.w[w]
		fs, cs := &wk.FieldSales, &wk.CustomerSuccess
		fs.WinRate = touchbase.Ratio{Num: int64(fs.Won), Den: int64(fs.Won + fs.Lost)}
		wk.Funnel[touchbase.StepWon] = fs.WinRate
		cs.RenewalRate = touchbase.Ratio{Num: int64(cs.Renewed), Den: int64(cs.Renewed + cs.Churned)}
		fs.Pipeline.Stalled = q.stalled[w]
		for _, id := range reps {
			f := q.reps[id][w]
			f.Owner = id
			wk.ByRep = append(wk.ByRep, f)
		}
		for _, name := range all {
			s := q.sources[name][w]
			wk.BySource = append(wk.BySource, touchbase.SourceFigures{Source: name, Leads: s.leads,
				LeadToOpportunity: touchbase.Ratio{Num: int64(s.converted), Den: int64(s.leads)},
				Opportunities:     s.opps, OpportunityToWon: touchbase.Ratio{Num: int64(s.won), Den: int64(s.won + s.lost)}})
		}
		for _, name := range fresh {
			wk.Marketing.BySource = append(wk.Marketing.BySource, touchbase.SourceCount{Source: name, Count: q.sources[name][w].newLeads})
		}
	}
	return &touchbase.Digest{Last: q.w[0], This: q.w[1]}
}
