package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// success is a successful Web API answer: fields plus "ok": true.
func success(fields map[string]any) answer {
	if fields == nil {
		fields = make(map[string]any)
	}
	fields["ok"] = true
	return jsonAnswer(http.StatusOK, fields)
}

// dispatchLocked answers a call whose token has been checked.
func (s *Server) dispatchLocked(c Call) answer {
	switch c.Method {
	case "auth.test":
		return success(map[string]any{
			"url":                   "https://touchbase-test.slack.com/",
			"team":                  TeamName,
			"user":                  BotName,
			"team_id":               TeamID,
			"user_id":               BotUserID,
			"bot_id":                BotID,
			"is_enterprise_install": false,
		})
	case "chat.postMessage":
		return s.chatPostMessageLocked(c)
	case "chat.postEphemeral":
		return s.chatPostEphemeralLocked(c)
	case "chat.update":
		return s.chatUpdateLocked(c)
	case "views.open", "views.push":
		return s.viewsOpenLocked(c)
	case "views.update":
		return s.viewsUpdateLocked(c)
	case "views.publish":
		return s.viewsPublishLocked(c)
	case "users.info":
		return s.usersInfoLocked(c)
	case "conversations.open":
		return s.conversationsOpenLocked(c)
	case "conversations.history":
		return s.conversationsHistoryLocked(c)
	case "files.getUploadURLExternal":
		return s.filesGetUploadURLExternalLocked(c)
	case "files.completeUploadExternal":
		return s.filesCompleteUploadExternalLocked(c)
	case "apps.connections.open":
		return s.appsConnectionsOpenLocked()
	default:
		return slackError("unknown_method")
	}
}

// message builds the message object chat.postMessage and chat.update echo back.
func message(c Call, ts string) (map[string]any, string) {
	m := map[string]any{
		"type":    "message",
		"subtype": "bot_message",
		"text":    c.Param("text"),
		"user":    BotUserID,
		"bot_id":  BotID,
		"team":    TeamID,
		"ts":      ts,
	}
	for _, name := range []string{"blocks", "attachments"} {
		raw := c.Param(name)
		if raw == "" {
			continue
		}
		var list []json.RawMessage
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return nil, "invalid_" + name
		}
		m[name] = list
	}
	if thread := c.Param("thread_ts"); thread != "" {
		m["thread_ts"] = thread
	}
	if c.Param("text") == "" && m["blocks"] == nil && m["attachments"] == nil {
		return nil, "no_text"
	}
	return m, ""
}

func (s *Server) chatPostMessageLocked(c Call) answer {
	channel := c.Param("channel")
	if channel == "" {
		return slackError("channel_not_found")
	}
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		// A user ID: Slack posts in the bot's direct message with that user and answers
		// with the conversation's ID.
		channel, _ = s.dmLocked([]string{channel})
	}
	ts := s.nextTSLocked()
	m, code := message(c, ts)
	if code != "" {
		return slackError(code)
	}
	var md Metadata
	if raw := c.Param("metadata"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &md); err != nil {
			return slackError("invalid_metadata_format")
		}
		m["metadata"] = md
	}
	if s.fullLocked(len(s.messages)) {
		return slackError("fakeslack_too_many_messages")
	}
	s.messages = append(s.messages, Message{Channel: channel, TS: ts, Text: c.Param("text"), Metadata: md, Time: s.Now()})
	return success(map[string]any{"channel": channel, "ts": ts, "message": m})
}

// Metadata is a message's metadata, as chat.postMessage takes it.
type Metadata struct {
	EventType    string         `json:"event_type"`
	EventPayload map[string]any `json:"event_payload"`
}

// Message is a message the fake accepted through chat.postMessage, as it stands in its
// conversation.
type Message struct {
	// Channel is the conversation's ID: the channel posted to, or for a message posted to a
	// user ID, the bot's direct message with that user.
	Channel  string
	TS       string
	Text     string
	Metadata Metadata
	Time     time.Time
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// conversationsHistoryLocked answers a conversation's messages, newest first, between
// oldest and latest (both exclusive unless inclusive is set) and at most limit of them
// (100 by default, as Slack does), with metadata only when include_all_metadata is set.
// It does not page: has_more says that older messages were left out.
func (s *Server) conversationsHistoryLocked(c Call) answer {
	channel := c.Param("channel")
	if channel == "" {
		return slackError("channel_not_found")
	}
	inclusive, withMetadata := c.Param("inclusive") == "1" || c.Param("inclusive") == "true",
		c.Param("include_all_metadata") == "1" || c.Param("include_all_metadata") == "true"
	oldest, err := parseTS(c.Param("oldest"), 0)
	if err != nil {
		return slackError("invalid_ts_oldest")
	}
	latest, err := parseTS(c.Param("latest"), math.MaxInt64)
	if err != nil {
		return slackError("invalid_ts_latest")
	}
	limit := 100
	if v := c.Param("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return slackError("invalid_limit")
		}
		limit = min(limit, 999)
	}
	out := []map[string]any{}
	more := false
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		ts, _ := parseTS(m.TS, 0)
		if m.Channel != channel || ts > latest || ts < oldest || !inclusive && (ts == latest || ts == oldest) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		msg := map[string]any{"type": "message", "subtype": "bot_message", "user": BotUserID, "bot_id": BotID, "text": m.Text, "ts": m.TS}
		if withMetadata && m.Metadata.EventType != "" {
			msg["metadata"] = m.Metadata
		}
		out = append(out, msg)
	}
	return success(map[string]any{"messages": out, "has_more": more, "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": ""}})
}

// parseTS reads a message timestamp, "seconds.micros", as microseconds (a float64 cannot
// tell neighbouring timestamps apart); def when it is empty.
func parseTS(v string, def int64) (int64, error) {
	if v == "" {
		return def, nil
	}
	sec, frac, _ := strings.Cut(v, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 6 {
		return 0, fmt.Errorf("fakeslack: ts %q", v)
	}
	us := int64(0)
	if frac != "" {
		if us, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64); err != nil {
			return 0, fmt.Errorf("fakeslack: ts %q", v)
		}
	}
	return s*1e6 + us, nil
}

func (s *Server) chatPostEphemeralLocked(c Call) answer {
	if c.Param("channel") == "" {
		return slackError("channel_not_found")
	}
	if c.Param("user") == "" {
		return slackError("user_not_in_channel")
	}
	if _, code := message(c, ""); code != "" {
		return slackError(code)
	}
	return success(map[string]any{"message_ts": s.nextTSLocked()})
}

func (s *Server) chatUpdateLocked(c Call) answer {
	channel, ts := c.Param("channel"), c.Param("ts")
	if channel == "" {
		return slackError("channel_not_found")
	}
	if ts == "" {
		return slackError("message_not_found")
	}
	m, code := message(c, ts)
	if code != "" {
		return slackError(code)
	}
	return success(map[string]any{"channel": channel, "ts": ts, "text": c.Param("text"), "message": m})
}

// viewRequest is the JSON body of the views.* methods.
type viewRequest struct {
	TriggerID  string          `json:"trigger_id"`
	UserID     string          `json:"user_id"`
	ViewID     string          `json:"view_id"`
	ExternalID string          `json:"external_id"`
	Hash       string          `json:"hash"`
	View       json.RawMessage `json:"view"`
}

func decodeViewRequest(c Call) (viewRequest, map[string]any, string) {
	var req viewRequest
	if c.JSON == nil {
		// Slack also takes the view as a form field holding JSON.
		req = viewRequest{
			TriggerID: c.Param("trigger_id"), UserID: c.Param("user_id"), ViewID: c.Param("view_id"),
			ExternalID: c.Param("external_id"), Hash: c.Param("hash"), View: json.RawMessage(c.Param("view")),
		}
	} else if err := json.Unmarshal(c.JSON, &req); err != nil {
		return req, nil, "invalid_arguments"
	}
	var v map[string]any
	if len(req.View) == 0 || json.Unmarshal(req.View, &v) != nil || v == nil {
		return req, nil, "invalid_arguments"
	}
	return req, v, ""
}

// echoViewLocked completes a requested view the way Slack's answer does and remembers it.
func (s *Server) echoViewLocked(v map[string]any, id string) map[string]any {
	for k, def := range map[string]any{
		"private_metadata": "", "callback_id": "", "external_id": "",
		"clear_on_close": false, "notify_on_close": false, "blocks": []any{},
	} {
		if _, ok := v[k]; !ok {
			v[k] = def
		}
	}
	s.seq++
	hash := fmt.Sprintf("%d.%08x", s.Now().Unix(), s.seq)
	v["id"] = id
	v["team_id"] = TeamID
	v["app_id"] = AppID
	v["bot_id"] = BotID
	v["app_installed_team_id"] = TeamID
	v["hash"] = hash
	v["root_view_id"] = id
	v["previous_view_id"] = nil
	v["state"] = map[string]any{"values": map[string]any{}}
	s.views[id] = hash
	if ext, _ := v["external_id"].(string); ext != "" {
		s.external[ext] = id
	}
	return v
}

func (s *Server) viewsOpenLocked(c Call) answer {
	req, v, code := decodeViewRequest(c)
	if code != "" {
		return slackError(code)
	}
	if req.TriggerID == "" {
		return slackError("invalid_trigger_id")
	}
	return success(map[string]any{"view": s.echoViewLocked(v, s.nextIDLocked("V"))})
}

// checkHashLocked returns "hash_conflict" when hash is given and is not the current hash
// of a view the fake knows.
func (s *Server) checkHashLocked(id, hash string) string {
	if cur, known := s.views[id]; known && hash != "" && hash != cur {
		return "hash_conflict"
	}
	return ""
}

func (s *Server) viewsUpdateLocked(c Call) answer {
	req, v, code := decodeViewRequest(c)
	if code != "" {
		return slackError(code)
	}
	id := req.ViewID
	if id == "" {
		if id = s.external[req.ExternalID]; id == "" {
			return slackError("not_found")
		}
	}
	if code := s.checkHashLocked(id, req.Hash); code != "" {
		return slackError(code)
	}
	if _, ok := v["external_id"]; !ok && req.ExternalID != "" {
		v["external_id"] = req.ExternalID
	}
	return success(map[string]any{"view": s.echoViewLocked(v, id)})
}

func (s *Server) viewsPublishLocked(c Call) answer {
	req, v, code := decodeViewRequest(c)
	if code != "" {
		return slackError(code)
	}
	if req.UserID == "" {
		return slackError("invalid_arguments")
	}
	id, known := s.homes[req.UserID]
	if known {
		if code := s.checkHashLocked(id, req.Hash); code != "" {
			return slackError(code)
		}
	} else {
		id = s.nextIDLocked("V")
		s.homes[req.UserID] = id
	}
	return success(map[string]any{"view": s.echoViewLocked(v, id)})
}

func (s *Server) usersInfoLocked(c Call) answer {
	id := c.Param("user")
	if id == "" {
		return slackError("user_not_found")
	}
	if u, ok := s.users[id]; ok {
		return jsonAnswer(http.StatusOK, map[string]any{"ok": true, "user": u})
	}
	var u map[string]any
	if err := json.Unmarshal([]byte(defaultUserJSON), &u); err != nil {
		return slackError("fakeslack_default_user")
	}
	u["id"] = id
	if eu, ok := u["enterprise_user"].(map[string]any); ok {
		eu["id"] = id
	}
	return success(map[string]any{"user": u})
}

func (s *Server) conversationsOpenLocked(c Call) answer {
	if ch := c.Param("channel"); ch != "" {
		return success(map[string]any{"channel": map[string]any{"id": ch}, "no_op": true, "already_open": true})
	}
	users := strings.Split(c.Param("users"), ",")
	users = slices.DeleteFunc(users, func(u string) bool { return strings.TrimSpace(u) == "" })
	if len(users) == 0 {
		return slackError("users_list_not_supplied")
	}
	id, open := s.dmLocked(users)
	fields := map[string]any{"channel": map[string]any{"id": id}}
	if open {
		fields["no_op"], fields["already_open"] = true, true
	}
	return success(fields)
}

// dmLocked returns the ID of the bot's direct message with users (a group DM for several),
// opening it if it is not open, and whether it was open already.
func (s *Server) dmLocked(users []string) (string, bool) {
	users = slices.Sorted(slices.Values(users))
	key := strings.Join(users, ",")
	id, open := s.dms[key]
	if !open {
		prefix := "D"
		if len(users) > 1 {
			prefix = "G"
		}
		id = s.nextIDLocked(prefix)
		s.dms[key] = id
	}
	return id, open
}

// Upload is one file body posted to an upload_url from files.getUploadURLExternal.
type Upload struct {
	FileID   string
	Filename string
	Content  []byte
	Time     time.Time
}

// Uploads returns the files uploaded so far, oldest first.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.uploads)
}

func (s *Server) filesGetUploadURLExternalLocked(c Call) answer {
	name := c.Param("filename")
	if n, err := strconv.Atoi(c.Param("length")); name == "" || err != nil || n <= 0 {
		return slackError("invalid_arguments")
	}
	id := s.nextIDLocked("F")
	s.files[id] = name
	return success(map[string]any{"upload_url": s.srv.URL + "/upload/v1/" + id, "file_id": id})
}

func (s *Server) filesCompleteUploadExternalLocked(c Call) answer {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(c.Param("files")), &files); err != nil || len(files) == 0 {
		return slackError("invalid_arguments")
	}
	out := make([]map[string]any, 0, len(files))
	for _, f := range files {
		name, known := s.files[f.ID]
		if !known {
			return slackError("file_not_found")
		}
		title := f.Title
		if title == "" {
			title = name
		}
		out = append(out, map[string]any{"id": f.ID, "title": title, "name": name})
	}
	return success(map[string]any{"files": out})
}

// serveUpload accepts a file body at an upload_url: multipart with a "file" part, as
// slack-go sends it, or the raw bytes, which Slack also takes. Like Slack it answers in
// plain text.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("file")
	s.mu.Lock()
	name, known := s.files[id]
	s.mu.Unlock()
	if !known {
		http.NotFound(w, r)
		return
	}
	body := http.MaxBytesReader(w, r.Body, maxUploadBytes)
	var content []byte
	var err error
	if mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType == "multipart/form-data" {
		content, err = readFilePart(multipart.NewReader(body, params["boundary"]))
	} else {
		content, err = io.ReadAll(body)
	}
	if err != nil {
		http.Error(w, "fakeslack: bad upload: "+err.Error(), http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	if s.fullLocked(len(s.uploads)) {
		s.mu.Unlock()
		http.Error(w, "fakeslack: too many uploads", http.StatusInternalServerError)
		return
	}
	s.uploads = append(s.uploads, Upload{FileID: id, Filename: name, Content: content, Time: s.Now()})
	s.notifyLocked()
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(content)))
}

func readFilePart(mr *multipart.Reader) ([]byte, error) {
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, err
		}
		if p.FormName() == "file" {
			return io.ReadAll(p)
		}
	}
}
