package fakeslack_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/touchbase/touchbase/bot/slack/fakeslack"
)

const (
	botToken = "xoxb-test"
	appToken = "xapp-1-test"
	wait     = 5 * time.Second
)

func newClient(s *fakeslack.Server) *slack.Client {
	return slack.New(botToken, slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(s.URL()))
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// httpFixture splits a docs request fixture into its request line, headers and JSON body.
func httpFixture(tb testing.TB, name string) (requestLine string, header http.Header, body []byte) {
	tb.Helper()
	text := string(readFixture(tb, name))
	i := strings.Index(text, "\n{")
	if i < 0 {
		tb.Fatalf("%s: no JSON body", name)
	}
	lines := strings.Split(text[:i], "\n")
	header = http.Header{}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return lines[0], header, []byte(text[i+1:])
}

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		tb.Fatalf("unmarshal %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		tb.Fatalf("unmarshal %s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// keyPaths lists every object key path in a JSON value, so two values' shapes can be compared.
func keyPaths(v any, prefix string, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			out[prefix+"."+k] = true
			keyPaths(e, prefix+"."+k, out)
		}
	case []any:
		for _, e := range v {
			keyPaths(e, prefix+"[]", out)
		}
	}
}

func missingKeys(tb testing.TB, want, got []byte) []string {
	tb.Helper()
	var vw, vg any
	if err := json.Unmarshal(want, &vw); err != nil {
		tb.Fatalf("unmarshal want: %v", err)
	}
	if err := json.Unmarshal(got, &vg); err != nil {
		tb.Fatalf("unmarshal got: %v", err)
	}
	w, g := map[string]bool{}, map[string]bool{}
	keyPaths(vw, "", w)
	keyPaths(vg, "", g)
	var missing []string
	for k := range w {
		if !g[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	return missing
}

func TestAuthTest(t *testing.T) {
	for _, tt := range []struct {
		name, token, err string
	}{
		// Ensure a bot token is accepted and auth.test names the bot.
		{name: "bot token", token: botToken},
		// Ensure a call without a token is refused the way Slack refuses it.
		{name: "no token", token: "", err: "not_authed"},
		// Ensure an app-level token is not taken for a bot token.
		{name: "app token", token: appToken, err: "not_allowed_token_type"},
		// Ensure a malformed token is refused.
		{name: "garbage", token: "hunter2", err: "invalid_auth"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeslack.New(t)
			resp, err := slack.New(tt.token, slack.OptionAPIURL(s.URL())).AuthTest()
			if tt.err != "" {
				var serr slack.SlackErrorResponse
				if !errors.As(err, &serr) || serr.Err != tt.err {
					t.Fatalf("AuthTest err=%v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := [3]string{resp.UserID, resp.TeamID, resp.BotID}, [3]string{fakeslack.BotUserID, fakeslack.TeamID, fakeslack.BotID}; got != want {
				t.Fatalf("UserID, TeamID, BotID=%v, want %v", got, want)
			}
			calls := s.Calls("auth.test")
			if len(calls) != 1 {
				t.Fatalf("calls=%d, want 1", len(calls))
			}
			// slack-go sends form methods with the token in the form, not the header.
			if c := calls[0]; c.Token != botToken || c.Form.Get("token") != botToken || c.Authorization != "" || c.JSON != nil {
				t.Fatalf("call=%+v, want form with token %s and no Authorization", c, botToken)
			}
		})
	}
}

func TestPostMessage(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)
	block := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Acme* moved to Proposal", false, false), nil, nil)

	// Ensure chat.postMessage answers the channel and a timestamp.
	channel, ts1, err := api.PostMessage("C123ABC456", slack.MsgOptionText("Hello world :tada:", false), slack.MsgOptionBlocks(block))
	if err != nil {
		t.Fatal(err)
	}
	if channel != "C123ABC456" || ts1 == "" {
		t.Fatalf("channel, ts=%q, %q, want C123ABC456 and a ts", channel, ts1)
	}
	// Ensure timestamps increase from one message to the next.
	_, ts2, err := api.PostMessage("C123ABC456", slack.MsgOptionText("again", false))
	if err != nil {
		t.Fatal(err)
	}
	if ts2 <= ts1 {
		t.Fatalf("second ts=%s, want after %s", ts2, ts1)
	}

	// Ensure the call records channel, text and blocks; slack-go sends this method as a
	// form whose "blocks" field holds JSON.
	c := s.Calls("chat.postMessage")[0]
	if c.JSON != nil || c.Param("channel") != "C123ABC456" || c.Param("text") != "Hello world :tada:" {
		t.Fatalf("call=%+v, want a form with channel and text", c)
	}
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(c.Param("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks.BlockSet) != 1 {
		t.Fatalf("blocks=%d, want 1", len(blocks.BlockSet))
	}
	if got, ok := blocks.BlockSet[0].(*slack.SectionBlock); !ok || got.Text.Text != "*Acme* moved to Proposal" {
		t.Fatalf("block=%#v, want the section", blocks.BlockSet[0])
	}
	if c.Status != http.StatusOK || c.Error != "" || c.Time.IsZero() {
		t.Fatalf("Status, Error, Time=%d, %q, %v", c.Status, c.Error, c.Time)
	}
}

func TestPostMessageDocsJSON(t *testing.T) {
	// Ensure the docs' JSON request is understood as well as slack-go's form.
	s := fakeslack.New(t)
	line, header, body := httpFixture(t, "chat_postMessage_request.docs.txt")
	if line != "POST https://slack.com/api/chat.postMessage" {
		t.Fatalf("request line=%q", line)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"chat.postMessage", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	req.Header.Set("Authorization", "Bearer "+botToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		OK      bool   `json:"ok"`
		Channel string `json:"channel"`
		TS      string `json:"ts"`
		Message struct {
			Text string `json:"text"`
		} `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !got.OK || got.Channel != "YOUR_CHANNEL_ID" || got.TS == "" || got.Message.Text != "Hello world :tada:" {
		t.Fatalf("answer=%+v", got)
	}
	c := s.Calls("chat.postMessage")[0]
	if !jsonEqual(t, c.JSON, body) || c.Param("text") != "Hello world :tada:" || c.Token != botToken {
		t.Fatalf("call=%+v", c)
	}
}

func TestChatErrors(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)
	for _, tt := range []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		want    string
	}{
		// Ensure a message without channel is refused.
		{name: "no channel", opts: []slack.MsgOption{slack.MsgOptionText("hi", false)}, want: "channel_not_found"},
		// Ensure a message without text, blocks or attachments is refused.
		{name: "no text", channel: "C1", want: "no_text"},
		// Ensure an ephemeral message needs a user.
		{name: "ephemeral without user", channel: "C1", opts: []slack.MsgOption{slack.MsgOptionPostEphemeral(""), slack.MsgOptionText("hi", false)}, want: "user_not_in_channel"},
		// Ensure an update needs the message's ts.
		{name: "update without ts", channel: "C1", opts: []slack.MsgOption{slack.MsgOptionUpdate(""), slack.MsgOptionText("hi", false)}, want: "message_not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := api.SendMessage(tt.channel, tt.opts...)
			var serr slack.SlackErrorResponse
			if !errors.As(err, &serr) || serr.Err != tt.want {
				t.Fatalf("err=%v, want %s", err, tt.want)
			}
		})
	}
}

func TestEphemeralAndUpdate(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)

	// Ensure chat.postEphemeral answers a message_ts.
	ts, err := api.PostEphemeral("C1", "U123ABC456", slack.MsgOptionText("only you", false))
	if err != nil || ts == "" {
		t.Fatalf("PostEphemeral=%q, %v", ts, err)
	}
	if c := s.Calls("chat.postEphemeral")[0]; c.Param("user") != "U123ABC456" {
		t.Fatalf("user=%q", c.Param("user"))
	}

	// Ensure chat.update echoes channel, ts and the new text.
	channel, uts, text, err := api.UpdateMessage("C1", "1503435956.000247", slack.MsgOptionText("edited", false))
	if err != nil {
		t.Fatal(err)
	}
	if channel != "C1" || uts != "1503435956.000247" || text != "edited" {
		t.Fatalf("UpdateMessage=%q, %q, %q", channel, uts, text)
	}
}

func modal(callbackID string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Log a touch", false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Save", false, false),
		CallbackID: callbackID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("note", slack.NewTextBlockObject(slack.PlainTextType, "Note", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "note_input")),
		}},
	}
}

func TestViews(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)

	// Ensure views.open echoes the view with an ID and a hash.
	opened, err := api.OpenView("37053613634.26768298162.440952c06ef4de2653466a48fe495f93", modal("touch"))
	if err != nil {
		t.Fatal(err)
	}
	if opened.ID == "" || opened.Hash == "" || opened.CallbackID != "touch" || opened.Type != slack.VTModal || opened.TeamID != fakeslack.TeamID {
		t.Fatalf("view=%+v", opened.View)
	}
	if len(opened.Blocks.BlockSet) != 1 {
		t.Fatalf("blocks=%d, want 1", len(opened.Blocks.BlockSet))
	}
	// Ensure views.open goes as JSON with the token in the Authorization header.
	c := s.Calls("views.open")[0]
	if c.JSON == nil || c.Authorization != "Bearer "+botToken || c.Param("trigger_id") == "" {
		t.Fatalf("call=%+v, want JSON with Bearer token", c)
	}

	// Ensure views.update with a stale hash is refused as on Slack.
	_, err = api.UpdateView(modal("touch"), "", "1.stale", opened.ID)
	var serr slack.SlackErrorResponse
	if !errors.As(err, &serr) || serr.Err != "hash_conflict" {
		t.Fatalf("UpdateView with stale hash err=%v, want hash_conflict", err)
	}
	// Ensure views.update with the current hash keeps the ID and changes the hash.
	updated, err := api.UpdateView(modal("touch2"), "", opened.Hash, opened.ID)
	if err != nil {
		t.Fatal(err)
	}
	if updated.ID != opened.ID || updated.Hash == opened.Hash || updated.CallbackID != "touch2" {
		t.Fatalf("updated=%+v, opened=%+v", updated.View, opened.View)
	}

	// Ensure views.push answers a new view.
	pushed, err := api.PushView("trigger", modal("more"))
	if err != nil {
		t.Fatal(err)
	}
	if pushed.ID == "" || pushed.ID == opened.ID {
		t.Fatalf("pushed ID=%q, opened %q", pushed.ID, opened.ID)
	}
}

func TestPublishView(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)
	_, _, body := httpFixture(t, "views_publish_request.docs.txt")
	var req struct {
		View json.RawMessage `json:"view"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	var home slack.HomeTabViewRequest
	if err := json.Unmarshal(req.View, &home); err != nil {
		t.Fatal(err)
	}

	// Ensure views.publish echoes a Home tab with an ID.
	first, err := api.PublishView("U123ABC456", home, "")
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.Type != slack.VTHomeTab || len(first.Blocks.BlockSet) != 2 {
		t.Fatalf("view=%+v", first.View)
	}
	// Ensure slack-go sends the docs' request: same user and the same blocks.
	c := s.Calls("views.publish")[0]
	var sent struct {
		View struct {
			Blocks json.RawMessage `json:"blocks"`
		} `json:"view"`
	}
	if err := json.Unmarshal(c.JSON, &sent); err != nil {
		t.Fatal(err)
	}
	var docs struct {
		View struct {
			Blocks json.RawMessage `json:"blocks"`
		} `json:"view"`
	}
	if err := json.Unmarshal(body, &docs); err != nil {
		t.Fatal(err)
	}
	if c.Param("user_id") != "U123ABC456" || !jsonEqual(t, sent.View.Blocks, docs.View.Blocks) {
		t.Fatalf("sent %s, want the docs' blocks %s", sent.View.Blocks, docs.View.Blocks)
	}
	// Ensure a user's Home tab keeps its view ID across publishes.
	second, err := api.PublishView("U123ABC456", home, first.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID {
		t.Fatalf("second ID=%q, want %q", second.ID, first.ID)
	}
}

func TestGetUserInfo(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)

	// Ensure an unknown user is the default user, in Asia/Tokyo, with the asked ID.
	u, err := api.GetUserInfo("U0SALES01")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "U0SALES01" || u.TZ != "Asia/Tokyo" || u.TZOffset != 9*60*60 || u.Profile.Email == "" {
		t.Fatalf("user=%+v", u)
	}
	if c := s.Calls("users.info")[0]; c.Param("user") != "U0SALES01" {
		t.Fatalf("user param=%q", c.Param("user"))
	}

	// Ensure a user set with SetUser is answered as set.
	s.SetUser(slack.User{ID: "U0NY", Name: "nyc", TZ: "America/New_York", TZOffset: -18000})
	u, err = api.GetUserInfo("U0NY")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "nyc" || u.TZ != "America/New_York" || u.TZOffset != -18000 {
		t.Fatalf("user=%+v", u)
	}
}

func TestDefaultUserShape(t *testing.T) {
	// Ensure the default user has every field of the docs' example user object.
	s := fakeslack.New(t)
	resp, err := http.PostForm(s.URL()+"users.info", url.Values{"token": {botToken}, "user": {"U123ABC456"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		User json.RawMessage `json:"user"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	docs := []byte("{" + string(readFixture(t, "user_object.docs.txt")) + "}")
	var wrapped struct {
		User json.RawMessage `json:"user"`
	}
	if err := json.Unmarshal(docs, &wrapped); err != nil {
		t.Fatal(err)
	}
	if missing := missingKeys(t, wrapped.User, got.User); len(missing) > 0 {
		t.Fatalf("default user lacks %v", missing)
	}
}

func TestConversationsOpen(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)
	params := &slack.OpenConversationParameters{Users: []string{"U123ABC456"}}

	// Ensure the first open answers a new DM.
	ch, noOp, already, err := api.OpenConversation(params)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.ID, "D") || noOp || already {
		t.Fatalf("open=%q, %v, %v", ch.ID, noOp, already)
	}
	// Ensure opening again answers the same DM, already open.
	ch2, _, already, err := api.OpenConversation(params)
	if err != nil {
		t.Fatal(err)
	}
	if ch2.ID != ch.ID || !already {
		t.Fatalf("reopen=%q, %v, want %q, true", ch2.ID, already, ch.ID)
	}
}

func TestConversationsHistory(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)
	md := slack.SlackMetadata{EventType: "touchbase_message", EventPayload: map[string]any{"key": "reminders/U123ABC456/2026-11-24"}}
	var sent []string
	for i, to := range []string{"U123ABC456", "C123ABC456", "U123ABC456", "U123ABC456"} {
		ch, ts, err := api.PostMessage(to, slack.MsgOptionText(fmt.Sprint("message ", i), false), slack.MsgOptionMetadata(md))
		if err != nil {
			t.Fatal(err)
		}
		// Ensure a message to a user is posted in the bot's DM with them, as Slack answers.
		if want := to; strings.HasPrefix(to, "U") && !strings.HasPrefix(ch, "D") || strings.HasPrefix(to, "C") && ch != want {
			t.Fatalf("posted to %s: channel=%s", to, ch)
		}
		sent = append(sent, ch+"/"+ts)
	}
	dm, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U123ABC456"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Split(sent[0], "/")[0]; dm.ID != want {
		t.Fatalf("DM=%s, want the conversation the messages went to, %s", dm.ID, want)
	}
	ts := func(i int) string { return strings.Split(sent[i], "/")[1] }
	for _, tt := range []struct {
		name   string
		params slack.GetConversationHistoryParameters
		want   []string // texts, newest first
		more   bool
		md     bool
	}{
		// Ensure the DM's messages come newest first, without metadata unless asked.
		{name: "all", params: slack.GetConversationHistoryParameters{ChannelID: dm.ID}, want: []string{"message 3", "message 2", "message 0"}},
		// Ensure metadata comes when asked for.
		{name: "metadata", params: slack.GetConversationHistoryParameters{ChannelID: dm.ID, IncludeAllMetadata: true}, want: []string{"message 3", "message 2", "message 0"}, md: true},
		// Ensure oldest and latest are exclusive.
		{name: "between", params: slack.GetConversationHistoryParameters{ChannelID: dm.ID, Oldest: ts(0), Latest: ts(3)}, want: []string{"message 2"}},
		// Ensure inclusive takes the bounds in.
		{name: "inclusive", params: slack.GetConversationHistoryParameters{ChannelID: dm.ID, Oldest: ts(2), Inclusive: true}, want: []string{"message 3", "message 2"}},
		// Ensure limit keeps the newest and says there is more.
		{name: "limit", params: slack.GetConversationHistoryParameters{ChannelID: dm.ID, Limit: 2}, want: []string{"message 3", "message 2"}, more: true},
		// Ensure a channel holds only its own messages.
		{name: "channel", params: slack.GetConversationHistoryParameters{ChannelID: "C123ABC456"}, want: []string{"message 1"}},
		// Ensure a conversation without messages is empty.
		{name: "empty", params: slack.GetConversationHistoryParameters{ChannelID: "C999"}, want: nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := api.GetConversationHistory(&tt.params)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range h.Messages {
				got = append(got, m.Text)
				if key := m.Metadata.EventPayload["key"]; tt.md != (key == md.EventPayload["key"] && m.Metadata.EventType == md.EventType) {
					t.Fatalf("message %q metadata=%+v, want it: %v", m.Text, m.Metadata, tt.md)
				}
			}
			if !slices.Equal(got, tt.want) || h.HasMore != tt.more {
				t.Fatalf("history=%q has_more=%v, want %q %v", got, h.HasMore, tt.want, tt.more)
			}
		})
	}
	// Ensure Messages lists what was accepted, oldest first, with its metadata.
	msgs := s.Messages()
	if len(msgs) != 4 || msgs[1].Channel != "C123ABC456" || msgs[3].Channel+"/"+msgs[3].TS != sent[3] || msgs[0].Metadata.EventPayload["key"] != md.EventPayload["key"] {
		t.Fatalf("messages=%+v", msgs)
	}
}

func TestHold(t *testing.T) {
	post := func(ctx context.Context, api *slack.Client, text string) error {
		_, _, err := api.PostMessageContext(ctx, "C123ABC456", slack.MsgOptionText(text, false))
		return err
	}
	t.Run("before record", func(t *testing.T) {
		s := fakeslack.New(t)
		api := newClient(s)
		h := s.Hold("chat.postMessage", fakeslack.BeforeRecord, 1)
		// Ensure the first call passes, and the next is held unrecorded.
		if err := post(context.Background(), api, "first"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- post(ctx, api, "second") }()
		if c := h.Wait(1, wait)[0]; c.Param("text") != "second" {
			t.Fatalf("held %q, want the second", c.Param("text"))
		}
		if n := len(s.Calls("chat.postMessage")); n != 1 {
			t.Fatalf("%d calls recorded while one is held, want 1", n)
		}
		// Ensure a held call whose client gives up leaves no trace.
		cancel()
		if err := <-errc; err == nil {
			t.Fatal("the abandoned call succeeded")
		}
		h.WaitAbandoned(1, wait)
		// Ensure calls after Release go on.
		h.Release()
		if err := post(context.Background(), api, "third"); err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, m := range s.Messages() {
			texts = append(texts, m.Text)
		}
		if got := strings.Join(texts, ","); got != "first,third" || len(s.Calls("chat.postMessage")) != 2 {
			t.Fatalf("messages=%s calls=%d, want first,third and 2", got, len(s.Calls("chat.postMessage")))
		}
	})
	t.Run("after record", func(t *testing.T) {
		s := fakeslack.New(t)
		api := newClient(s)
		h := s.Hold("chat.postMessage", fakeslack.AfterRecord, 0)
		errc := make(chan error, 1)
		go func() { errc <- post(context.Background(), api, "held") }()
		h.Wait(1, wait)
		// Ensure the held call has taken effect before it is answered.
		if msgs, calls := s.Messages(), s.Calls("chat.postMessage"); len(msgs) != 1 || len(calls) != 1 || calls[0].Status != http.StatusOK {
			t.Fatalf("messages=%+v calls=%+v, want the message in place", msgs, calls)
		}
		select {
		case err := <-errc:
			t.Fatalf("answered while held: %v", err)
		default:
		}
		// Ensure Release answers it.
		h.Release()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
}

func TestUploadFile(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)
	content := "name,stage\nAcme,Proposal\n"

	// Ensure the three-step upload goes through the fake and keeps the file.
	f, err := api.UploadFile(slack.UploadFileParameters{
		Filename: "pipeline.csv", Title: "Pipeline", Content: content, FileSize: len(content), Channel: "C123ABC456",
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.ID == "" || f.Title != "Pipeline" {
		t.Fatalf("file=%+v", f)
	}
	ups := s.Uploads()
	if len(ups) != 1 || ups[0].FileID != f.ID || ups[0].Filename != "pipeline.csv" || string(ups[0].Content) != content {
		t.Fatalf("uploads=%+v", ups)
	}
	if c := s.Calls("files.completeUploadExternal")[0]; c.Param("channel_id") != "C123ABC456" {
		t.Fatalf("channel_id=%q", c.Param("channel_id"))
	}
}

func TestRateLimit(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)
	s.RateLimit("chat.postMessage", 1, 30*time.Second)

	// Ensure a rate-limited call gives slack-go's RateLimitedError with Retry-After.
	_, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("err=%v, want *slack.RateLimitedError", err)
	}
	if got, want := rl.RetryAfter, 30*time.Second; got != want {
		t.Fatalf("RetryAfter=%v, want %v", got, want)
	}
	// Ensure the next call succeeds, and both are recorded with their status.
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != http.StatusTooManyRequests || calls[0].Error != "ratelimited" || calls[1].Status != http.StatusOK {
		t.Fatalf("calls=%+v", calls)
	}
}

func TestRateLimitMatchesDocs(t *testing.T) {
	// Ensure the 429 answer carries the status line and header of the docs' example.
	want, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(append(readFixture(t, "rate_limited_429_response.docs.txt"), '\n'))), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := fakeslack.New(t)
	s.RateLimit("users.info", 1, 29500*time.Millisecond) // rounded up to whole seconds
	got, err := http.PostForm(s.URL()+"users.info", url.Values{"token": {botToken}, "user": {"U1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	if got.StatusCode != want.StatusCode || got.Header.Get("Retry-After") != want.Header.Get("Retry-After") {
		t.Fatalf("answer %d Retry-After %q, want %d %q", got.StatusCode, got.Header.Get("Retry-After"), want.StatusCode, want.Header.Get("Retry-After"))
	}
}

func TestFailures(t *testing.T) {
	for _, tt := range []struct {
		name   string
		inject func(s *fakeslack.Server)
		check  func(err error) bool
	}{
		{
			// Ensure FailNext answers ok:false with the error for the given number of calls.
			name:   "FailNext",
			inject: func(s *fakeslack.Server) { s.FailNext("chat.postMessage", "channel_not_found", 2) },
			check: func(err error) bool {
				var serr slack.SlackErrorResponse
				return errors.As(err, &serr) && serr.Err == "channel_not_found"
			},
		},
		{
			// Ensure Fail5xx answers HTTP 500, which slack-go reports as a StatusCodeError.
			name:   "Fail5xx",
			inject: func(s *fakeslack.Server) { s.Fail5xx("chat.postMessage", 2) },
			check: func(err error) bool {
				var serr slack.StatusCodeError
				return errors.As(err, &serr) && serr.Code == http.StatusInternalServerError
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeslack.New(t)
			api := newClient(s)
			tt.inject(s)
			for i := range 2 {
				if _, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false)); !tt.check(err) {
					t.Fatalf("call %d err=%v", i, err)
				}
			}
			if _, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false)); err != nil {
				t.Fatalf("third call err=%v, want success", err)
			}
			// Ensure other methods are untouched.
			if _, err := api.AuthTest(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestResponseURL(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)
	u1, u2 := s.NewResponseURL(), s.ResponseURL()
	if u1 == u2 || !strings.HasPrefix(u1, "http://127.0.0.1:") {
		t.Fatalf("URLs %q, %q, want two on the fake", u1, u2)
	}

	// Ensure a reply through a response_url is recorded as its JSON body.
	if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(u1, slack.ResponseTypeEphemeral), slack.MsgOptionText("Saved", false)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Text         string `json:"text"`
		ResponseType string `json:"response_type"`
	}
	if err := json.Unmarshal(s.WaitResponse(u1, wait), &got); err != nil {
		t.Fatal(err)
	}
	if got.Text != "Saved" || got.ResponseType != slack.ResponseTypeEphemeral {
		t.Fatalf("response=%+v", got)
	}
	// Ensure a webhook-style post works too, and lands on its own URL only.
	if err := slack.PostWebhook(u2, &slack.WebhookMessage{Text: "also", ReplaceOriginal: true}); err != nil {
		t.Fatal(err)
	}
	if n1, n2 := len(s.Responses(u1)), len(s.Responses(u2)); n1 != 1 || n2 != 1 {
		t.Fatalf("responses=%d, %d, want 1, 1", n1, n2)
	}
	// Ensure a URL the fake did not hand out is refused.
	if err := slack.PostWebhook(u1+"x", &slack.WebhookMessage{Text: "x"}); err == nil {
		t.Fatal("post to unknown response_url succeeded")
	}
	// Ensure a response_url takes five posts, as on Slack.
	for i := range 4 {
		if err := slack.PostWebhook(u2, &slack.WebhookMessage{Text: "more"}); err != nil {
			t.Fatalf("post %d: %v", i+2, err)
		}
	}
	if err := slack.PostWebhook(u2, &slack.WebhookMessage{Text: "sixth"}); err == nil {
		t.Fatal("sixth post succeeded")
	}
}

func TestWaitFor(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)

	// Ensure WaitFor sees calls made from other goroutines.
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := range 3 {
		wg.Go(func() {
			_, _, err := api.PostMessage("C1", slack.MsgOptionText(strings.Repeat("x", i+1), false))
			errs <- err
		})
	}
	calls := s.WaitFor("chat.postMessage", 3, wait)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var texts []string
	for _, c := range calls {
		texts = append(texts, c.Param("text"))
	}
	slices.Sort(texts)
	if want := []string{"x", "xx", "xxx"}; !slices.Equal(texts, want) {
		t.Fatalf("texts=%v, want %v", texts, want)
	}
}

func TestHandle(t *testing.T) {
	s := fakeslack.New(t)
	api := newClient(s)

	// Ensure an unknown method is answered as Slack does, and recorded.
	_, err := api.GetPermalink(&slack.PermalinkParameters{Channel: "C1", Ts: "1.2"})
	var serr slack.SlackErrorResponse
	if !errors.As(err, &serr) || serr.Err != "unknown_method" {
		t.Fatalf("err=%v, want unknown_method", err)
	}
	// Ensure Handle adds a method; slack-go sends this one as a GET with a Bearer token.
	s.Handle("chat.getPermalink", func(c fakeslack.Call) any {
		return map[string]any{"ok": true, "channel": c.Param("channel"), "permalink": "https://touchbase-test.slack.com/archives/C1/p12"}
	})
	link, err := api.GetPermalink(&slack.PermalinkParameters{Channel: "C1", Ts: "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if link != "https://touchbase-test.slack.com/archives/C1/p12" {
		t.Fatalf("permalink=%q", link)
	}
	if calls := s.Calls("chat.getPermalink"); len(calls) != 2 || calls[1].Token != botToken {
		t.Fatalf("calls=%+v", calls)
	}
}

func TestBadRequests(t *testing.T) {
	s := fakeslack.New(t)
	post := func(ct, body string) string {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.URL()+"chat.postMessage", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+botToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// Ensure malformed JSON is refused with invalid_json.
	if got := post("application/json", `{"channel":`); !strings.Contains(got, `"invalid_json"`) {
		t.Fatalf("answer=%s", got)
	}
	// Ensure malformed blocks are refused with invalid_blocks.
	if got := post("application/json", `{"channel":"C1","blocks":"nope"}`); !strings.Contains(got, `"invalid_blocks"`) {
		t.Fatalf("answer=%s", got)
	}
}
