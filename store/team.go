package store

import (
	"fmt"

	"github.com/touchbase/touchbase"
)

// Rep returns the rep with chat user id id, or ENOTFOUND.
func (tx *tx) Rep(id string) (*touchbase.Rep, error) {
	v := tx.bucket(repsBucket).Get([]byte(id))
	if v == nil {
		return nil, touchbase.Errorf(touchbase.ENOTFOUND, "rep %s not found", id)
	}
	r := new(touchbase.Rep)
	if err := decodeRep(v, r); err != nil {
		return nil, fmt.Errorf("store: decode rep %s: %w", id, err)
	}
	return r, nil
}

// PutRep stores r, replacing the rep of the same ID.
func (tx *tx) PutRep(r *touchbase.Rep) error {
	if r.ID == "" {
		return touchbase.Errorf(touchbase.EINVALID, "a rep needs a user id")
	}
	return put(tx.bucket(repsBucket), []byte(r.ID), r, "rep", encodeRep)
}

// Conversation returns the conversation that reaches key, or ENOTFOUND.
func (tx *tx) Conversation(key string) (*touchbase.Conversation, error) {
	v := tx.bucket(conversationsBucket).Get([]byte(key))
	if v == nil {
		return nil, touchbase.Errorf(touchbase.ENOTFOUND, "no conversation reaches %s yet", key)
	}
	c := new(touchbase.Conversation)
	if err := decodeConversation(v, c); err != nil {
		return nil, fmt.Errorf("store: decode conversation %s: %w", key, err)
	}
	return c, nil
}

// PutConversation stores c, replacing the one of the same key.
func (tx *tx) PutConversation(c *touchbase.Conversation) error {
	if c.Key == "" {
		return touchbase.Errorf(touchbase.EINVALID, "a conversation needs the key it reaches")
	}
	return put(tx.bucket(conversationsBucket), []byte(c.Key), c, "conversation", encodeConversation)
}

// Reps returns every rep in ID order.
func (tx *tx) Reps() ([]*touchbase.Rep, error) {
	return list(tx.bucket(repsBucket), "rep", decodeRep)
}

// Team returns the team whose name has the NameKey of name, or ENOTFOUND.
func (tx *tx) Team(name string) (*touchbase.Team, error) {
	v := tx.bucket(teamsBucket).Get([]byte(touchbase.NameKey(name)))
	if v == nil {
		return nil, touchbase.Errorf(touchbase.ENOTFOUND, "team %q not found", name)
	}
	t := new(touchbase.Team)
	if err := decodeTeam(v, t); err != nil {
		return nil, fmt.Errorf("store: decode team %q: %w", name, err)
	}
	return t, nil
}

// PutTeam stores t under the NameKey of its name, replacing the team of the
// same key.
func (tx *tx) PutTeam(t *touchbase.Team) error {
	key := touchbase.NameKey(t.Name)
	if key == "" {
		return touchbase.Errorf(touchbase.EINVALID, "a team needs a name")
	}
	return put(tx.bucket(teamsBucket), []byte(key), t, "team", encodeTeam)
}

// Teams returns every team in the order of their name keys.
func (tx *tx) Teams() ([]*touchbase.Team, error) {
	return list(tx.bucket(teamsBucket), "team", decodeTeam)
}

// CreateHandoff stores a new handoff. One with ID 0 gets the next ID; a given
// ID is kept, and ECONFLICT if it is taken.
func (tx *tx) CreateHandoff(h *touchbase.Handoff) error {
	b := tx.bucket(handoffsBucket)
	if err := assignID(b, &h.ID, "handoff", keyExists(b)); err != nil {
		return err
	}
	return put(b, u64(h.ID), h, "handoff", encodeHandoff)
}

// Handoffs returns every handoff in ID order.
func (tx *tx) Handoffs() ([]*touchbase.Handoff, error) {
	return list(tx.bucket(handoffsBucket), "handoff", decodeHandoff)
}
