package store_test

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// goldenRecords are records whose encodings are pinned below: nested
// messages (BANT, stage history) empty, short, and longer than a one-byte
// length holds.
func goldenRecords() (*touchbase.Lead, *touchbase.Opportunity) {
	at := time.Date(2027, time.March, 1, 9, 30, 0, 0, time.UTC)
	l := &touchbase.Lead{ID: 7, Name: "Taro Yamada", Company: "Acme KK", Owner: "U1", Status: touchbase.LeadWorking,
		BANT: touchbase.BANT{
			Budget:   touchbase.BANTItem{Answer: touchbase.Yes, Note: "5m"},
			Need:     touchbase.BANTItem{Answer: touchbase.No, Note: strings.Repeat("replace the legacy ERP ", 8)},
			Timeline: touchbase.BANTItem{Answer: touchbase.Yes},
		},
		Touches: 3, LastTouch: at, NextFollowUp: touchbase.NewDate(2027, time.March, 5), CreatedAt: at, UpdatedAt: at}
	o := &touchbase.Opportunity{ID: 9, AccountID: 2, Name: "ERP rollout", AmountMinor: 5_000_000, Currency: "JPY", Stage: 2,
		Status: touchbase.OpportunityOpen, Owner: "U2",
		History: []touchbase.StageChange{
			{},
			{At: at, By: "U2", Kind: touchbase.StageAdvance, From: 1, To: 2, Reason: strings.Repeat("the customer agreed ", 10)},
		},
		CreatedAt: at}
	return l, o
}

// Ensure the encodings of records with nested messages stay byte for byte
// what the file holds: the encoder may change, the format may not.
func TestCodec_Golden(t *testing.T) {
	l, o := goldenRecords()
	for _, tt := range []struct {
		name string
		enc  func() ([]byte, error)
		want string
	}{
		{"lead", func() ([]byte, error) { return store.EncodeLead(l) }, goldenLead},
		{"opportunity", func() ([]byte, error) { return store.EncodeOpportunity(o) }, goldenOpportunity},
	} {
		b, err := tt.enc()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := hex.EncodeToString(b); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// The encodings of goldenRecords, as files hold them.
const (
	goldenLead        = "010a07776f726b696e6710071a0b5461726f2059616d616461220741636d65204b4b4a02553152cc010a0608021202356d1abd01080412b8017265706c61636520746865206c656761637920455250207265706c61636520746865206c656761637920455250207265706c61636520746865206c656761637920455250207265706c61636520746865206c656761637920455250207265706c61636520746865206c656761637920455250207265706c61636520746865206c656761637920455250207265706c61636520746865206c656761637920455250207265706c61636520746865206c656761637920455250202202080258066206b0eaa9b80d0068a4c6029a0106b0eaa9b80d00a20106b0eaa9b80d00"
	goldenOpportunity = "010a046f70656e10091802320b45525020726f6c6c6f75743880ade20442034a50595004620255329a01009a01e4010a06b0eaa9b80d00120255321a07616476616e63652002280432c80174686520637573746f6d6572206167726565642074686520637573746f6d6572206167726565642074686520637573746f6d6572206167726565642074686520637573746f6d6572206167726565642074686520637573746f6d6572206167726565642074686520637573746f6d6572206167726565642074686520637573746f6d6572206167726565642074686520637573746f6d6572206167726565642074686520637573746f6d6572206167726565642074686520637573746f6d65722061677265656420a20106b0eaa9b80d00"
)
