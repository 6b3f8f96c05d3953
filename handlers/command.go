package handlers

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/touchbase/touchbase"
)

// Command is one parsed line of the command language, shared by every chat
// platform: "/log call Acme asked for pricing next:fri", "tb stage Acme 4",
// or the same without the slash in a direct message.
type Command struct {
	Verb string            // canonical verb: lead, log, qualify, ...
	Args []string          // positional words, quotes removed
	Opts map[string]string // key:value options under their canonical key
	// Raw is the line as typed, for logs and help.
	Raw string
}

// Opt returns the option key and whether it was given.
func (c *Command) Opt(key string) (string, bool) {
	v, ok := c.Opts[key]
	return v, ok
}

// verbSpec describes a verb: its aliases, its options (canonical key first,
// then aliases), and its help.
type verbSpec struct {
	Verb     string
	Aliases  []string
	Opts     [][]string
	Usage    string
	Summary  string
	Examples []string
	// Sub marks verbs that are reached as /tb VERB only, not as slash
	// commands of their own.
	Sub bool
}

var verbs = []verbSpec{
	{
		Verb: "lead", Aliases: []string{"leads", "リード"},
		Opts:    [][]string{{"company", "co", "会社"}, {"email", "mail"}, {"title", "役職"}, {"phone", "tel", "電話"}, {"source", "src", "campaign"}, {"owner", "to"}},
		Usage:   `/lead NAME company:COMPANY [email:ADDRESS] [title:TITLE] [phone:NUMBER] [source:CAMPAIGN] [owner:@rep]`,
		Summary: "Add a lead owned by you (or owner:). Warns when one with the same email, or the same name at the same company, exists.",
		Examples: []string{`/lead "Taro Yamada" company:"Acme KK" email:taro@acme.co.jp title:CIO source:"Nov webinar"`,
			`/lead "Hanako Sato" company:"Beta Inc." phone:03-1234-5678`},
	},
	{
		Verb: "log", Aliases: []string{"touch", "記録"},
		Opts:    [][]string{{"next", "followup", "次回"}, {"step", "nextstep"}},
		Usage:   `/log call|email|meeting|note|demo|proposal NAME [what happened] [next:DATE] [step:"next step"]`,
		Summary: "Log a touch on the lead or opportunity that best matches NAME. Answers with touch N of 5 and the next follow-up date, from next: or the cadence.",
		Examples: []string{`/log call Acme "asked for pricing, sending quote" next:fri`,
			`/log meeting "Beta Inc" demo went well, legal review next next mon`,
			`/log email Acme sent the proposal step:"call about the proposal" next:+3d`},
	},
	{
		Verb: "qualify", Aliases: []string{"bant", "q"},
		Opts:    [][]string{{"b", "budget"}, {"a", "authority"}, {"n", "need"}, {"t", "timeline"}},
		Usage:   `/qualify NAME [b:yes|no|unknown|AMOUNT] [a:yes|no|NAME] [n:yes|no|TEXT] [t:yes|no|DATE]`,
		Summary: "Record BANT (Budget, Authority, Need, Timeline). A lead with 2 of 4 yes is qualified and can be converted. Without answers, asks the four questions.",
		Examples: []string{`/qualify Acme b:yes a:no n:yes t:2027-03`,
			`/qualify Acme b:5m a:"Sato, CIO" n:"replace the old ERP" t:unknown`,
			`/qualify Acme`},
	},
	{
		Verb: "convert", Aliases: []string{"conv"},
		Opts:    [][]string{{"amount", "amt", "金額"}, {"close", "closes", "date"}, {"to", "owner"}, {"name", "deal"}},
		Usage:   `/convert NAME [amount:AMOUNT] [close:DATE] [to:@rep] [name:"opportunity name"]`,
		Summary: "Turn a qualified lead into an account, a contact and an opportunity at stage 1, owned by you or handed to to:.",
		Examples: []string{`/convert Acme amount:5,000,000 close:2027-03-31 to:@ae`,
			`/convert "Taro Yamada" amount:500万 close:2027-03`},
	},
	{
		Verb: "deal", Aliases: []string{"opportunity", "opp", "案件"},
		Opts:    [][]string{{"amount", "amt", "金額"}, {"close", "closes", "date"}, {"owner", "to"}},
		Usage:   `/deal ACCOUNT ["opportunity name"] [amount:AMOUNT] [close:DATE]`,
		Summary: "Create an opportunity directly (the account is created if it is new).",
		Examples: []string{`/deal Acme "ERP rollout" amount:500万 close:2027-03`,
			`/deal "Gamma Corp" "Support plan" amount:$120k close:+2m`},
	},
	{
		Verb: "stage", Aliases: []string{"move", "ステージ"},
		Opts:    [][]string{{"reason", "why", "理由"}, {"amount", "amt", "金額"}, {"close", "closes", "date"}, {"to", "owner"}, {"arr"}, {"term"}},
		Usage:   `/stage NAME next|prev|N|STAGE-NAME|won|lost|back [reason:"..."] [amount:AMOUNT] [close:DATE] [arr:AMOUNT term:12m]`,
		Summary: "Move an opportunity through the stages, checking each stage's gates. lost and back need a reason; back sends it to Inside Sales. won hands the account to Customer Success and starts a contract (arr: defaults to the amount, term: to 12 months) whose renewal is tracked.",
		Examples: []string{`/stage Acme next`, `/stage Acme 4`, `/stage Acme won amount:5m`, `/stage Acme won arr:5m term:24m`,
			`/stage Acme lost reason:"budget cut"`, `/stage Acme back reason:"no budget"`},
	},
	{
		Verb: "renewal", Aliases: []string{"renew", "更新"},
		Opts:     [][]string{{"amount", "amt", "arr", "金額"}, {"reason", "why", "理由"}, {"term"}},
		Usage:    `/renewal ACCOUNT renewed [amount:ARR] [term:12m] | churned reason:"..."`,
		Summary:  "Record a customer's renewal: renewed starts the next term (same ARR unless amount: says otherwise), churned needs the reason. Feeds the renewal rate.",
		Examples: []string{`/renewal Acme renewed amount:6m`, `/renewal Acme churned reason:"moved to a competitor"`},
	},
	{
		Verb: "upsell", Aliases: []string{"crosssell", "cross-sell", "アップセル"},
		Opts:     [][]string{{"amount", "amt", "金額"}, {"close", "closes", "date"}, {"owner", "to"}},
		Usage:    `/upsell ACCOUNT [cross] "opportunity name" [amount:AMOUNT] [close:DATE]`,
		Summary:  "An upsell (or, with cross, a cross-sell) opportunity on an existing customer, owned by you.",
		Examples: []string{`/upsell Acme "Analytics add-on" amount:1.2m`, `/upsell Acme cross "Support plan" amount:300k`},
	},
	{
		Verb: "followups", Aliases: []string{"followup", "fu", "due", "todo"},
		Usage:    `/followups [today|week] [@rep]`,
		Summary:  "What is due today (or this week), overdue first.",
		Examples: []string{`/followups`, `/followups week`, `/followups @rep`},
	},
	{
		Verb: "pipeline", Aliases: []string{"pipe", "pl"},
		Usage:    `/pipeline [all|@rep|#team]`,
		Summary:  "Open opportunities by stage: count, amount, weighted amount, and stalled deals. Yours unless you name a rep, a team or all.",
		Examples: []string{`/pipeline`, `/pipeline @rep`, `/pipeline #is-tokyo`, `/pipeline all`},
	},
	{
		Verb: "digest", Aliases: []string{"kpi", "report"},
		Usage:    `/digest [#team]`,
		Summary:  "The weekly digest now, only to you: every function's figures with the week-over-week change, and the bottleneck.",
		Examples: []string{`/digest`, `/digest #is-tokyo`},
	},
	{
		Verb: "snooze", Sub: true, Aliases: []string{"later"},
		Usage:    `/tb snooze NAME [DATE]`,
		Summary:  "Move a follow-up to a later day (tomorrow when no date is given).",
		Examples: []string{`/tb snooze Acme +3d`, `/tb snooze Acme next mon`},
	},
	{
		Verb: "nurture", Sub: true, Aliases: []string{"recycle"},
		Opts:     [][]string{{"until", "on"}, {"reason", "why", "理由"}},
		Usage:    `/tb nurture NAME [until:DATE] [reason:"..."]`,
		Summary:  "Not a buyer now: park the lead; it comes back as a follow-up on its recycle date (90 days by default).",
		Examples: []string{`/tb nurture Acme`, `/tb nurture Acme until:2027-04 reason:"budget next fiscal year"`},
	},
	{
		Verb: "disqualify", Sub: true, Aliases: []string{"dq"},
		Opts:     [][]string{{"reason", "why", "理由"}},
		Usage:    `/tb disqualify NAME reason:"..."`,
		Summary:  "Close a lead that will not buy, with the reason.",
		Examples: []string{`/tb disqualify Acme reason:"student, not a buyer"`},
	},
	{
		Verb: "team", Sub: true, Aliases: []string{"teams"},
		Opts:    [][]string{{"tz", "timezone"}},
		Usage:   `/tb team create NAME FUNCTION [#channel] [tz:ZONE] | add NAME @rep... | remove NAME @rep... | manager NAME @rep... | holiday NAME DATE...|none | list`,
		Summary: "Set up teams: FUNCTION is marketing, inside_sales, field_sales or customer_success. Once a manager exists, only managers change teams.",
		Examples: []string{`/tb team create "IS Tokyo" inside_sales #is-tokyo tz:Asia/Tokyo`,
			`/tb team add "IS Tokyo" @rep`, `/tb team manager "IS Tokyo" @boss`, `/tb team list`},
	},
	{
		Verb: "help", Sub: true, Aliases: []string{"?", "h", "ヘルプ"},
		Usage:    `/tb help [VERB]`,
		Summary:  "What each command does, with examples.",
		Examples: []string{`/tb help`, `/tb help log`},
	},
}

// rootVerbs are the names of the root command under which every verb is
// reachable, for workspaces where a short slash command is taken.
var rootVerbs = []string{"tb", "touchbase"}

func findVerb(word string) *verbSpec {
	w := touchbase.Fold(word)
	for i := range verbs {
		if verbs[i].Verb == w || slices.Contains(verbs[i].Aliases, w) {
			return &verbs[i]
		}
	}
	return nil
}

// maxLine is the longest command touchbase reads, in characters: far more
// than a rep types or a form sends (a note of 3,000 characters fits three
// times), and short of what would clog an answer or the store.
const maxLine = 10000

// ParseCommand parses one line: "/verb args", "/tb verb args" or "verb args".
// It returns an EINVALID error that says what was wrong and how to write it.
func ParseCommand(line string) (*Command, error) {
	if err := checkLine(line); err != nil {
		return nil, err
	}
	toks, err := tokenize(line)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Empty command. Try /tb help.")
	}
	first := strings.TrimPrefix(toks[0].text, "/")
	if !toks[0].quoted && slices.Contains(rootVerbs, touchbase.Fold(first)) {
		toks = toks[1:]
		if len(toks) == 0 {
			return &Command{Verb: "help", Opts: map[string]string{}, Raw: line}, nil
		}
		first = strings.TrimPrefix(toks[0].text, "/")
	}
	spec := findVerb(first)
	if spec == nil || toks[0].quoted {
		msg := "Unknown command " + quoteWord(first) + "."
		if near := nearestVerb(first); near != nil {
			msg += " Did you mean " + near.slash() + "? See /tb help " + near.Verb + "."
		} else {
			msg += " The commands are " + verbList() + "; see /tb help."
		}
		return nil, touchbase.Errorf(touchbase.EINVALID, "%s", msg)
	}
	cmd := &Command{Verb: spec.Verb, Opts: map[string]string{}, Raw: line}
	for i, t := range toks[1:] {
		key, val, isOpt := splitOpt(t)
		if !isOpt {
			if cmd.Args == nil {
				// Room for the words left, once: most of them are arguments.
				cmd.Args = make([]string, 0, len(toks)-1-i)
			}
			cmd.Args = append(cmd.Args, t.text)
			continue
		}
		canon, known := spec.optKey(key)
		if !known {
			// Text such as "10:30" or "http://..." is not an option; a word
			// that is nearly a known key is a typo worth pointing out.
			if near := spec.nearestOpt(key); near != "" {
				return nil, touchbase.Errorf(touchbase.EINVALID, "Unknown option %s: for /%s. Did you mean %s:? Usage: %s", key, spec.Verb, near, spec.Usage)
			}
			cmd.Args = append(cmd.Args, t.text)
			continue
		}
		if _, dup := cmd.Opts[canon]; dup {
			return nil, touchbase.Errorf(touchbase.EINVALID, "%s: is given twice. Give each option once, e.g. %s", canon, spec.Examples[0])
		}
		cmd.Opts[canon] = val
	}
	return cmd, nil
}

// checkLine refuses what no command holds: bytes that are not UTF-8, a line
// too long to be typed, and control characters (a terminal's escape codes, a
// NUL), which would be kept in records and replayed to every screen that
// shows them. Tabs and line breaks are spaces to the command language.
func checkLine(line string) error {
	if !utf8.ValidString(line) {
		return touchbase.Errorf(touchbase.EINVALID, "The command has bytes that are not text (UTF-8). Type it again.")
	}
	if n := utf8.RuneCountInString(line); n > maxLine {
		return touchbase.Errorf(touchbase.EINVALID, "The command is %s characters long; the most is %s. Keep a long text elsewhere and log where it is, e.g. /log note Acme \"proposal sent, see the shared folder\"",
			thousands(n), thousands(maxLine))
	}
	if i := strings.IndexFunc(line, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(line[i:])
		where := "at its start"
		if before := []rune(line[:i]); len(before) > 30 {
			where = `after "…` + string(before[len(before)-30:]) + `"`
		} else if len(before) > 0 {
			where = `after "` + string(before) + `"`
		}
		return touchbase.Errorf(touchbase.EINVALID, "The command has a control character (U+%04X) %s, which touchbase does not keep. Type it again without it, e.g. /log call Acme \"asked for pricing\"",
			r, where)
	}
	return nil
}

// thousands writes n with thousands separators: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (s *verbSpec) optKey(key string) (string, bool) {
	k := touchbase.Fold(key)
	for _, names := range s.Opts {
		if slices.Contains(names, k) {
			return names[0], true
		}
	}
	return "", false
}

func (s *verbSpec) nearestOpt(key string) string {
	k := touchbase.Fold(key)
	best, bestD := "", 3
	for _, names := range s.Opts {
		for _, n := range names {
			if len(n) < 3 {
				continue // one-letter keys are too close to everything
			}
			if d := EditDistance(k, n); d < bestD {
				best, bestD = names[0], d
			}
		}
	}
	return best
}

// nearestVerb returns the verb a mistyped word most likely meant, or nil
// when none is close: at most two edits, and fewer edits than the word has
// letters (so "7" suggests nothing).
func nearestVerb(word string) *verbSpec {
	w := touchbase.Fold(word)
	var best *verbSpec
	bestD := min(3, utf8.RuneCountInString(w))
	for i := range verbs {
		for _, n := range append([]string{verbs[i].Verb}, verbs[i].Aliases...) {
			if utf8.RuneCountInString(n) < 2 {
				continue
			}
			d := EditDistance(w, n)
			if strings.HasPrefix(n, w) && len(w) >= 2 {
				d = 1
			}
			if d < bestD {
				best, bestD = &verbs[i], d
			}
		}
	}
	return best
}

func verbList() string {
	names := make([]string, 0, len(verbs))
	for _, v := range verbs {
		names = append(names, v.slash())
	}
	return strings.Join(names, ", ")
}

// slash is how the verb is typed in chat: /log, or /tb snooze.
func (s *verbSpec) slash() string {
	if s.Sub {
		return "/tb " + s.Verb
	}
	return "/" + s.Verb
}

// EditDistance is the Levenshtein distance between a and b, in runes: how
// far a typo is from a word touchbase knows, for "did you mean" answers.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

type token struct {
	text   string
	quoted bool // the whole token was one quoted string
	colon  int  // byte index of the first unquoted ':' in text, or -1
}

// closers maps each opening quote to its closing one. Straight double
// quotes, typographic quotes (phones insert them) and Japanese brackets.
var closers = map[rune]rune{'"': '"', '“': '”', '”': '”', '「': '」', '『': '』', '＂': '＂'}

// tokenize splits a line into words, keeping quoted strings whole (also
// after a key: as in company:"Acme KK").
func tokenize(line string) ([]token, error) {
	var toks []token
	var b strings.Builder
	cur := token{colon: -1}
	inTok := false
	flush := func() {
		if inTok {
			cur.text = b.String()
			toks = append(toks, cur)
		}
		b.Reset()
		cur = token{colon: -1}
		inTok = false
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			flush()
		case closers[r] != 0:
			end := closers[r]
			j := i + 1
			for j < len(rs) && rs[j] != end && !(r == '“' && rs[j] == '"') {
				j++
			}
			if j == len(rs) {
				return nil, touchbase.Errorf(touchbase.EINVALID, "A quote is not closed: %s. Put the closing %c after the words it groups, as in company:\"Acme KK\".", quoteWord(string(rs[i:])), end)
			}
			if !inTok {
				cur.quoted = true
			}
			inTok = true
			b.WriteString(string(rs[i+1 : j]))
			i = j
			// A quoted string followed directly by more text is one token.
			if i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
				cur.quoted = false
			}
		default:
			if (r == ':' || r == '：') && cur.colon < 0 && !cur.quoted {
				cur.colon = b.Len()
				r = ':'
			}
			inTok = true
			b.WriteRune(r)
		}
	}
	flush()
	return toks, nil
}

// splitOpt splits key:value. Only a word of letters before the colon makes
// an option, so times and URLs in notes stay text.
func splitOpt(t token) (key, val string, ok bool) {
	if t.colon <= 0 || t.quoted {
		return "", "", false
	}
	key, val = t.text[:t.colon], t.text[t.colon+1:]
	for _, r := range key {
		if !unicode.IsLetter(r) {
			return "", "", false
		}
	}
	if strings.HasPrefix(val, "//") {
		return "", "", false
	}
	return key, val, true
}

// quoteWord quotes s for a message, cut after 40 characters so that a
// long paste is not echoed back whole.
func quoteWord(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return `"` + s + `"`
}
