package slack

import (
	"encoding/json"

	slackgo "github.com/slack-go/slack"
)

// Answers to commands and button presses are the hot path of the HTTP
// endpoints, and encoding slack-go's blocks (interface slices with their own
// MarshalJSON, each re-entering encoding/json and compacted after) cost as
// much as the rest of a /log. The kit types below are the same Block Kit
// JSON for the blocks touchbase's answers use, as plain structs that
// encoding/json writes straight; an answer with any other block or element
// falls back to slack-go's encoding. TestEncodeEphemeral_SameJSON holds the
// two to the same JSON.

type kitMessage struct {
	ResponseType    string     `json:"response_type,omitempty"`
	Text            string     `json:"text"`
	Blocks          []kitBlock `json:"blocks,omitempty"`
	ReplaceOriginal bool       `json:"replace_original"`
}

type kitBlock struct {
	Type     string     `json:"type"`
	Text     *kitText   `json:"text,omitempty"`
	BlockID  string     `json:"block_id,omitempty"`
	Fields   []*kitText `json:"fields,omitempty"`
	Elements []any      `json:"elements,omitempty"` // *kitButton in actions, *kitText in context
}

type kitText struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Emoji    *bool  `json:"emoji,omitempty"`
	Verbatim bool   `json:"verbatim,omitempty"`
}

type kitButton struct {
	Type     string   `json:"type,omitempty"`
	Text     *kitText `json:"text"`
	ActionID string   `json:"action_id,omitempty"`
	Value    string   `json:"value,omitempty"`
	Style    string   `json:"style,omitempty"`
}

// encodeEphemeral returns e as JSON, through the kit types when they can
// say it all.
func encodeEphemeral(e *ephemeral) ([]byte, error) {
	if m, ok := kitOf(e); ok {
		return json.Marshal(m)
	}
	return json.Marshal(e)
}

func kitOf(e *ephemeral) (*kitMessage, bool) {
	m := &kitMessage{ResponseType: e.ResponseType, Text: e.Text, ReplaceOriginal: e.ReplaceOriginal, Blocks: make([]kitBlock, 0, len(e.Blocks))}
	for _, b := range e.Blocks {
		switch b := b.(type) {
		case *slackgo.SectionBlock:
			if b.Accessory != nil || b.Expand {
				return nil, false
			}
			k := kitBlock{Type: string(b.Type), Text: kitTextOf(b.Text), BlockID: b.BlockID}
			for _, f := range b.Fields {
				k.Fields = append(k.Fields, kitTextOf(f))
			}
			m.Blocks = append(m.Blocks, k)
		case *slackgo.ActionBlock:
			if b.Elements == nil || len(b.Elements.ElementSet) == 0 {
				return nil, false // slack-go writes "elements":null or []; leave it to slack-go
			}
			k := kitBlock{Type: string(b.Type), BlockID: b.BlockID}
			for _, el := range b.Elements.ElementSet {
				btn, ok := el.(*slackgo.ButtonBlockElement)
				if !ok || btn.URL != "" || btn.Confirm != nil || btn.AccessibilityLabel != "" || btn.AgentPrompt != "" || btn.AgentPromptDisplay != "" {
					return nil, false
				}
				k.Elements = append(k.Elements, &kitButton{Type: string(btn.Type), Text: kitTextOf(btn.Text), ActionID: btn.ActionID, Value: btn.Value, Style: string(btn.Style)})
			}
			m.Blocks = append(m.Blocks, k)
		case *slackgo.ContextBlock:
			if len(b.ContextElements.Elements) == 0 {
				return nil, false
			}
			k := kitBlock{Type: string(b.Type), BlockID: b.BlockID}
			for _, el := range b.ContextElements.Elements {
				t, ok := el.(*slackgo.TextBlockObject)
				if !ok {
					return nil, false
				}
				k.Elements = append(k.Elements, kitTextOf(t))
			}
			m.Blocks = append(m.Blocks, k)
		default:
			return nil, false
		}
	}
	return m, true
}

func kitTextOf(t *slackgo.TextBlockObject) *kitText {
	if t == nil {
		return nil
	}
	return &kitText{Type: t.Type, Text: t.Text, Emoji: t.Emoji, Verbatim: t.Verbatim}
}
