package touchbase

// ReferenceFold and ReferenceNameKey are Fold and NameKey without their
// ASCII fast paths: FuzzNameKey holds the two to the same answers for
// every input.
var (
	ReferenceFold    = foldRunes
	ReferenceNameKey = nameKeyWords
)
