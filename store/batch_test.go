package store_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// batchRecords returns accounts, leads, opportunities and activities with
// their IDs, the activities spread over the leads and opportunities in no
// order of time.
func batchRecords(n int) ([]*touchbase.Account, []*touchbase.Lead, []*touchbase.Opportunity, []*touchbase.Activity) {
	var accounts []*touchbase.Account
	var leads []*touchbase.Lead
	var opps []*touchbase.Opportunity
	var acts []*touchbase.Activity
	for i := range n {
		accounts = append(accounts, &touchbase.Account{ID: uint64(i + 1), Name: fmt.Sprintf("Acme %d KK", i), Owner: "U001", CreatedAt: at(1, 9)})
		l := benchLead(i)
		l.ID = uint64(i + 1)
		leads = append(leads, l)
		o := benchOpportunity(i, touchbase.OpportunityOpen)
		o.ID, o.AccountID = uint64(i+1), uint64(i/3+1)
		opps = append(opps, o)
	}
	for i := range 10 * n {
		a := &touchbase.Activity{ID: uint64(i + 1), Kind: touchbase.ActivityCall, Owner: "U001",
			At: at(1+i%28, 9).Add(time.Duration(i*7919%1000) * time.Minute), Note: "pricing"}
		switch i % 3 {
		case 0:
			a.LeadID = uint64(i*31%n + 1)
		case 1:
			a.OpportunityID = uint64(i*17%n + 1)
		default:
			a.LeadID, a.OpportunityID = uint64(i%n+1), uint64(i*13%n+1)
		}
		acts = append(acts, a)
	}
	return accounts, leads, opps, acts
}

// Ensure creating records many at a time, in any order, writes exactly
// what creating them one at a time does: the records, every index and the
// sequences.
func TestTx_CreateMany(t *testing.T) {
	one, many := MustOpenDB(t), MustOpenDB(t)
	accounts, leads, opps, acts := batchRecords(200)
	MustUpdate(t, one, func(tx touchbase.Tx) error {
		for _, a := range accounts {
			if err := tx.CreateAccount(a); err != nil {
				return err
			}
		}
		for _, l := range leads {
			if err := tx.CreateLead(l); err != nil {
				return err
			}
		}
		for _, o := range opps {
			if err := tx.CreateOpportunity(o); err != nil {
				return err
			}
		}
		for _, a := range acts {
			if err := tx.CreateActivity(a); err != nil {
				return err
			}
		}
		return nil
	})
	rng := rand.New(rand.NewPCG(1, 2))
	shuffle := func(n int, swap func(i, j int)) { rng.Shuffle(n, swap) }
	shuffle(len(accounts), func(i, j int) { accounts[i], accounts[j] = accounts[j], accounts[i] })
	shuffle(len(leads), func(i, j int) { leads[i], leads[j] = leads[j], leads[i] })
	shuffle(len(opps), func(i, j int) { opps[i], opps[j] = opps[j], opps[i] })
	shuffle(len(acts), func(i, j int) { acts[i], acts[j] = acts[j], acts[i] })
	// Two transactions of each, so that the second lands among the first.
	half := func(n int) int { return n / 2 }
	for _, part := range [][2]func(int) int{{func(int) int { return 0 }, half}, {half, func(n int) int { return n }}} {
		MustUpdate(t, many, func(tx touchbase.Tx) error {
			if err := tx.CreateAccounts(accounts[part[0](len(accounts)):part[1](len(accounts))]); err != nil {
				return err
			}
			if err := tx.CreateLeads(leads[part[0](len(leads)):part[1](len(leads))]); err != nil {
				return err
			}
			if err := tx.CreateOpportunities(opps[part[0](len(opps)):part[1](len(opps))]); err != nil {
				return err
			}
			return tx.CreateActivities(acts[part[0](len(acts)):part[1](len(acts))])
		})
	}
	a, err := store.Dump(one)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Dump(many)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("the files differ:\none at a time:\n%.3000s\nmany at a time:\n%.3000s", a, b)
	}
	if !strings.Contains(a, "activity_lead") || strings.Count(a, "\n") < 2000 {
		t.Fatalf("the dump is too short to compare:\n%s", a)
	}
}

// Ensure a batch with an ID taken or given twice is refused whole, and one
// without IDs gets the next ones in order.
func TestTx_CreateMany_Conflict(t *testing.T) {
	db := MustOpenDB(t)
	call := func(id uint64) *touchbase.Activity {
		return &touchbase.Activity{ID: id, Kind: touchbase.ActivityCall, Owner: "U1", At: at(3, int(id%24)), LeadID: 1}
	}
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateActivities([]*touchbase.Activity{call(5)}) })
	tests := []struct {
		name string
		acts []*touchbase.Activity
		want string
	}{
		{"taken", []*touchbase.Activity{call(6), call(5)}, "activity 5 already exists"},
		{"twice", []*touchbase.Activity{call(7), call(8), call(7)}, "activity 7 is given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			MustUpdate(t, db, func(tx touchbase.Tx) error {
				err := tx.CreateActivities(tt.acts)
				if touchbase.ErrorCode(err) != touchbase.ECONFLICT || touchbase.ErrorMessage(err) != tt.want {
					return fmt.Errorf("CreateActivities: %v, want %q", err, tt.want)
				}
				for _, a := range tt.acts[:1] {
					if _, err := tx.Activity(a.ID); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
						return fmt.Errorf("activity %d: %v, want it not written", a.ID, err)
					}
				}
				return nil
			})
		})
	}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if err := tx.CreateLeads([]*touchbase.Lead{{ID: 3, Name: "A"}, {ID: 3, Name: "B"}}); touchbase.ErrorMessage(err) != "lead 3 is given twice" {
			return fmt.Errorf("CreateLeads: %v, want lead 3 given twice", err)
		}
		if _, err := tx.Lead(3); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
			return fmt.Errorf("lead 3: %v, want it not written", err)
		}
		acts := []*touchbase.Activity{call(0), call(0)}
		if err := tx.CreateActivities(acts); err != nil {
			return err
		}
		// The refused batches raised the sequence to 8; that is all they left.
		if acts[0].ID != 9 || acts[1].ID != 10 {
			return fmt.Errorf("IDs %d and %d, want 9 and 10 after 8", acts[0].ID, acts[1].ID)
		}
		return nil
	})
}

// Ensure Activity finds an activity by its ID, and ENOTFOUND otherwise.
func TestTx_Activity(t *testing.T) {
	db := MustOpenDB(t)
	want := &touchbase.Activity{Kind: touchbase.ActivityMeeting, Owner: "U1", At: at(4, 10), OpportunityID: 2, Note: "demo", NextStep: "quote", NextDate: day(9)}
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateActivity(want) })
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.Activity(want.ID)
		if err != nil {
			return err
		}
		if *got != *want {
			return fmt.Errorf("Activity(%d)=%+v, want %+v", want.ID, got, want)
		}
		if _, err := tx.Activity(want.ID + 1); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
			return fmt.Errorf("Activity(%d): %v, want ENOTFOUND", want.ID+1, err)
		}
		return nil
	})
}
