// Package handlers is the application of touchbase: it parses a command or
// an interaction, checks who may do it, acts on the store in one transaction,
// and answers with a platform-neutral Reply that each chat platform renders.
package handlers

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/touchbase/touchbase"
)

// DB is what the handlers need of the store: one transaction per command.
// Update applies everything fn wrote, or nothing when fn returns an error.
type DB interface {
	View(ctx context.Context, fn func(touchbase.Tx) error) error
	Update(ctx context.Context, fn func(touchbase.Tx) error) error
}

// User is the person who sent a command, as the chat platform knows them.
type User struct {
	ID       string // the platform's user id
	Name     string // display name
	TimeZone string // IANA zone, e.g. Asia/Tokyo; "" means UTC
	// Channel is the conversation the command was typed in, as messages
	// are addressed to it ("<#C123>" in Slack, "teams:19:…" in Teams);
	// "/tb team create … here" makes it the team's channel.
	Channel string
}

// Handler runs commands.
type Handler struct {
	DB     DB
	Config *touchbase.Config
	// Now returns the current time; tests and --now move it.
	Now    func() time.Time
	Logger *slog.Logger
	// Observe, when set, is told of every command run: its verb, its
	// outcome ("ok", "choices", "duplicate", the error code, or "panic")
	// and how long it took. Metrics hang here. Every run is also logged at
	// info under the request id of ctx, without what was typed.
	Observe func(verb, outcome string, took time.Duration)

	zones sync.Map // zone name → *time.Location
}

// NewHandler returns a Handler on db with configuration cfg.
func NewHandler(db DB, cfg *touchbase.Config) *Handler {
	return &Handler{
		DB:     db,
		Config: cfg,
		Now:    time.Now,
		Logger: slog.New(slog.DiscardHandler),
	}
}

// Handle parses line and runs it as u. A refusal is returned as an error
// whose touchbase.ErrorMessage says what was wrong and how to write it; a
// name that matches several records is not an error but a Reply with Choices.
func (h *Handler) Handle(ctx context.Context, u User, line string) (*Reply, error) {
	cmd, err := ParseCommand(line)
	if err != nil {
		return nil, err
	}
	return h.Run(ctx, u, cmd)
}

// HandleOnce is Handle for a delivery that may arrive more than once (a
// Slack event retried, a button pressed twice): key names the delivery, and
// a command whose key was applied before changes nothing and returns
// ErrAlreadyApplied. Commands that only read run every time.
func (h *Handler) HandleOnce(ctx context.Context, u User, line, key string) (*Reply, error) {
	cmd, err := ParseCommand(line)
	if err != nil {
		return nil, err
	}
	return h.run(ctx, u, cmd, key)
}

// Run runs a parsed command as u.
func (h *Handler) Run(ctx context.Context, u User, cmd *Command) (*Reply, error) {
	return h.run(ctx, u, cmd, "")
}

// run runs cmd and logs and observes how it went: "ok", "choices",
// "duplicate", the refusal's code, or "panic" when it did not return (the
// platform recovers and answers).
func (h *Handler) run(ctx context.Context, u User, cmd *Command, key string) (*Reply, error) {
	start := time.Now()
	outcome := "panic"
	defer func() {
		took := time.Since(start)
		h.logCommand(ctx, u, cmd, outcome, took)
		if h.Observe != nil {
			h.Observe(cmd.Verb, outcome, took)
		}
	}()
	reply, err := h.dispatch(ctx, u, cmd, key)
	switch {
	case err == ErrAlreadyApplied:
		outcome = "duplicate"
	case err != nil:
		outcome = touchbase.ErrorCode(err)
	case reply != nil && len(reply.Choices) > 0:
		outcome = "choices"
	default:
		outcome = "ok"
	}
	return reply, err
}

// dispatch runs cmd by its verb.
func (h *Handler) dispatch(ctx context.Context, u User, cmd *Command, key string) (reply *Reply, err error) {
	if u.ID == "" {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Unknown user: every command needs the id of the rep who sends it.")
	}
	c := &call{h: h, ctx: ctx, user: u, cmd: cmd, key: key, id: key}
	if c.id == "" {
		c.id = newID()
	}
	c.now = h.Now()
	c.loc = h.location(ctx, u.TimeZone)
	c.today = touchbase.DateOf(c.now.In(c.loc))
	switch cmd.Verb {
	case "lead":
		reply, err = c.lead()
	case "log":
		reply, err = c.log()
	case "qualify":
		reply, err = c.qualify()
	case "convert":
		reply, err = c.convert()
	case "deal":
		reply, err = c.deal()
	case "stage":
		reply, err = c.stage()
	case "renewal":
		reply, err = c.renewal()
	case "upsell":
		reply, err = c.upsell()
	case "followups":
		reply, err = c.followups()
	case "digest":
		reply, err = c.digest()
	case "pipeline":
		reply, err = c.pipeline()
	case "snooze":
		reply, err = c.snooze()
	case "nurture":
		reply, err = c.nurture()
	case "disqualify":
		reply, err = c.disqualify()
	case "team":
		reply, err = c.team()
	case "help":
		reply, err = help(cmd.Args), nil
	default:
		err = touchbase.Errorf(touchbase.EINTERNAL, "verb %q has no handler", cmd.Verb)
	}
	var amb *ambiguousError
	if errors.As(err, &amb) {
		reply, err = amb.reply(), nil
	}
	if err == nil && !c.registered {
		// A command that only read registers its caller after it ran, so
		// that a refused one changes nothing.
		err = c.register()
	}
	if err != nil {
		return nil, err
	}
	return reply, nil
}

// logCommand writes the command's line: at info, what an operator needs
// (verb, outcome, duration, who) and never what was typed, which holds
// customers' names and reps' notes; the text itself only at debug.
func (h *Handler) logCommand(ctx context.Context, u User, cmd *Command, outcome string, took time.Duration) {
	h.Logger.LogAttrs(ctx, slog.LevelInfo, "command", slog.String("verb", cmd.Verb), slog.String("outcome", outcome),
		slog.Duration("took", took), slog.String("user", u.ID))
	if h.Logger.Enabled(ctx, slog.LevelDebug) {
		h.Logger.LogAttrs(ctx, slog.LevelDebug, "command text", slog.String("verb", cmd.Verb), slog.String("text", cmd.String()))
	}
}

func (h *Handler) location(ctx context.Context, name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if l, ok := h.zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		h.Logger.WarnContext(ctx, "unknown time zone, using UTC", slog.String("zone", name))
		l = time.UTC
	}
	h.zones.Store(name, l)
	return l
}

// call is one command being run: who, when, and what.
type call struct {
	h    *Handler
	ctx  context.Context
	user User
	cmd  *Command
	// key names the delivery for HandleOnce ("" when it cannot repeat);
	// id names this run, for the keys of the messages it enqueues.
	key, id string
	now     time.Time
	loc     *time.Location
	today   touchbase.Date
	// registered is set once the caller's rep record is known current.
	registered bool
	// nameKeys are the NameKeys of the names the command searched for,
	// in nameKeyBuf unless more than the longNameWords of one name.
	nameKeys   []queryKey
	nameKeyBuf [longNameWords]queryKey
}

func (c *call) cfg() *touchbase.Config { return c.h.Config }

// update runs fn in one write transaction: all of it is applied, or none.
// The caller is registered in the same transaction, so a refused command
// leaves no trace of them either. With a delivery key, the key is claimed
// in it too, so the change is applied once however often the delivery
// arrives.
func (c *call) update(fn func(tx touchbase.Tx) error) error {
	err := c.h.DB.Update(c.ctx, func(tx touchbase.Tx) error {
		if c.key != "" {
			fresh, err := tx.Claim(c.key, c.now.UTC())
			if err != nil {
				return err
			} else if !fresh {
				return ErrAlreadyApplied
			}
		}
		if err := c.registerIn(tx); err != nil {
			return err
		}
		return fn(tx)
	})
	if err == nil {
		c.registered = true
	}
	return err
}

func (c *call) view(fn func(tx touchbase.Tx) error) error { return c.h.DB.View(c.ctx, fn) }

// register records the caller as a rep on their first command, and keeps
// their name and time zone current, in a transaction of its own: for the
// commands that only read. It writes only when something changed.
func (c *call) register() error {
	var r *touchbase.Rep
	if err := c.view(func(tx touchbase.Tx) (err error) { r, err = c.staleRep(tx); return err }); err != nil || r == nil {
		return err
	}
	return c.h.DB.Update(c.ctx, c.registerIn)
}

// registerIn registers the caller in tx, when their record is missing or
// out of date.
func (c *call) registerIn(tx touchbase.Tx) error {
	r, err := c.staleRep(tx)
	if err != nil || r == nil {
		return err
	}
	return tx.PutRep(r)
}

// staleRep returns the caller's rep record as it should be, or nil when
// the stored one is current.
func (c *call) staleRep(tx touchbase.Tx) (*touchbase.Rep, error) {
	r, err := tx.Rep(c.user.ID)
	if touchbase.ErrorCode(err) == touchbase.ENOTFOUND {
		return &touchbase.Rep{ID: c.user.ID, Name: c.user.Name, TimeZone: c.user.TimeZone, CreatedAt: c.now.UTC()}, nil
	} else if err != nil {
		return nil, err
	}
	if (c.user.Name == "" || r.Name == c.user.Name) && (c.user.TimeZone == "" || r.TimeZone == c.user.TimeZone) {
		return nil, nil
	}
	r.Name, r.TimeZone = cmp.Or(c.user.Name, r.Name), cmp.Or(c.user.TimeZone, r.TimeZone)
	return r, nil
}

// repName returns how a rep is named in answers.
func repName(tx touchbase.Tx, id string) string {
	if id == "" {
		return "nobody"
	}
	if r, err := tx.Rep(id); err == nil && r.Name != "" {
		return "@" + r.Name
	}
	return "@" + id
}

// maxName is the longest name a command takes, in characters: of a lead, a
// company or an account, an opportunity, a campaign, a team or a rep. No
// real name comes near it; a longer one is a paste gone wrong, and the
// store's name index has no room for it.
const maxName = 200

// checkName refuses a name longer than maxName. what names it as the rep
// wrote it ("company:", "The lead's name"), and example shows a command
// with a name of the usual length.
func checkName(what, name, example string) error {
	if n := utf8.RuneCountInString(name); n > maxName {
		return touchbase.Errorf(touchbase.EINVALID, "%s is %s characters long; a name has at most %d. Shorten it, as in %s", what, thousands(n), maxName, example)
	}
	return nil
}

// findRep resolves "@name", "<@U123|name>" or "U123" to a registered rep.
func findRep(tx touchbase.Tx, s string) (*touchbase.Rep, error) {
	id := repID(s)
	if id == "" || utf8.RuneCountInString(id) > maxName {
		return nil, touchbase.Errorf(touchbase.EINVALID, "%s is not a rep: write them as @name, as in /tb team add \"IS Tokyo\" @sato", quoteWord(s))
	}
	if r, err := tx.Rep(id); err == nil {
		return r, nil
	} else if touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
		return nil, err
	}
	reps, err := tx.Reps()
	if err != nil {
		return nil, err
	}
	key := touchbase.Fold(id)
	for _, r := range reps {
		if touchbase.Fold(r.Name) == key || touchbase.Fold(r.ID) == key {
			return r, nil
		}
	}
	return nil, touchbase.Errorf(touchbase.ENOTFOUND, "There is no rep @%s yet. Reps join when they first use touchbase, or when a manager adds them: /tb team add \"TEAM\" @%s", id, id)
}

// calendar returns the business calendar of rep: their team's, or their
// zone's, plus the configured holidays.
func (c *call) calendar(tx touchbase.Tx, rep string) (touchbase.Calendar, *time.Location) {
	zone := ""
	if rep == c.user.ID && c.user.TimeZone != "" {
		zone = c.user.TimeZone // the caller's own, as the platform knows it now
	} else if r, err := tx.Rep(rep); err == nil {
		zone = r.TimeZone
	}
	teams, _ := tx.Teams()
	return touchbase.CalendarFor(zone, touchbase.TeamOf(teams, rep), c.cfg().Calendar.Holidays), c.h.location(c.ctx, zone)
}

// repOpt returns the rep named by option key (to:, owner:), or def when
// the option is absent.
func (c *call) repOpt(tx touchbase.Tx, key, def string) (string, error) {
	v, ok := c.cmd.Opts[key]
	if !ok {
		return def, nil
	}
	r, err := findRep(tx, v)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// repID extracts the id from "@name", "<@U123|name>" or "<@U123>".
func repID(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<@") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<@"), ">")
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[:i]
		}
		return s
	}
	return strings.TrimPrefix(strings.TrimPrefix(s, "@"), "＠")
}

func isRepMention(s string) bool {
	return strings.HasPrefix(s, "@") || strings.HasPrefix(s, "＠") || strings.HasPrefix(s, "<@")
}

// authorize allows the owner and the managers of a team the owner belongs to.
func (c *call) authorize(tx touchbase.Tx, owner, label string) error {
	if owner == c.user.ID || owner == "" {
		return nil
	}
	teams, err := tx.Teams()
	if err != nil {
		return err
	}
	for _, t := range teams {
		if t.IsManager(c.user.ID) && t.HasMember(owner) {
			return nil
		}
	}
	return touchbase.Errorf(touchbase.EFORBIDDEN, "%s is owned by %s. Only the owner or a manager of their team can change it; ask them, or ask a manager to hand it over.", label, repName(tx, owner))
}

// parseAmount reads an amount option with the configured currency as default.
func (c *call) parseAmount(s string) (touchbase.Money, error) {
	return touchbase.ParseAmount(s, c.cfg().Currency)
}

// dateOpt parses an optional date option.
func (c *call) dateOpt(key string) (touchbase.Date, error) {
	v, ok := c.cmd.Opt(key)
	if !ok {
		return touchbase.Date{}, nil
	}
	d, err := touchbase.ParseDate(v, c.today)
	return d, optErr(key, err)
}

// optErr prefixes a refusal with the option it is about.
func optErr(key string, err error) error {
	if err == nil || touchbase.ErrorCode(err) == touchbase.EINTERNAL {
		return err
	}
	return touchbase.Errorf(touchbase.ErrorCode(err), "%s: %s", key, touchbase.ErrorMessage(err))
}

// String formats a command back into one line that ParseCommand reads the
// same way, for choices and buttons.
func (c *Command) String() string {
	var b strings.Builder
	b.WriteString(c.Verb)
	for _, a := range c.Args {
		b.WriteByte(' ')
		b.WriteString(quoteArg(a))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Opts)) {
		b.WriteString(" " + k + ":" + quoteArg(c.Opts[k]))
	}
	return b.String()
}

// quoteArg quotes s when it would not survive as one word, with a quote
// character that s does not contain.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == ':' || r == '：' || closers[r] != 0 || r == '」' || r == '』'
	}) {
		return s
	}
	for _, q := range [][2]string{{`"`, `"`}, {"「", "」"}, {"『", "』"}, {"“", "”"}} {
		// “ also closes at a straight quote (phones mix them).
		if !strings.Contains(s, q[0]) && !strings.Contains(s, q[1]) && (q[0] != "“" || !strings.Contains(s, `"`)) {
			return q[0] + s + q[1]
		}
	}
	return `"` + strings.ReplaceAll(s, `"`, "'") + `"`
}

// plural returns "1 lead" or "3 leads".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "ty") {
		return strconv.Itoa(n) + " " + strings.TrimSuffix(word, "y") + "ies"
	}
	if strings.HasSuffix(word, "ch") || strings.HasSuffix(word, "s") {
		return strconv.Itoa(n) + " " + word + "es"
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// formatDate names a day the way a rep reads it: "Fri 2026-11-27".
func formatDate(d touchbase.Date) string {
	if d.IsZero() {
		return "none"
	}
	return d.Weekday().String()[:3] + " " + d.String()
}
