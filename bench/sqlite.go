package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// The SQLite peer keeps the same data in a plain relational schema, with
// the indexes the product's reads need (the ones touchbase keeps as index
// buckets): records by owner, open records by follow-up date and by owner
// and date, leads by email, opportunities and renewals by account, pending
// renewals by due date, activities by time, by lead and by opportunity, and
// a table of name words for forgiving search. Times are Unix nanoseconds,
// dates days since 1970-01-01, an unset value NULL.
const sqliteSchema = `
CREATE TABLE reps(id TEXT PRIMARY KEY, name TEXT, time_zone TEXT, created_at INTEGER) WITHOUT ROWID;
CREATE TABLE teams(name TEXT PRIMARY KEY, function TEXT, channel TEXT, members TEXT, managers TEXT, time_zone TEXT, created_at INTEGER) WITHOUT ROWID;
CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT, owner TEXT, source TEXT, created_at INTEGER, customer_since INTEGER, success_owner TEXT);
CREATE TABLE leads(id INTEGER PRIMARY KEY, status TEXT NOT NULL, name TEXT, company TEXT, email TEXT, phone TEXT, title TEXT, source TEXT, owner TEXT,
	budget INTEGER, budget_note TEXT, authority INTEGER, authority_note TEXT, need INTEGER, need_note TEXT, timeline INTEGER, timeline_note TEXT,
	touches INTEGER, last_touch INTEGER, next_follow_up INTEGER, reason TEXT, recycle_on INTEGER, account_id INTEGER, contact_id INTEGER,
	opportunity_id INTEGER, created_at INTEGER, updated_at INTEGER, qualified_at INTEGER, converted_at INTEGER);
CREATE INDEX leads_owner ON leads(owner);
CREATE INDEX leads_due ON leads(next_follow_up) WHERE status IN ('new', 'working', 'qualified');
CREATE INDEX leads_owner_due ON leads(owner, next_follow_up) WHERE status IN ('new', 'working', 'qualified');
CREATE INDEX leads_email ON leads(lower(email));
CREATE TABLE opportunities(id INTEGER PRIMARY KEY, kind TEXT, account_id INTEGER, contact_id INTEGER, lead_id INTEGER, name TEXT,
	amount_minor INTEGER, currency TEXT, close_date INTEGER, stage INTEGER, status TEXT NOT NULL, lost_reason TEXT, owner TEXT, source TEXT,
	budget INTEGER, budget_note TEXT, authority INTEGER, authority_note TEXT, need INTEGER, need_note TEXT, timeline INTEGER, timeline_note TEXT,
	touches INTEGER, last_touch INTEGER, next_follow_up INTEGER, stage_entered_at INTEGER, created_at INTEGER, updated_at INTEGER, closed_at INTEGER);
CREATE INDEX opps_owner ON opportunities(owner);
CREATE INDEX opps_due ON opportunities(next_follow_up) WHERE status = 'open';
CREATE INDEX opps_owner_due ON opportunities(owner, next_follow_up) WHERE status = 'open';
CREATE INDEX opps_account ON opportunities(account_id);
CREATE TABLE stage_changes(opportunity_id INTEGER, seq INTEGER, at INTEGER, by TEXT, kind TEXT, from_stage INTEGER, to_stage INTEGER, reason TEXT,
	PRIMARY KEY (opportunity_id, seq)) WITHOUT ROWID;
CREATE TABLE activities(id INTEGER PRIMARY KEY, kind TEXT, owner TEXT, at INTEGER, lead_id INTEGER, opportunity_id INTEGER,
	note TEXT, next_step TEXT, next_date INTEGER);
CREATE INDEX activities_at ON activities(at);
CREATE INDEX activities_lead ON activities(lead_id, at) WHERE lead_id IS NOT NULL;
CREATE INDEX activities_opp ON activities(opportunity_id, at) WHERE opportunity_id IS NOT NULL;
CREATE TABLE handoffs(id INTEGER PRIMARY KEY, at INTEGER, kind TEXT, from_rep TEXT, to_rep TEXT, lead_id INTEGER, opportunity_id INTEGER, reason TEXT);
CREATE TABLE renewals(id INTEGER PRIMARY KEY, account_id INTEGER, opportunity_id INTEGER, owner TEXT, arr_minor INTEGER, currency TEXT,
	start INTEGER, due INTEGER, term_months INTEGER, status TEXT NOT NULL, decided_at INTEGER, reason TEXT, created_at INTEGER);
CREATE INDEX renewals_account ON renewals(account_id);
CREATE INDEX renewals_owner ON renewals(owner);
CREATE INDEX renewals_due ON renewals(due) WHERE status = 'pending';
CREATE TABLE names(word TEXT, kind INTEGER, id INTEGER, whole INTEGER, PRIMARY KEY (word, kind, id)) WITHOUT ROWID;
`

// openSQLite opens (creating) the SQLite database at path: WAL with a
// synchronous commit, as durable as bbolt's fsync per commit; the file
// mapped into memory, as bbolt maps its own; a 64 MB page cache.
func openSQLite(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=mmap_size(4294967296)&_pragma=cache_size(-65536)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// nsOf returns t in Unix nanoseconds, or nil for the zero time.
func nsOf(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// epoch is day 0 of the dates stored.
var epoch = touchbase.NewDate(1970, time.January, 1)

// dayOf returns d in days since 1970-01-01, or nil for no date.
func dayOf(d touchbase.Date) any {
	if d.IsZero() {
		return nil
	}
	return int64(d.Sub(epoch))
}

// str returns s, or nil for "".
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// id returns v, or nil for 0.
func id(v uint64) any {
	if v == 0 {
		return nil
	}
	return int64(v)
}

// sqliteBatch is how many rows one loading transaction writes.
const sqliteBatch = 10_000

// loader writes rows in transactions of sqliteBatch rows, with one
// prepared statement per table.
type loader struct {
	db    *sql.DB
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	rows  int
}

func (l *loader) exec(ctx context.Context, query string, args ...any) error {
	if l.tx == nil {
		tx, err := l.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		l.tx, l.stmts = tx, map[string]*sql.Stmt{}
	}
	st := l.stmts[query]
	if st == nil {
		var err error
		if st, err = l.tx.PrepareContext(ctx, query); err != nil {
			return fmt.Errorf("prepare %q: %w", query, err)
		}
		l.stmts[query] = st
	}
	if _, err := st.ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("%.40q: %w", query, err)
	}
	return nil
}

// row ends a record: every sqliteBatch records the transaction commits.
func (l *loader) row() error {
	if l.rows++; l.rows%sqliteBatch == 0 {
		return l.commit()
	}
	return nil
}

func (l *loader) commit() error {
	if l.tx == nil {
		return nil
	}
	err := l.tx.Commit()
	l.tx, l.stmts = nil, nil
	return err
}

// loadSQLite writes everything of x but its activities, then the
// activities (loadSQLiteActivities), which the import benchmark times.
func loadSQLite(ctx context.Context, db *sql.DB, x *handlers.Export) error {
	if _, err := db.ExecContext(ctx, sqliteSchema); err != nil {
		return err
	}
	l := &loader{db: db}
	for _, r := range x.Reps {
		if err := l.exec(ctx, `INSERT INTO reps VALUES (?, ?, ?, ?)`, r.ID, str(r.Name), str(r.TimeZone), nsOf(r.CreatedAt)); err != nil {
			return err
		}
	}
	for _, t := range x.Teams {
		if err := l.exec(ctx, `INSERT INTO teams VALUES (?, ?, ?, ?, ?, ?, ?)`, t.Name, string(t.Function), str(t.Channel),
			strings.Join(t.Members, ","), strings.Join(t.Managers, ","), str(t.TimeZone), nsOf(t.CreatedAt)); err != nil {
			return err
		}
	}
	for _, a := range x.Accounts {
		if err := l.exec(ctx, `INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)`, int64(a.ID), a.Name, str(a.Owner), str(a.Source), nsOf(a.CreatedAt),
			dayOf(a.CustomerSince), str(a.SuccessOwner)); err != nil {
			return err
		}
		if err := l.names(ctx, 3, a.ID, a.Name); err != nil {
			return err
		}
		if err := l.row(); err != nil {
			return err
		}
	}
	for _, e := range x.Leads {
		ld, b := e.Lead, e.BANT
		n := e.BANTNotes
		if err := l.exec(ctx, `INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			int64(ld.ID), string(ld.Status), ld.Name, str(ld.Company), str(ld.Email), str(ld.Phone), str(ld.Title), str(ld.Source), str(ld.Owner),
			int(b.Budget), str(n.Budget), int(b.Authority), str(n.Authority), int(b.Need), str(n.Need), int(b.Timeline), str(n.Timeline),
			ld.Touches, nsOf(ld.LastTouch), dayOf(ld.NextFollowUp), str(ld.Reason), dayOf(ld.RecycleOn), id(ld.AccountID), id(ld.ContactID),
			id(ld.OpportunityID), nsOf(ld.CreatedAt), nsOf(ld.UpdatedAt), nsOf(ld.QualifiedAt), nsOf(ld.ConvertedAt)); err != nil {
			return err
		}
		if err := l.names(ctx, 1, ld.ID, ld.Name, ld.Company); err != nil {
			return err
		}
		if err := l.row(); err != nil {
			return err
		}
	}
	account := map[uint64]string{}
	for _, a := range x.Accounts {
		account[a.ID] = a.Name
	}
	for _, e := range x.Opportunities {
		o, b, n := e.Opportunity, e.BANT, e.BANTNotes
		if err := l.exec(ctx, `INSERT INTO opportunities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			int64(o.ID), str(string(o.Kind)), id(o.AccountID), id(o.ContactID), id(o.LeadID), o.Name, o.AmountMinor, str(o.Currency), dayOf(o.CloseDate),
			o.Stage, string(o.Status), str(o.LostReason), str(o.Owner), str(o.Source),
			int(b.Budget), str(n.Budget), int(b.Authority), str(n.Authority), int(b.Need), str(n.Need), int(b.Timeline), str(n.Timeline),
			o.Touches, nsOf(o.LastTouch), dayOf(o.NextFollowUp), nsOf(o.StageEnteredAt), nsOf(o.CreatedAt), nsOf(o.UpdatedAt), nsOf(o.ClosedAt)); err != nil {
			return err
		}
		for i, h := range o.History {
			if err := l.exec(ctx, `INSERT INTO stage_changes VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, int64(o.ID), i, nsOf(h.At), str(h.By), string(h.Kind),
				h.From, h.To, str(h.Reason)); err != nil {
				return err
			}
		}
		if err := l.names(ctx, 2, o.ID, o.Name, account[o.AccountID]); err != nil {
			return err
		}
		if err := l.row(); err != nil {
			return err
		}
	}
	for _, h := range x.Handoffs {
		if err := l.exec(ctx, `INSERT INTO handoffs VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, int64(h.ID), nsOf(h.At), string(h.Kind), str(h.From), str(h.To),
			id(h.LeadID), id(h.OpportunityID), str(h.Reason)); err != nil {
			return err
		}
		if err := l.row(); err != nil {
			return err
		}
	}
	for _, r := range x.Renewals {
		if err := l.exec(ctx, `INSERT INTO renewals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, int64(r.ID), id(r.AccountID), id(r.OpportunityID),
			str(r.Owner), r.ARRMinor, str(r.Currency), dayOf(r.Start), dayOf(r.Due), r.TermMonths, string(r.Status), nsOf(r.DecidedAt),
			str(r.Reason), nsOf(r.CreatedAt)); err != nil {
			return err
		}
		if err := l.row(); err != nil {
			return err
		}
	}
	return l.commit()
}

// names writes the name words of record recID of kind, as touchbase's name
// index holds them: each name's NameKey, marked whole, and each word of it.
func (l *loader) names(ctx context.Context, kind int, recID uint64, names ...string) error {
	whole := map[string]bool{}
	var words []string
	add := func(w string, isWhole bool) {
		if _, ok := whole[w]; !ok {
			words = append(words, w)
		}
		whole[w] = whole[w] || isWhole
	}
	for _, n := range names {
		k := touchbase.NameKey(n)
		if k == "" {
			continue
		}
		add(k, true)
		for _, w := range strings.Fields(k) {
			add(w, false)
		}
	}
	for _, w := range words {
		if err := l.exec(ctx, `INSERT INTO names VALUES (?, ?, ?, ?)`, w, kind, int64(recID), whole[w]); err != nil {
			return err
		}
	}
	return nil
}

// loadSQLiteActivities writes the activities in transactions of
// sqliteBatch rows, through one prepared statement.
func loadSQLiteActivities(ctx context.Context, db *sql.DB, acts []*touchbase.Activity) error {
	l := &loader{db: db}
	for _, a := range acts {
		if err := l.exec(ctx, `INSERT INTO activities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, int64(a.ID), string(a.Kind), str(a.Owner), nsOf(a.At),
			id(a.LeadID), id(a.OpportunityID), str(a.Note), str(a.NextStep), dayOf(a.NextDate)); err != nil {
			return err
		}
		if err := l.row(); err != nil {
			return err
		}
	}
	return l.commit()
}

// checkpoint moves the write-ahead log into the database file, so that the
// file's size is the data's.
func checkpoint(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// dueSQLite is the reminder scan in SQL: one rep's open leads and
// opportunities due by day, through the owner-and-date indexes, with each
// one's last note, as handlers.DueFollowUps reads them.
func dueSQLite(ctx context.Context, db *sql.DB, rep string, day touchbase.Date) (int, error) {
	rows, err := db.QueryContext(ctx, `
SELECT l.id, l.name, l.next_follow_up, l.touches,
	(SELECT note FROM activities a WHERE a.lead_id = l.id ORDER BY a.at DESC, a.id DESC LIMIT 1)
FROM leads l WHERE l.owner = ?1 AND l.next_follow_up <= ?2 AND l.status IN ('new', 'working', 'qualified')
UNION ALL
SELECT o.id, o.name, o.next_follow_up, o.touches,
	(SELECT note FROM activities a WHERE a.opportunity_id = o.id ORDER BY a.at DESC, a.id DESC LIMIT 1)
FROM opportunities o WHERE o.owner = ?1 AND o.next_follow_up <= ?2 AND o.status = 'open'
ORDER BY 3, 2`, rep, dayOf(day))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, due, touches int64
		var name string
		var note sql.NullString
		if err := rows.Scan(&id, &name, &due, &touches, &note); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}
