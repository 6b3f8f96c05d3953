package touchbase

import (
	"testing"
	"unsafe"
)

// Ensure a record's tally stays as small as DigestBuilder says: the digest's
// memory is this times the leads and opportunities.
func TestRecAggSize(t *testing.T) {
	if got := unsafe.Sizeof(recAgg{}); got != 56 {
		t.Fatalf("recAgg is %d bytes, want 56 (update DigestBuilder's doc and the README if on purpose)", got)
	}
}

// Ensure the tally table finds every record again, whether IDs are the
// store's dense sequence, sparse, or beyond the chunks, and that sparse IDs
// do not make it allocate chunks they would leave empty.
func TestRecTable(t *testing.T) {
	tests := []struct {
		name string
		id   func(i int) uint64
	}{
		{"dense", func(i int) uint64 { return uint64(i + 1) }},
		{"sparse", func(i int) uint64 { return uint64(i)*977 + 5 }},
		{"far", func(i int) uint64 { return uint64(i)<<32 | 7 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 100_000
			var tab recTable
			for i := range n {
				tab.get(tt.id(i)).total = int32(i + 1)
			}
			for i := range n { // a second get is the same tally
				if r := tab.get(tt.id(i)); r.total != int32(i+1) || r.owner != -1 {
					t.Fatalf("get(%d): total %d, owner %d, want %d, -1", tt.id(i), r.total, r.owner, i+1)
				}
			}
			seen := make([]bool, n)
			tab.each(func(r *recAgg) {
				if seen[r.total-1] {
					t.Fatalf("each: %d twice", r.total-1)
				}
				seen[r.total-1] = true
			})
			for i, ok := range seen {
				if !ok {
					t.Fatalf("each: %d missing", i)
				}
			}
			if tab.used != n {
				t.Fatalf("used=%d, want %d", tab.used, n)
			}
			if limit := 4*n + freeSlots; tab.slots > limit {
				t.Fatalf("slots=%d for %d records, want at most %d", tab.slots, n, limit)
			}
		})
	}
}
