package store

import (
	"bytes"
	"cmp"
	"slices"
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
// normalised name or only one word of it. (Files before schema version 6
// wrote []byte{0} for wordOnly.)
var (
	wholeName = []byte{1}
	wordOnly  = []byte{}
)

// nameEntries returns the name index entries of record id of kind for each
// of its names: the NameKey of the name, and each word of it but the first,
// so that "yamada" finds "Taro Yamada". The first word needs no entry of its
// own: the whole name starts with it, and Search counts a key that is the
// query and a space as a word equal to it. The key is word 0x00 kind id,
// the id in as few big-endian bytes as hold it (nameID); a word that is both
// a whole name and a word of another is one entry marked whole.
func nameEntries(kind byte, id uint64, names ...string) []entry {
	var es []entry
	add := func(word string, whole bool) {
		key := concat([]byte(word), []byte{0, kind}, nameID(id))
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
		words := strings.Fields(k)
		for _, w := range words[1:] {
			if w != words[0] {
				add(w, false)
			}
		}
	}
	return es
}

// nameID returns id big-endian without its leading zero bytes (one byte at
// least), as the name index's keys end.
func nameID(id uint64) []byte {
	b := u64(id)
	i := 0
	for i < 7 && b[i] == 0 {
		i++
	}
	return b[i:]
}

// parseNameKey splits a name index key into its word, kind and ID. A word
// holds no 0x00 (NameKey keeps letters, numbers, marks and spaces), so the
// first 0x00 ends it; the ID is what follows the kind, 1 to 8 bytes (8 in
// files before schema version 6).
func parseNameKey(k []byte) (word []byte, kind byte, id uint64, ok bool) {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k)-i < 3 || len(k)-i > 10 {
		return nil, 0, 0, false
	}
	for _, c := range k[i+2:] {
		id = id<<8 | uint64(c)
	}
	return k[:i], k[i+1], id, true
}

// Search returns the leads, opportunities and accounts whose name (a lead's
// name or company, an opportunity's name or its account's) matches query
// under NameKey: first those whose whole name equals it (Exact), then those
// with a word equal to it, then those whose name or a word of it starts with
// it. Each record comes once; at most limit of them (no limit when limit <= 0).
// Equally good matches are listed by the word they match, then by kind and
// ID. The walk is one cursor seek: it reads the equal words, then prefixes
// only until limit records are found.
func (tx *tx) Search(query string, limit int) ([]touchbase.Ref, error) {
	return tx.SearchKey(touchbase.NameKey(query), limit)
}

// SearchKey is Search for key, a query's NameKey.
func (tx *tx) SearchKey(key string, limit int) ([]touchbase.Ref, error) {
	q := []byte(key)
	if len(q) == 0 {
		return nil, nil
	}
	// A query of one word matches a whole name's first word through the
	// name's own key; one of several words matches whole names only.
	oneWord := bytes.IndexByte(q, ' ') < 0
	type rec struct {
		kind byte
		id   uint64
	}
	type hit struct {
		rec
		exact bool // the key's word is the query and marks a whole name
	}
	seen := make(map[rec]bool)
	var exact, word, prefix []touchbase.Ref
	full := func() bool { return limit > 0 && len(exact)+len(word)+len(prefix) >= limit }
	// The keys matching the same word (for a one-word query, a whole
	// name's first word) make a block, whose hits are taken by kind and
	// ID; a block of the query's own word comes first.
	var block []hit
	var blockWord []byte
	take := func() (stop bool) {
		slices.SortStableFunc(block, func(a, b hit) int {
			return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.id, b.id))
		})
		equal := bytes.Equal(blockWord, q)
		for _, h := range block {
			if !equal && full() {
				return true
			}
			if seen[h.rec] {
				continue
			}
			seen[h.rec] = true
			ref := touchbase.Ref{Kind: refKinds[h.kind], ID: h.id}
			switch {
			case equal && h.exact:
				ref.Exact = true
				exact = append(exact, ref)
			case equal:
				word = append(word, ref)
			default:
				prefix = append(prefix, ref)
			}
		}
		block = block[:0]
		return full()
	}
	c := tx.bucket(namesBucket).Cursor()
	for k, v := c.Seek(q); k != nil && bytes.HasPrefix(k, q); k, v = c.Next() {
		w, kind, id, ok := parseNameKey(k)
		if !ok {
			continue
		}
		match := w
		if oneWord {
			if i := bytes.IndexByte(w, ' '); i >= 0 {
				match = w[:i]
			}
		}
		if !bytes.Equal(match, blockWord) {
			if len(block) > 0 && take() {
				block = nil
				break
			}
			blockWord = append(blockWord[:0], match...)
		}
		block = append(block, hit{rec{kind, id}, len(w) == len(q) && bytes.Equal(v, wholeName)})
	}
	if len(block) > 0 {
		take()
	}
	out := append(append(exact, word...), prefix...)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
