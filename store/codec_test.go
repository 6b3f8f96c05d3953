package store_test

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// fill sets every settable field of v, recursively, to a distinct non-zero
// value; n counts the values given so far.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Interface().(type) {
	case time.Time:
		v.Set(reflect.ValueOf(time.Date(2027, time.January, 1, 0, 0, *n, *n, time.UTC)))
		return
	case touchbase.Date:
		v.Set(reflect.ValueOf(touchbase.NewDate(2027, time.January, *n)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint8, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range s.Len() {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				fill(v.Field(i), n)
			}
		}
	default:
		panic(fmt.Sprintf("fill: add %s", v.Type()))
	}
}

// filled returns a new T with every field set.
func filled[T any]() *T {
	r := new(T)
	n := 0
	fill(reflect.ValueOf(r).Elem(), &n)
	return r
}

// Ensure every field of every record comes back from the store: a field
// added to a domain struct but not to the codec fails here.
func TestCodec_EveryField(t *testing.T) {
	tests := []struct {
		name string
		rt   func(tx touchbase.Tx) (got, want any, err error)
	}{
		{"lead", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Lead]()
			if err := tx.CreateLead(want); err != nil {
				return nil, nil, err
			}
			got, err := tx.Lead(want.ID)
			return got, want, err
		}},
		{"opportunity", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Opportunity]()
			if err := tx.CreateOpportunity(want); err != nil {
				return nil, nil, err
			}
			got, err := tx.Opportunity(want.ID)
			return got, want, err
		}},
		{"account", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Account]()
			if err := tx.CreateAccount(want); err != nil {
				return nil, nil, err
			}
			got, err := tx.Account(want.ID)
			return got, want, err
		}},
		{"contact", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Contact]()
			if err := tx.CreateContact(want); err != nil {
				return nil, nil, err
			}
			got, err := tx.Contact(want.ID)
			return got, want, err
		}},
		{"campaign", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Campaign]()
			if err := tx.CreateCampaign(want); err != nil {
				return nil, nil, err
			}
			got, err := tx.Campaign(want.Name)
			return got, want, err
		}},
		{"rep", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Rep]()
			if err := tx.PutRep(want); err != nil {
				return nil, nil, err
			}
			got, err := tx.Rep(want.ID)
			return got, want, err
		}},
		{"conversation", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Conversation]()
			if err := tx.PutConversation(want); err != nil {
				return nil, nil, err
			}
			got, err := tx.Conversation(want.Key)
			return got, want, err
		}},
		{"team", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Team]()
			if err := tx.PutTeam(want); err != nil {
				return nil, nil, err
			}
			got, err := tx.Team(want.Name)
			return got, want, err
		}},
		{"activity", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Activity]()
			if err := tx.CreateActivity(want); err != nil {
				return nil, nil, err
			}
			var got *touchbase.Activity
			err := tx.Activities(touchbase.ActivityFilter{}, func(a *touchbase.Activity) error { got = a; return nil })
			return got, want, err
		}},
		{"handoff", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Handoff]()
			if err := tx.CreateHandoff(want); err != nil {
				return nil, nil, err
			}
			hs, err := tx.Handoffs()
			if err != nil || len(hs) != 1 {
				return hs, want, err
			}
			return hs[0], want, nil
		}},
		{"renewal", func(tx touchbase.Tx) (any, any, error) {
			want := filled[touchbase.Renewal]()
			if err := tx.CreateRenewal(want); err != nil {
				return nil, nil, err
			}
			got, err := tx.Renewal(want.ID)
			return got, want, err
		}},
		{"message", func(tx touchbase.Tx) (any, any, error) {
			// The store reads back only pending messages, so SentAt and
			// Failed are checked through the codec itself first.
			want := filled[touchbase.Message]()
			b, err := store.EncodeMessage(want)
			if err != nil {
				return nil, nil, err
			}
			got := new(touchbase.Message)
			if err := store.DecodeMessage(b, got); err != nil || !reflect.DeepEqual(got, want) {
				return got, want, err
			}

			want.SentAt, want.Failed = time.Time{}, false
			if _, err := tx.Enqueue(want); err != nil {
				return nil, nil, err
			}
			ms, err := tx.DueMessages(want.NextAttempt, 0)
			if err != nil || len(ms) != 1 {
				return ms, want, err
			}
			return ms[0], want, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpenDB(t)
			MustUpdate(t, db, func(tx touchbase.Tx) error {
				got, want, err := tt.rt(tx)
				if err != nil {
					return err
				} else if !reflect.DeepEqual(got, want) {
					t.Fatalf("got  %+v\nwant %+v", got, want)
				}
				return nil
			})
		})
	}
}

// Ensure times come back as the same instant in UTC, and a time or date a
// value cannot hold is refused rather than stored unreadable.
func TestCodec_Times(t *testing.T) {
	db := MustOpenDB(t)
	jst := time.FixedZone("JST", 9*3600)
	in := time.Date(2027, time.March, 5, 8, 30, 0, 123, jst)
	l := &touchbase.Lead{Name: "Taro", LastTouch: in, RecycleOn: touchbase.NewDate(1969, time.December, 31)}
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateLead(l) })
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.Lead(l.ID)
		if err != nil {
			return err
		}
		if want := in.UTC(); got.LastTouch != want {
			t.Errorf("LastTouch=%v, want %v", got.LastTouch, want)
		}
		if want := l.RecycleOn; got.RecycleOn != want {
			t.Errorf("RecycleOn=%v, want %v", got.RecycleOn, want)
		}
		return nil
	})

	for _, l := range []*touchbase.Lead{
		{LastTouch: time.Date(10000, time.January, 1, 0, 0, 0, 0, time.UTC)},
		{NextFollowUp: touchbase.NewDate(12000, time.January, 1)},
	} {
		err := db.Update(t.Context(), func(tx touchbase.Tx) error { return tx.CreateLead(l) })
		if got, want := touchbase.ErrorCode(err), touchbase.EINTERNAL; got != want {
			t.Errorf("ErrorCode(%v)=%q, want %q", err, got, want)
		}
	}
}

// fuzzCodec checks that decode never panics on any value and that what it
// decodes encodes and decodes back to itself.
func fuzzCodec[T any](f *testing.F, encode func(*T) ([]byte, error), decode func([]byte, *T) error) {
	seed, err := encode(filled[T]())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r T
		if err := decode(b, &r); err != nil {
			return
		}
		b2, err := encode(&r)
		if err != nil {
			t.Fatalf("encode of a decoded value: %v", err)
		}
		var r2 T
		if err := decode(b2, &r2); err != nil {
			t.Fatalf("decode of a re-encoded value: %v", err)
		} else if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip:\n got  %+v\n want %+v", r2, r)
		}
	})
}

// Ensure decoding a corrupt or foreign lead value fails cleanly.
func FuzzDecodeLead(f *testing.F) { fuzzCodec(f, store.EncodeLead, store.DecodeLead) }

// Ensure decoding a corrupt or foreign opportunity value fails cleanly.
func FuzzDecodeOpportunity(f *testing.F) {
	fuzzCodec(f, store.EncodeOpportunity, store.DecodeOpportunity)
}

// Ensure decoding a corrupt or foreign activity value fails cleanly.
func FuzzDecodeActivity(f *testing.F) { fuzzCodec(f, store.EncodeActivity, store.DecodeActivity) }

// Ensure decoding an activity as a touch fails cleanly where decoding it
// whole does, and otherwise gives the whole activity less its notes.
func FuzzDecodeTouch(f *testing.F) {
	seed, err := store.EncodeActivity(filled[touchbase.Activity]())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var whole, touch touchbase.Activity
		errWhole, errTouch := store.DecodeActivity(b, &whole), store.DecodeTouch(b, &touch)
		if (errWhole == nil) != (errTouch == nil) {
			t.Fatalf("DecodeActivity=%v, DecodeTouch=%v", errWhole, errTouch)
		}
		if errWhole != nil {
			return
		}
		whole.Note, whole.NextStep = "", ""
		if touch != whole {
			t.Fatalf("touch %+v, want %+v", touch, whole)
		}
	})
}

// Ensure decoding a corrupt or foreign team value fails cleanly.
func FuzzDecodeTeam(f *testing.F) { fuzzCodec(f, store.EncodeTeam, store.DecodeTeam) }

// Ensure decoding a corrupt or foreign message value fails cleanly.
func FuzzDecodeMessage(f *testing.F) { fuzzCodec(f, store.EncodeMessage, store.DecodeMessage) }

// Ensure decoding a corrupt or foreign renewal value fails cleanly. Its
// seeds in testdata add a pending and a churned renewal as the store writes
// them, one cut short and one with a field from a newer version.
func FuzzDecodeRenewal(f *testing.F) { fuzzCodec(f, store.EncodeRenewal, store.DecodeRenewal) }

// Ensure a message written before request ids were kept (fields 1 to 11
// only) decodes with an empty RequestID, and that a message without one is
// written exactly as before.
func TestCodec_MessageWithoutRequestID(t *testing.T) {
	old := []byte{
		1,       // format
		0x08, 7, // 1: ID 7
		0x12, 10, 'n', 'o', 't', 'i', 'c', 'e', '/', 'x', '/', '0', // 2: Key
		0x1a, 2, 'U', '2', // 3: To
		0x22, 2, '{', '}', // 4: Body
		0x30, 6, // 6: Attempts 3 (zigzag)
	}
	got := new(touchbase.Message)
	if err := store.DecodeMessage(old, got); err != nil {
		t.Fatal(err)
	}
	want := &touchbase.Message{ID: 7, Key: "notice/x/0", To: "U2", Body: []byte("{}"), Attempts: 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	b, err := store.EncodeMessage(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, old) {
		t.Fatalf("EncodeMessage=%v, want %v", b, old)
	}

	want.RequestID = "4f2a9c0d1e3b5a67"
	if b, err = store.EncodeMessage(want); err != nil {
		t.Fatal(err)
	}
	got = new(touchbase.Message)
	if err := store.DecodeMessage(b, got); err != nil || got.RequestID != want.RequestID {
		t.Fatalf("RequestID=%q (%v), want %q", got.RequestID, err, want.RequestID)
	}
}
