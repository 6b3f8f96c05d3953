package store_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/touchbase/touchbase"
)

// Ensure every kind of record is stored and read back whole, and lists come
// in ID order.
func TestTx_CreateGet(t *testing.T) {
	db := MustOpenDB(t)
	s := seed(t, db)
	checkSeeded(t, db, s)

	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if err := tx.PutRep(&touchbase.Rep{ID: "U0", Name: "First"}); err != nil {
			return err
		}
		if err := tx.CreateAccount(&touchbase.Account{Name: "Globex"}); err != nil {
			return err
		}
		if err := tx.CreateContact(&touchbase.Contact{Name: "Jiro", AccountID: 2}); err != nil {
			return err
		}
		if err := tx.CreateCampaign(&touchbase.Campaign{Name: "Expo"}); err != nil {
			return err
		}
		return tx.PutTeam(&touchbase.Team{Name: "FS Osaka", Function: touchbase.FieldSales})
	})
	MustView(t, db, func(tx touchbase.Tx) error {
		lists := []struct {
			name string
			list func() ([]string, error)
			want []string
		}{
			{"reps", func() ([]string, error) { return names(tx.Reps()) }, []string{"First", "Hanako Sato"}},
			{"accounts", func() ([]string, error) { return names(tx.Accounts()) }, []string{"Acme KK", "Globex"}},
			{"contacts", func() ([]string, error) { return names(tx.Contacts()) }, []string{"Taro Yamada", "Jiro"}},
			{"campaigns", func() ([]string, error) { return names(tx.Campaigns()) }, []string{"Nov webinar", "Expo"}},
			{"teams", func() ([]string, error) { return names(tx.Teams()) }, []string{"FS Osaka", "IS Tokyo"}},
		}
		for _, l := range lists {
			got, err := l.list()
			if err != nil {
				return err
			} else if !reflect.DeepEqual(got, l.want) {
				t.Errorf("%s=%q, want %q", l.name, got, l.want)
			}
		}
		return nil
	})
}

// names returns the Name field of each record.
func names[T any](rs []*T, err error) ([]string, error) {
	var out []string
	for _, r := range rs {
		out = append(out, reflect.ValueOf(r).Elem().FieldByName("Name").String())
	}
	return out, err
}

// Ensure a put replaces the rep or team of the same key, and teams and
// campaigns are found by name forgivingly.
func TestTx_PutReplaces(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if err := tx.PutRep(&touchbase.Rep{ID: "U1", Name: "Hanako"}); err != nil {
			return err
		} else if err := tx.PutRep(&touchbase.Rep{ID: "U1", Name: "Hanako Sato"}); err != nil {
			return err
		} else if err := tx.PutTeam(&touchbase.Team{Name: "IS Tokyo", Members: []string{"U1"}}); err != nil {
			return err
		} else if err := tx.PutTeam(&touchbase.Team{Name: "is  tokyo", Members: []string{"U1", "U2"}}); err != nil {
			return err
		}
		return tx.CreateCampaign(&touchbase.Campaign{Name: "Nov Webinar"})
	})
	MustView(t, db, func(tx touchbase.Tx) error {
		if r, err := tx.Rep("U1"); err != nil {
			return err
		} else if got, want := r.Name, "Hanako Sato"; got != want {
			t.Errorf("Name=%q, want %q", got, want)
		}
		if ts, err := tx.Teams(); err != nil {
			return err
		} else if got, want := len(ts), 1; got != want {
			t.Errorf("len(Teams)=%d, want %d", got, want)
		}
		if tm, err := tx.Team("IS TOKYO"); err != nil {
			return err
		} else if got, want := tm.Members, []string{"U1", "U2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Members=%q, want %q", got, want)
		}
		if c, err := tx.Campaign(" nov webinar "); err != nil {
			return err
		} else if got, want := c.Name, "Nov Webinar"; got != want {
			t.Errorf("Name=%q, want %q", got, want)
		}
		return nil
	})
}

// Ensure lookups of what does not exist, and updates of it, say ENOTFOUND,
// and nameless or duplicate records are refused with their codes.
func TestTx_ErrorCodes(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		return tx.CreateCampaign(&touchbase.Campaign{Name: "Nov webinar"})
	})
	tests := []struct {
		name string
		fn   func(tx touchbase.Tx) error
		want string
	}{
		{"lead", func(tx touchbase.Tx) error { _, err := tx.Lead(99); return err }, touchbase.ENOTFOUND},
		{"opportunity", func(tx touchbase.Tx) error { _, err := tx.Opportunity(99); return err }, touchbase.ENOTFOUND},
		{"account", func(tx touchbase.Tx) error { _, err := tx.Account(99); return err }, touchbase.ENOTFOUND},
		{"contact", func(tx touchbase.Tx) error { _, err := tx.Contact(99); return err }, touchbase.ENOTFOUND},
		{"rep", func(tx touchbase.Tx) error { _, err := tx.Rep("U99"); return err }, touchbase.ENOTFOUND},
		{"team", func(tx touchbase.Tx) error { _, err := tx.Team("nobody"); return err }, touchbase.ENOTFOUND},
		{"campaign", func(tx touchbase.Tx) error { _, err := tx.Campaign("expo"); return err }, touchbase.ENOTFOUND},
		{"update lead", func(tx touchbase.Tx) error { return tx.UpdateLead(&touchbase.Lead{ID: 99}) }, touchbase.ENOTFOUND},
		{"update new lead", func(tx touchbase.Tx) error { return tx.UpdateLead(&touchbase.Lead{}) }, touchbase.ENOTFOUND},
		{"update opportunity", func(tx touchbase.Tx) error { return tx.UpdateOpportunity(&touchbase.Opportunity{ID: 99}) }, touchbase.ENOTFOUND},
		{"rep without id", func(tx touchbase.Tx) error { return tx.PutRep(&touchbase.Rep{Name: "x"}) }, touchbase.EINVALID},
		{"team without name", func(tx touchbase.Tx) error { return tx.PutTeam(&touchbase.Team{Name: " "}) }, touchbase.EINVALID},
		{"campaign without name", func(tx touchbase.Tx) error { return tx.CreateCampaign(&touchbase.Campaign{}) }, touchbase.EINVALID},
		{"campaign twice", func(tx touchbase.Tx) error { return tx.CreateCampaign(&touchbase.Campaign{Name: "NOV  Webinar"}) }, touchbase.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(t.Context(), tt.fn)
			if got := touchbase.ErrorCode(err); got != tt.want {
				t.Fatalf("ErrorCode(%v)=%q, want %q", err, got, tt.want)
			}
		})
	}
}

// Ensure a create keeps a given ID (an import), refuses one that is taken,
// and a later create without an ID gets one above every imported ID.
func TestTx_CreateWithID(t *testing.T) {
	n := 0
	kinds := []struct {
		name   string
		create func(tx touchbase.Tx, id uint64) (uint64, error)
	}{
		{"lead", func(tx touchbase.Tx, id uint64) (uint64, error) {
			r := &touchbase.Lead{ID: id}
			err := tx.CreateLead(r)
			return r.ID, err
		}},
		{"opportunity", func(tx touchbase.Tx, id uint64) (uint64, error) {
			r := &touchbase.Opportunity{ID: id}
			err := tx.CreateOpportunity(r)
			return r.ID, err
		}},
		{"account", func(tx touchbase.Tx, id uint64) (uint64, error) {
			r := &touchbase.Account{ID: id}
			err := tx.CreateAccount(r)
			return r.ID, err
		}},
		{"contact", func(tx touchbase.Tx, id uint64) (uint64, error) {
			r := &touchbase.Contact{ID: id}
			err := tx.CreateContact(r)
			return r.ID, err
		}},
		{"campaign", func(tx touchbase.Tx, id uint64) (uint64, error) {
			n++ // names must differ
			r := &touchbase.Campaign{ID: id, Name: fmt.Sprint("campaign ", n)}
			err := tx.CreateCampaign(r)
			return r.ID, err
		}},
		{"activity", func(tx touchbase.Tx, id uint64) (uint64, error) {
			r := &touchbase.Activity{ID: id, At: at(int(id%28)+1, 9)}
			err := tx.CreateActivity(r)
			return r.ID, err
		}},
		{"handoff", func(tx touchbase.Tx, id uint64) (uint64, error) {
			r := &touchbase.Handoff{ID: id}
			err := tx.CreateHandoff(r)
			return r.ID, err
		}},
		{"renewal", func(tx touchbase.Tx, id uint64) (uint64, error) {
			r := &touchbase.Renewal{ID: id, AccountID: 1, Status: touchbase.RenewalPending, Due: day(int(id % 28))}
			err := tx.CreateRenewal(r)
			return r.ID, err
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			db := MustOpenDB(t)
			steps := []struct {
				id       uint64 // given, or 0
				wantID   uint64
				wantCode string
			}{
				{0, 1, ""},
				{100, 100, ""},
				{0, 101, ""},
				{50, 50, ""}, // below the sequence: kept, sequence unchanged
				{0, 102, ""},
				{100, 0, touchbase.ECONFLICT},
				{1, 0, touchbase.ECONFLICT},
			}
			for _, s := range steps {
				var got uint64
				err := db.Update(t.Context(), func(tx touchbase.Tx) error {
					var err error
					got, err = k.create(tx, s.id)
					return err
				})
				if code := touchbase.ErrorCode(err); code != s.wantCode {
					t.Fatalf("create(%d): ErrorCode(%v)=%q, want %q", s.id, err, code, s.wantCode)
				} else if err == nil && got != s.wantID {
					t.Fatalf("create(%d): ID=%d, want %d", s.id, got, s.wantID)
				}
			}
		})
	}
}
