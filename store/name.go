package store

import (
	"bytes"
	"strings"

	"github.com/touchbase/touchbase"
)

// Kinds of record in the name index. Their byte order is the order in which
// equally good matches are listed: accounts, then leads, then opportunities.
const (
	kindAccount     byte = 'A'
	kindLead        byte = 'L'
	kindOpportunity byte = 'O'
)

var refKinds = map[byte]touchbase.RefKind{
	kindAccount:     touchbase.RefAccount,
	kindLead:        touchbase.RefLead,
	kindOpportunity: touchbase.RefOpportunity,
}

// Values of a name index entry: whether its word is the record's whole
// normalised name or only one word of it.
var (
	wholeName = []byte{1}
	wordOnly  = []byte{0}
)

// nameEntries returns the name index entries of record id of kind for each
// of its names: the NameKey of the name, and each word of it, so that
// "yamada" finds "Taro Yamada". The key is word 0x00 kind id; a word that is
// both a whole name and a word of another is one entry marked whole.
func nameEntries(kind byte, id uint64, names ...string) []entry {
	var es []entry
	add := func(word string, whole bool) {
		key := concat([]byte(word), []byte{0, kind}, u64(id))
		for i := range es {
			if bytes.Equal(es[i].key, key) {
				if whole {
					es[i].value = wholeName
				}
				return
			}
		}
		v := wordOnly
		if whole {
			v = wholeName
		}
		es = append(es, entry{namesBucket, key, v})
	}
	for _, name := range names {
		k := touchbase.NameKey(name)
		if k == "" {
			continue
		}
		add(k, true)
		for _, w := range strings.Fields(k) {
			add(w, false)
		}
	}
	return es
}

// Search returns the leads, opportunities and accounts whose name (a lead's
// name or company, an opportunity's name or its account's) matches query
// under NameKey: first those whose whole name equals it (Exact), then those
// with a word equal to it, then those whose name or a word of it starts with
// it. Each record comes once; at most limit of them (no limit when limit <= 0).
// The walk is one cursor seek: it reads the equal words, then prefixes only
// until limit records are found.
func (tx *tx) Search(query string, limit int) ([]touchbase.Ref, error) {
	q := []byte(touchbase.NameKey(query))
	if len(q) == 0 {
		return nil, nil
	}
	type rec struct {
		kind byte
		id   uint64
	}
	seen := make(map[rec]bool)
	var exact, word, prefix []touchbase.Ref
	c := tx.bucket(namesBucket).Cursor()
	for k, v := c.Seek(q); k != nil && bytes.HasPrefix(k, q); k, v = c.Next() {
		if len(k) < len(q)+10 {
			continue
		}
		equal := len(k)-10 == len(q)
		if !equal && limit > 0 && len(exact)+len(word)+len(prefix) >= limit {
			break
		}
		r := rec{k[len(k)-9], idSuffix(k)}
		if seen[r] {
			continue
		}
		seen[r] = true
		ref := touchbase.Ref{Kind: refKinds[r.kind], ID: r.id}
		switch {
		case equal && bytes.Equal(v, wholeName):
			ref.Exact = true
			exact = append(exact, ref)
		case equal:
			word = append(word, ref)
		default:
			prefix = append(prefix, ref)
		}
	}
	out := append(append(exact, word...), prefix...)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
