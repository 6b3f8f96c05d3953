package slack

import (
	"context"
	"log/slog"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// pickers maps the action ids of external selects to handler pickers.
var pickers = map[string]string{
	"tb_pick_record":      handlers.PickRecord,
	"tb_pick_qualifiable": handlers.PickQualifiable,
	"tb_pick_lead":        handlers.PickLead,
	"tb_pick_opportunity": handlers.PickOpportunity,
	"tb_pick_account":     handlers.PickAccount,
}

// interaction handles a button press, a modal submission or a type-ahead
// query, and returns the body Slack expects back (nil for an empty 200).
func (b *Bot) interaction(ctx context.Context, cb *slackgo.InteractionCallback) any {
	switch cb.Type {
	case slackgo.InteractionTypeBlockSuggestion:
		return b.suggest(ctx, cb)
	case slackgo.InteractionTypeBlockActions:
		b.blockActions(ctx, cb)
		return nil
	case slackgo.InteractionTypeViewSubmission:
		return b.viewSubmission(ctx, cb)
	case slackgo.InteractionTypeViewClosed:
		return nil
	}
	b.Logger.WarnContext(ctx, "unknown interaction", slog.String("type", string(cb.Type)))
	return nil
}

type option struct {
	Text  slackgo.TextBlockObject `json:"text"`
	Value string                  `json:"value"`
}

func (b *Bot) suggest(ctx context.Context, cb *slackgo.InteractionCallback) any {
	picker, ok := pickers[cb.ActionID]
	if !ok {
		b.Logger.WarnContext(ctx, "unknown picker", slog.String("action_id", cb.ActionID))
		return map[string]any{"options": []option{}}
	}
	u := b.user(ctx, cb.User.ID, cb.User.Name)
	choices, err := b.Handler.Suggest(ctx, u, picker, cb.Value)
	if err != nil {
		b.errorReply(ctx, err)
		choices = nil
	}
	opts := make([]option, 0, len(choices))
	for _, c := range choices {
		label := c.Label
		if r := []rune(label); len(r) > 75 {
			label = string(r[:74]) + "…"
		}
		opts = append(opts, option{Text: slackgo.TextBlockObject{Type: slackgo.PlainTextType, Text: label}, Value: c.Command})
	}
	return map[string]any{"options": opts}
}

// blockActions runs the command a button carries, once per press however
// often Slack delivers it, and answers where the button was: in the
// conversation (response_url), in a modal (views.update), or on the App
// Home (published again).
func (b *Bot) blockActions(ctx context.Context, cb *slackgo.InteractionCallback) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	a := cb.ActionCallback.BlockActions[0]
	if _, isPicker := pickers[a.ActionID]; isPicker || a.Value == "" {
		return // a selection inside a form, read at submit
	}
	line, ok := ParseButtonValue(a.Value)
	if !ok {
		b.Logger.WarnContext(ctx, "unknown button", slog.String("action_id", a.ActionID))
		b.answerAction(ctx, cb, &handlers.Reply{Title: ":x: That button is not one of touchbase's; nothing changed."})
		return
	}
	// A command that still needs a reason ("send back") asks for it first.
	if strings.HasSuffix(line, "reason:") && cb.TriggerID != "" {
		if err := b.openReasonModal(ctx, cb.TriggerID, line); err != nil {
			b.answerAction(ctx, cb, b.errorReply(ctx, err))
		}
		return
	}
	u := b.user(ctx, cb.User.ID, cb.User.Name)
	key := "button/" + cb.User.ID + "/" + a.ActionTs + "/" + a.ActionID
	r, err := b.Handler.HandleOnce(ctx, u, line, key)
	switch {
	case err == handlers.ErrAlreadyApplied:
		return // the same press again: it was answered the first time
	case err != nil:
		r = b.errorReply(ctx, err)
	case r.Form != nil && cb.TriggerID != "":
		if err := b.openModalFor(ctx, cb, line, r.Form); err != nil {
			r = b.errorReply(ctx, err)
		} else {
			return
		}
	}
	b.afterCommand(r)
	b.answerAction(ctx, cb, r)
}

func (b *Bot) openModalFor(ctx context.Context, cb *slackgo.InteractionCallback, line string, f *handlers.Form) error {
	cmd, err := handlers.ParseCommand(line)
	if err != nil {
		return err
	}
	return b.openModal(ctx, cb.TriggerID, cmd.Verb, f)
}

func (b *Bot) answerAction(ctx context.Context, cb *slackgo.InteractionCallback, r *handlers.Reply) {
	switch {
	case cb.View.ID != "" && cb.View.Type == slackgo.VTHomeTab:
		b.publishHome(ctx, cb.User.ID, cb.User.Name)
		if r != nil && strings.HasPrefix(r.Title, ":x:") {
			b.dm(ctx, cb.User.ID, r)
		}
	case cb.View.ID != "":
		view := resultModal(r)
		if _, err := b.Client.UpdateViewContext(ctx, view, "", cb.View.Hash, cb.View.ID); err != nil {
			b.Logger.WarnContext(ctx, "views.update", slog.Any("error", err))
		}
	case cb.ResponseURL != "":
		b.postResponse(ctx, cb.ResponseURL, r)
	default:
		b.dm(ctx, cb.User.ID, r)
	}
}

// dm posts a reply straight to a rep's direct messages with the bot.
func (b *Bot) dm(ctx context.Context, userID string, r *handlers.Reply) {
	if r == nil {
		return
	}
	_, _, err := b.Client.PostMessageContext(ctx, userID, slackgo.MsgOptionText(FallbackText(r), false), slackgo.MsgOptionBlocks(Blocks(r)...))
	if err != nil {
		b.Logger.WarnContext(ctx, "chat.postMessage", slog.Any("error", err))
	}
}

// resultModal shows a reply inside the modal it came from.
func resultModal(r *handlers.Reply) slackgo.ModalViewRequest {
	return slackgo.ModalViewRequest{
		Type:   slackgo.VTModal,
		Title:  slackgo.NewTextBlockObject(slackgo.PlainTextType, "touchbase", false, false),
		Close:  slackgo.NewTextBlockObject(slackgo.PlainTextType, "Close", false, false),
		Blocks: slackgo.Blocks{BlockSet: Blocks(r)},
	}
}

// viewSubmission turns a submitted form into a command line and runs it.
// Missing or malformed fields come back next to the field.
func (b *Bot) viewSubmission(ctx context.Context, cb *slackgo.InteractionCallback) any {
	var line string
	var errs map[string]string
	if cb.View.CallbackID == reasonCallback {
		line, errs = reasonSubmission(cb.View.PrivateMetadata, cb.View.State)
	} else {
		line, errs = Submission(cb.View.CallbackID, cb.View.PrivateMetadata, cb.View.State)
	}
	if len(errs) > 0 {
		return slackgo.NewErrorsViewSubmissionResponse(errs)
	}
	u := b.user(ctx, cb.User.ID, cb.User.Name)
	r, err := b.Handler.HandleOnce(ctx, u, line, "view/"+cb.View.ID+"/"+cb.View.Hash)
	if err == handlers.ErrAlreadyApplied {
		return nil
	}
	if err != nil {
		if touchbase.ErrorCode(err) == touchbase.EINVALID {
			if block := fieldOf(cb.View, touchbase.ErrorMessage(err)); block != "" {
				return slackgo.NewErrorsViewSubmissionResponse(map[string]string{block: truncate(touchbase.ErrorMessage(err), 150)})
			}
		}
		r = b.errorReply(ctx, err)
	}
	b.afterCommand(r)
	return slackgo.NewUpdateViewSubmissionResponse(&slackgo.ModalViewRequest{
		Type:   slackgo.VTModal,
		Title:  slackgo.NewTextBlockObject(slackgo.PlainTextType, "touchbase", false, false),
		Close:  slackgo.NewTextBlockObject(slackgo.PlainTextType, "Close", false, false),
		Blocks: slackgo.Blocks{BlockSet: Blocks(r)},
	})
}

// fieldOf finds the input block a refusal is about, so the error shows next
// to it. Refusals name a field the way the handlers and parsers write one:
// the option and a colon ("amount: …", "next: …", "b: …", the last on the
// BANT block bant_b), or the field's name before the refused value in quotes
// (`email "x" is not…`, `date "x" is not…`, the latter on the date picker).
// A message that merely starts with a word that is also a block id, as a
// record's name does ("Close Brothers is not qualified"), names no field.
func fieldOf(v slackgo.View, msg string) string {
	if v.State == nil {
		return ""
	}
	i := strings.IndexAny(msg, ": ")
	if i <= 0 || msg[i] == ' ' && !strings.HasPrefix(msg[i:], ` "`) {
		return ""
	}
	key := strings.ToLower(msg[:i])
	for _, block := range []string{key, "bant_" + key} {
		if _, ok := v.State.Values[block]; ok {
			return block
		}
	}
	if key == "date" {
		for _, block := range []string{"close", "next"} {
			if _, ok := v.State.Values[block]; ok {
				return block
			}
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

const reasonCallback = "tb_reason"

// openReasonModal asks for the reason a command needs ("send back").
func (b *Bot) openReasonModal(ctx context.Context, triggerID, line string) error {
	input := slackgo.NewPlainTextInputBlockElement(slackgo.NewTextBlockObject(slackgo.PlainTextType, "e.g. no budget this year", false, false), "reason")
	view := slackgo.ModalViewRequest{
		Type:            slackgo.VTModal,
		CallbackID:      reasonCallback,
		PrivateMetadata: line,
		Title:           slackgo.NewTextBlockObject(slackgo.PlainTextType, "Why?", false, false),
		Submit:          slackgo.NewTextBlockObject(slackgo.PlainTextType, "Send", false, false),
		Close:           slackgo.NewTextBlockObject(slackgo.PlainTextType, "Cancel", false, false),
		Blocks: slackgo.Blocks{BlockSet: []slackgo.Block{
			slackgo.NewInputBlock("reason", slackgo.NewTextBlockObject(slackgo.PlainTextType, "Reason", false, false), nil, input),
		}},
	}
	if _, err := b.Client.OpenViewContext(ctx, triggerID, view); err != nil {
		return touchbase.Errorf(touchbase.EINTERNAL, "views.open: %v", err)
	}
	return nil
}

func reasonSubmission(line string, state *slackgo.ViewState) (string, map[string]string) {
	reason := ""
	if state != nil {
		reason = strings.TrimSpace(state.Values["reason"]["reason"].Value)
	}
	if reason == "" {
		return "", map[string]string{"reason": "Say why, so the next owner can act on it."}
	}
	return line + `"` + strings.ReplaceAll(reason, `"`, "'") + `"`, nil
}
