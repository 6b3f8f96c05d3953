package store

// fillPercent returns how full bbolt is to leave the pages of the named
// bucket when a write splits them (bbolt.Bucket.FillPercent, which lasts for
// one transaction and is not stored in the file, so it is set on each
// bucket a transaction opens).
//
// bbolt's default, 0.5, splits an overflowing page in half. That suits keys
// that arrive in random order: the halves fill up with later inserts. Keys
// that arrive in order, each after the last, never land in the left half
// again, so every page of such a bucket would stay half empty and the file
// twice its size. The buckets below are keyed in the order records are
// made: by the next ID of the bucket's sequence, or by the time of an
// activity, a claim or a delivery attempt, which is mostly now. Their pages
// are filled before a new one is started.
func fillPercent(name []byte) float64 {
	switch string(name) {
	case string(activitiesBucket), string(activityIDsBucket), string(handoffsBucket), string(claimsByTimeBucket):
		return appendOnlyFill
	case string(leadsBucket), string(oppsBucket), string(accountsBucket), string(contactsBucket), string(campaignsBucket),
		string(renewalsBucket), string(outboxBucket), string(outboxDueBucket):
		return appendFill
	}
	return defaultFill
}

const (
	// appendOnlyFill fills the pages of buckets whose values never change
	// once written.
	appendOnlyFill = 1.0
	// appendFill leaves a tenth of a page for the updates that grow the
	// records of an in-order bucket (a lead's status, touches, follow-up),
	// so that they seldom split a page.
	appendFill = 0.9
	// defaultFill is bbolt's own default (bbolt.DefaultFillPercent), for
	// keys in random order. A higher one would not help them: a page split
	// into a full part and a small remainder leaves the remainder to fill
	// slowly, and random inserts keep pages about ln 2 full when split in
	// half but only about a third full when split 90/10.
	defaultFill = 0.5
)
