package slack

import (
	"strconv"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"
)

// Answers to commands and button presses are the hot path of the HTTP
// endpoints, and building slack-go's blocks only to encode them (interface
// slices with their own MarshalJSON, each re-entering encoding/json and
// compacted after) cost as much as the rest of a /log. So a Reply is laid
// out once, in the kit's plain blocks below, which hold only what
// touchbase's answers use: sections of mrkdwn text or fields, actions of
// buttons, contexts of mrkdwn text. An answer is written from them straight
// into bytes, the same bytes encoding/json writes for slack-go's blocks;
// Blocks turns them into slack-go's for the Web API.
// TestEncodeEphemeral_SameJSON and FuzzEncodeEphemeral hold the two to the
// same bytes.

// kitKind is what a kitBlock is.
type kitKind uint8

const (
	kitSection kitKind = iota // a section of one mrkdwn text
	kitFields                 // a section of mrkdwn fields
	kitActions                // an actions block of buttons
	kitContext                // a context block of mrkdwn texts
)

// kitBlock is one block of an answer.
type kitBlock struct {
	kind    kitKind
	id      kitID
	text    string      // kitSection
	texts   []string    // kitFields: the fields; kitContext: the elements
	buttons []kitButton // kitActions
}

// kitButton is a button; its label is plain text with emoji.
type kitButton struct {
	actionID     kitID
	value, label string
	primary      bool
}

// kitID is a block or action id: name, followed by n when n > 0. The
// numbers are written with the answer, not joined to the name for it.
type kitID struct {
	name string
	n    int
}

func (id kitID) String() string {
	if id.n <= 0 {
		return id.name
	}
	return id.name + strconv.Itoa(id.n)
}

func (id kitID) empty() bool { return id.name == "" && id.n <= 0 }

// appendJSON appends id as a JSON string.
func (id kitID) appendJSON(dst []byte) []byte {
	dst = appendJSONString(dst, id.name)
	if id.n <= 0 {
		return dst
	}
	dst = strconv.AppendInt(dst[:len(dst)-1], int64(id.n), 10) // inside the quotes
	return append(dst, '"')
}

// slack returns k as slack-go's block.
func (k *kitBlock) slack() slackgo.Block {
	switch k.kind {
	case kitFields:
		fields := make([]*slackgo.TextBlockObject, len(k.texts))
		for i, t := range k.texts {
			fields[i] = mrkdwnText(t)
		}
		return slackgo.NewSectionBlock(nil, fields, nil, slackgo.SectionBlockOptionBlockID(k.id.String()))
	case kitActions:
		var elems []slackgo.BlockElement // nil for nil, as appendJSON writes it
		if k.buttons != nil {
			elems = make([]slackgo.BlockElement, 0, len(k.buttons))
		}
		for _, b := range k.buttons {
			e := slackgo.NewButtonBlockElement(b.actionID.String(), b.value, slackgo.NewTextBlockObject(slackgo.PlainTextType, b.label, true, false))
			if b.primary {
				e.WithStyle(slackgo.StylePrimary)
			}
			elems = append(elems, e)
		}
		return slackgo.NewActionBlock(k.id.String(), elems...)
	case kitContext:
		var elems []slackgo.MixedElement
		if k.texts != nil {
			elems = make([]slackgo.MixedElement, 0, len(k.texts))
		}
		for _, t := range k.texts {
			elems = append(elems, mrkdwnText(t))
		}
		return slackgo.NewContextBlock(k.id.String(), elems...)
	default:
		return slackgo.NewSectionBlock(mrkdwnText(k.text), nil, nil, slackgo.SectionBlockOptionBlockID(k.id.String()))
	}
}

// ephemeral is a slash-command or response_url answer seen only by the rep.
type ephemeral struct {
	ResponseType    string
	Text            string
	Blocks          []kitBlock
	ReplaceOriginal bool
}

// MarshalJSON writes e as appendJSON does, for the encoders that are given
// an answer (Socket Mode's acknowledgement).
func (e ephemeral) MarshalJSON() ([]byte, error) {
	return e.appendJSON(make([]byte, 0, e.sizeHint())), nil
}

// sizeHint is about the length of e's JSON, so that most answers are
// written without growing their buffer.
func (e *ephemeral) sizeHint() int {
	n := 64 + len(e.ResponseType) + len(e.Text)
	for i := range e.Blocks {
		k := &e.Blocks[i]
		n += 64 + len(k.id.name) + len(k.text)
		for _, t := range k.texts {
			n += 32 + len(t)
		}
		for _, b := range k.buttons {
			n += 128 + len(b.actionID.name) + len(b.value) + len(b.label)
		}
	}
	return n
}

// appendJSON appends e as JSON to dst: the bytes encoding/json writes for
// the same answer in slack-go's blocks, fields in the same order, with the
// same omissions and escapes.
func (e *ephemeral) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if e.ResponseType != "" {
		dst = append(dst, `"response_type":`...)
		dst = appendJSONString(dst, e.ResponseType)
		dst = append(dst, ',')
	}
	dst = append(dst, `"text":`...)
	dst = appendJSONString(dst, e.Text)
	if len(e.Blocks) > 0 {
		dst = append(dst, `,"blocks":[`...)
		for i := range e.Blocks {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = e.Blocks[i].appendJSON(dst)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"replace_original":`...)
	dst = strconv.AppendBool(dst, e.ReplaceOriginal)
	return append(dst, '}')
}

func (k *kitBlock) appendJSON(dst []byte) []byte {
	switch k.kind {
	case kitFields:
		dst = append(dst, `{"type":"section"`...)
		dst = appendBlockID(dst, k.id)
		if len(k.texts) > 0 {
			dst = append(dst, `,"fields":`...)
			dst = appendMrkdwnTexts(dst, k.texts)
		}
	case kitActions:
		dst = append(dst, `{"type":"actions"`...)
		dst = appendBlockID(dst, k.id)
		dst = append(dst, `,"elements":`...)
		if k.buttons == nil {
			dst = append(dst, "null"...)
			break
		}
		dst = append(dst, '[')
		for i := range k.buttons {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = k.buttons[i].appendJSON(dst)
		}
		dst = append(dst, ']')
	case kitContext:
		dst = append(dst, `{"type":"context"`...)
		dst = appendBlockID(dst, k.id)
		dst = append(dst, `,"elements":`...)
		dst = appendMrkdwnTexts(dst, k.texts)
	default:
		dst = append(dst, `{"type":"section","text":`...)
		dst = appendMrkdwnText(dst, k.text)
		dst = appendBlockID(dst, k.id)
	}
	return append(dst, '}')
}

func (b *kitButton) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"type":"button","text":{"type":"plain_text","text":`...)
	dst = appendJSONString(dst, b.label)
	dst = append(dst, `,"emoji":true}`...)
	if !b.actionID.empty() {
		dst = append(dst, `,"action_id":`...)
		dst = b.actionID.appendJSON(dst)
	}
	if b.value != "" {
		dst = append(dst, `,"value":`...)
		dst = appendJSONString(dst, b.value)
	}
	if b.primary {
		dst = append(dst, `,"style":"primary"`...)
	}
	return append(dst, '}')
}

func appendBlockID(dst []byte, id kitID) []byte {
	if id.empty() {
		return dst
	}
	dst = append(dst, `,"block_id":`...)
	return id.appendJSON(dst)
}

func appendMrkdwnText(dst []byte, s string) []byte {
	dst = append(dst, `{"type":"mrkdwn","text":`...)
	dst = appendJSONString(dst, s)
	return append(dst, '}')
}

// appendMrkdwnTexts appends texts as an array of mrkdwn text objects, null
// when nil as encoding/json writes a nil slice.
func appendMrkdwnTexts(dst []byte, texts []string) []byte {
	if texts == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, t := range texts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendMrkdwnText(dst, t)
	}
	return append(dst, ']')
}

// jsonPlain marks the ASCII bytes that encoding/json writes as they are
// (with its HTML escaping on, as json.Marshal has it): printable, and none
// of " \ < > &.
var jsonPlain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as json.Marshal
// escapes it: " and \ backslashed; \b \f \n \r \t by name; the other control
// characters and <, > and & as \u00XX; U+2028 and U+2029 as \u2028 and
// \u2029; each byte of invalid UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is still to be copied
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
