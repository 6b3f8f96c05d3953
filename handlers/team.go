package handlers

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/touchbase/touchbase"
)

// teamSubs are the sub-commands of /tb team, each its name first, then the
// other words that reach it.
var teamSubs = [][]string{
	{"list"},
	{"create", "new", "add-team"},
	{"add", "join"},
	{"remove", "rm"},
	{"manager", "managers", "lead"},
	{"holiday", "holidays"},
}

// teamSub returns the name of the sub-command word reaches, or an EINVALID
// error that suggests the nearest one.
func teamSub(word string) (string, error) {
	w := touchbase.Fold(word)
	best, bestD := "", min(3, len([]rune(w)))
	for _, names := range teamSubs {
		for _, n := range names {
			if n == w {
				return names[0], nil
			}
			if d := EditDistance(w, n); d < bestD {
				best, bestD = names[0], d
			}
		}
	}
	msg := quoteWord(word) + " is not a team command."
	if best != "" {
		msg += " Did you mean /tb team " + best + "?"
	}
	return "", touchbase.Errorf(touchbase.EINVALID, "%s %s", msg, verbSpecOf("team").Usage)
}

// team sets up teams: create, add, remove, manager, holiday, list.
func (c *call) team() (*Reply, error) {
	args := c.cmd.Args
	sub := "list"
	if len(args) > 0 {
		var err error
		if sub, err = teamSub(args[0]); err != nil {
			return nil, err
		}
		args = args[1:]
	}
	usage := verbSpecOf("team").Usage
	if sub == "list" {
		if len(args) > 0 {
			return nil, touchbase.Errorf(touchbase.EINVALID, "/tb team list lists every team and takes no name: unexpected %s. Try: /tb team list", quoteWord(strings.Join(args, " ")))
		}
		return c.teamList()
	}
	if len(args) == 0 {
		return nil, touchbase.Errorf(touchbase.EINVALID, "Which team? %s", usage)
	}
	name := args[0]
	args = args[1:]
	reply := &Reply{}
	err := c.update(func(tx touchbase.Tx) error {
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		// Anyone may set teams up until a manager exists; from then on only
		// managers may change them.
		anyManager, isManager := false, false
		for _, t := range teams {
			anyManager = anyManager || len(t.Managers) > 0
			isManager = isManager || t.IsManager(c.user.ID)
		}
		if anyManager && !isManager {
			return touchbase.Errorf(touchbase.EFORBIDDEN, "Only managers can change teams. Ask one of them: /tb team list shows who they are.")
		}
		switch sub {
		case "create":
			return c.teamCreate(tx, name, args, reply)
		case "holiday":
			return c.teamHolidays(tx, name, args, reply)
		}
		t, err := findTeam(tx, name)
		if err != nil {
			return err
		}
		if len(args) == 0 {
			return touchbase.Errorf(touchbase.EINVALID, "Name the reps as @name: /tb team %s %q @rep", sub, t.Name)
		}
		var names []string
		for _, a := range args {
			if !isRepMention(a) {
				return touchbase.Errorf(touchbase.EINVALID, "%q is not a rep: write reps as @name, as in /tb team %s %q @rep", a, sub, t.Name)
			}
			r, err := c.repOrNew(tx, a)
			if err != nil {
				return err
			}
			names = append(names, repName(tx, r.ID))
			switch sub {
			case "add":
				if !slices.Contains(t.Members, r.ID) {
					t.Members = append(t.Members, r.ID)
				}
			case "remove":
				t.Members = slices.DeleteFunc(t.Members, func(id string) bool { return id == r.ID })
				t.Managers = slices.DeleteFunc(t.Managers, func(id string) bool { return id == r.ID })
			default:
				if !slices.Contains(t.Managers, r.ID) {
					t.Managers = append(t.Managers, r.ID)
				}
			}
		}
		if err := tx.PutTeam(t); err != nil {
			return err
		}
		verb := map[string]string{"add": "added to", "remove": "removed from", "manager": "now manage"}[sub]
		reply.Title = fmt.Sprintf("%s %s %s.", strings.Join(names, ", "), verb, t.Name)
		reply.Fields = teamFields(tx, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}

func (c *call) teamCreate(tx touchbase.Tx, name string, args []string, reply *Reply) error {
	if strings.TrimSpace(name) == "" {
		return touchbase.Errorf(touchbase.EINVALID, "The team needs a name: %s", verbSpecOf("team").Examples[0])
	}
	if err := checkName("The team's name", name, verbSpecOf("team").Examples[0]); err != nil {
		return err
	}
	if len(args) == 0 {
		return touchbase.Errorf(touchbase.EINVALID, "Which function? marketing, inside_sales, field_sales or customer_success: %s", verbSpecOf("team").Examples[0])
	}
	fn := touchbase.Function(strings.ReplaceAll(touchbase.Fold(args[0]), "-", "_"))
	if !fn.Valid() {
		return touchbase.Errorf(touchbase.EINVALID, "%q is not a function: write marketing, inside_sales, field_sales or customer_success.", args[0])
	}
	t := &touchbase.Team{Name: name, Function: fn, CreatedAt: c.now.UTC(), Members: []string{}, Managers: []string{}}
	for _, a := range args[1:] {
		switch {
		case touchbase.Fold(a) == "here" && c.user.Channel != "":
			t.Channel = c.user.Channel
		case strings.HasPrefix(a, "#") || strings.HasPrefix(a, "<#"):
			t.Channel = a
		default:
			return touchbase.Errorf(touchbase.EINVALID, "%q: after the function comes the team's channel, or here for this channel, as in %s", a, verbSpecOf("team").Examples[0])
		}
	}
	if tz, ok := c.cmd.Opts["tz"]; ok {
		// "Local" is whatever zone the server runs in, not a team's.
		if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
			return touchbase.Errorf(touchbase.EINVALID, "tz: %q is not a time zone: try tz:Asia/Tokyo or tz:America/New_York.", tz)
		}
		t.TimeZone = tz
	}
	if _, err := tx.Team(name); err == nil {
		return touchbase.Errorf(touchbase.ECONFLICT, "A team named %q exists already: /tb team list.", name)
	} else if touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
		return err
	}
	if err := tx.PutTeam(t); err != nil {
		return err
	}
	reply.Title = fmt.Sprintf("Created team %s (%s).", t.Name, t.Function)
	reply.Lines = []string{fmt.Sprintf("Add reps: /tb team add %s @rep — and a manager: /tb team manager %s @boss", quoteArg(t.Name), quoteArg(t.Name))}
	return nil
}

// teamHolidays adds the team's own days off (no reminders, no cadence
// days), or clears them with "none".
func (c *call) teamHolidays(tx touchbase.Tx, name string, args []string, reply *Reply) error {
	t, err := findTeam(tx, name)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return touchbase.Errorf(touchbase.EINVALID, "Which days? /tb team holiday %s 2026-12-28 2027-01-04, or none to clear them.", quoteArg(t.Name))
	}
	if len(args) == 1 && touchbase.Fold(args[0]) == "none" {
		t.Holidays = nil
	} else {
		for _, a := range args {
			d, err := touchbase.ParseDate(a, c.today)
			if err != nil {
				return err
			}
			if !slices.Contains(t.Holidays, d) {
				t.Holidays = append(t.Holidays, d)
			}
		}
		slices.SortFunc(t.Holidays, touchbase.Date.Compare)
	}
	if err := tx.PutTeam(t); err != nil {
		return err
	}
	days := make([]string, len(t.Holidays))
	for i, d := range t.Holidays {
		days[i] = d.String()
	}
	reply.Title = fmt.Sprintf("%s's own holidays: %s.", t.Name, cmp.Or(strings.Join(days, ", "), "none"))
	reply.Lines = []string{"Public holidays come from the team's time zone (Japan's for Asia/Tokyo); these are added to them."}
	return nil
}

// repOrNew finds a rep, registering one by id when a manager names someone
// who has not used touchbase yet.
func (c *call) repOrNew(tx touchbase.Tx, mention string) (*touchbase.Rep, error) {
	r, err := findRep(tx, mention)
	if touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
		return r, err
	}
	id := repID(mention)
	r = &touchbase.Rep{ID: id, Name: id, CreatedAt: c.now.UTC()}
	if i := strings.IndexByte(mention, '|'); i >= 0 && strings.HasPrefix(mention, "<@") {
		r.Name = strings.TrimSuffix(mention[i+1:], ">")
	}
	return r, tx.PutRep(r)
}

func teamFields(tx touchbase.Tx, t *touchbase.Team) []Field {
	names := func(ids []string) string {
		if len(ids) == 0 {
			return "none"
		}
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = repName(tx, id)
		}
		return strings.Join(out, ", ")
	}
	f := []Field{{"Function", string(t.Function)}, {"Members", names(t.Members)}, {"Managers", names(t.Managers)}}
	if t.Channel != "" {
		f = append(f, Field{"Channel", t.Channel})
	}
	return f
}

func (c *call) teamList() (*Reply, error) {
	reply := &Reply{}
	err := c.view(func(tx touchbase.Tx) error {
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		if len(teams) == 0 {
			reply.Title = "No teams yet. " + verbSpecOf("team").Examples[0]
			return nil
		}
		reply.Title = plural(len(teams), "team") + ":"
		for _, t := range teams {
			line := fmt.Sprintf("%s — %s", t.Name, t.Function)
			if t.Channel != "" {
				line += " " + t.Channel
			}
			for _, f := range teamFields(tx, t)[1:3] {
				line += "; " + strings.ToLower(f.Label) + ": " + f.Value
			}
			reply.Lines = append(reply.Lines, line)
		}
		return nil
	})
	return reply, err
}

// teamByChannelOrName finds a team by its channel (#is-tokyo) or name.
func (c *call) teamByChannelOrName(tx touchbase.Tx, s string) (*touchbase.Team, error) {
	teams, err := tx.Teams()
	if err != nil {
		return nil, err
	}
	ch := channelKey(s)
	for _, t := range teams {
		if t.Channel != "" && channelKey(t.Channel) == ch {
			return t, nil
		}
	}
	return findTeam(tx, strings.TrimPrefix(s, "#"))
}

// findTeam returns the team named name, or a refusal that says how to find
// or make one.
func findTeam(tx touchbase.Tx, name string) (*touchbase.Team, error) {
	t, err := tx.Team(name)
	if touchbase.ErrorCode(err) == touchbase.ENOTFOUND {
		return nil, touchbase.Errorf(touchbase.ENOTFOUND, "There is no team %s. /tb team list shows the teams; a new one is made with %s", quoteWord(name), verbSpecOf("team").Examples[0])
	}
	return t, err
}

// channelKey reduces "#is-tokyo", "<#C123|is-tokyo>" and "<#C123>" to a
// comparable key: the id when there is one, else the name.
func channelKey(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<#") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<#"), ">")
		id, _, _ := strings.Cut(s, "|")
		return id
	}
	return touchbase.Fold(strings.TrimPrefix(s, "#"))
}
