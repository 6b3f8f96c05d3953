package store

import (
	"slices"
	"testing"

	"go.etcd.io/bbolt"
)

// Ensure every bucket has a fill between bbolt's bounds, the in-order
// buckets one above bbolt's default, and that the policy names only buckets
// that exist, so that a renamed bucket does not silently fall back to half
// empty pages.
func TestFillPercent(t *testing.T) {
	inOrder := [][]byte{leadsBucket, oppsBucket, accountsBucket, contactsBucket, campaignsBucket, activitiesBucket,
		activityIDsBucket, handoffsBucket, renewalsBucket, outboxBucket, outboxDueBucket, claimsByTimeBucket}
	for _, name := range allBuckets {
		f := fillPercent(name)
		if f < 0.1 || f > 1 {
			t.Errorf("fillPercent(%s)=%v, want within [0.1, 1]", name, f)
		}
		if in := slices.ContainsFunc(inOrder, func(b []byte) bool { return string(b) == string(name) }); in != (f > bbolt.DefaultFillPercent) {
			t.Errorf("fillPercent(%s)=%v; in key order: %v", name, f, in)
		}
	}
	for _, name := range inOrder {
		if !slices.ContainsFunc(allBuckets, func(b []byte) bool { return string(b) == string(name) }) {
			t.Errorf("%s is not a bucket", name)
		}
	}
	if got := fillPercent([]byte("no such bucket")); got != bbolt.DefaultFillPercent {
		t.Errorf("fillPercent(unknown)=%v, want bbolt's default %v", got, bbolt.DefaultFillPercent)
	}
}
