package main

import (
	"context"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
)

// touchbaseBatch is how many records one loading transaction writes.
const touchbaseBatch = 10_000

// loadTouchbase writes everything of x but its activities through the
// store's Tx, touchbaseBatch records per transaction, as the scheduler's
// benchmarks seed their stores.
func loadTouchbase(ctx context.Context, db *store.DB, x *handlers.Export) error {
	var ops []func(tx touchbase.Tx) error
	for _, r := range x.Reps {
		ops = append(ops, func(tx touchbase.Tx) error { return tx.PutRep(r) })
	}
	for _, t := range x.Teams {
		ops = append(ops, func(tx touchbase.Tx) error { return tx.PutTeam(t) })
	}
	for _, a := range x.Accounts {
		ops = append(ops, func(tx touchbase.Tx) error { return tx.CreateAccount(a) })
	}
	for _, e := range x.Leads {
		l := *e.Lead
		l.BANT = bant(e.BANT, e.BANTNotes)
		ops = append(ops, func(tx touchbase.Tx) error { return tx.CreateLead(&l) })
	}
	for _, e := range x.Opportunities {
		o := *e.Opportunity
		o.BANT = bant(e.BANT, e.BANTNotes)
		ops = append(ops, func(tx touchbase.Tx) error { return tx.CreateOpportunity(&o) })
	}
	for _, h := range x.Handoffs {
		ops = append(ops, func(tx touchbase.Tx) error { return tx.CreateHandoff(h) })
	}
	for _, r := range x.Renewals {
		ops = append(ops, func(tx touchbase.Tx) error { return tx.CreateRenewal(r) })
	}
	for start := 0; start < len(ops); start += touchbaseBatch {
		err := db.Update(ctx, func(tx touchbase.Tx) error {
			for _, op := range ops[start:min(start+touchbaseBatch, len(ops))] {
				if err := op(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// bant is an export's BANT answers and notes as the domain holds them.
func bant(a handlers.ExportBANT, n handlers.ExportBANTNotes) touchbase.BANT {
	return touchbase.BANT{
		Budget: touchbase.BANTItem{Answer: a.Budget, Note: n.Budget}, Authority: touchbase.BANTItem{Answer: a.Authority, Note: n.Authority},
		Need: touchbase.BANTItem{Answer: a.Need, Note: n.Need}, Timeline: touchbase.BANTItem{Answer: a.Timeline, Note: n.Timeline},
	}
}
