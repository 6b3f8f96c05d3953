package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/scheduler"
)

// runConfig runs `touchbase config check FILE...` and `touchbase config
// print [--config FILE]`.
func (m *Main) runConfig(_ context.Context, args []string) error {
	const use = "usage: touchbase config check FILE | touchbase config print [--config FILE]"
	if len(args) == 0 {
		return errors.New(use)
	}
	switch args[0] {
	case "check":
		fs := flag.NewFlagSet("touchbase config check", flag.ContinueOnError)
		fs.SetOutput(m.Stderr)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			return fmt.Errorf("config check takes the file to check: touchbase config check /etc/touchbase.yaml")
		}
		return m.checkConfigFiles(fs.Args())
	case "print":
		fs := flag.NewFlagSet("touchbase config print", flag.ContinueOnError)
		fs.SetOutput(m.Stderr)
		m.configFlag(fs, "config print")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("config print takes no arguments (got %q): name the file with --config FILE", fs.Args())
		}
		cfg, err := m.config()
		if err != nil {
			return err
		}
		from := "the defaults"
		if path := m.Getenv("TOUCHBASE_CONFIG"); path != "" {
			from += " with " + path + " over them"
		}
		if m.Getenv("TOUCHBASE_CURRENCY") != "" {
			from += ", currency from $TOUCHBASE_CURRENCY"
		}
		fmt.Fprintf(m.Stdout, "# The effective touchbase configuration: %s.\n", from)
		return writeConfig(m.Stdout, cfg)
	}
	return errors.New(use)
}

// checkConfigFiles prints "FILE: ok" or each problem of each file.
func (m *Main) checkConfigFiles(paths []string) error {
	bad := 0
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(m.Stdout, "%s: %v\n", path, err)
			bad++
			continue
		}
		_, problems := parseConfig(data, "")
		if len(problems) == 0 {
			fmt.Fprintf(m.Stdout, "%s: ok\n", path)
			continue
		}
		for _, p := range problems {
			fmt.Fprintf(m.Stdout, "%s: %s\n", path, p)
		}
		bad++
	}
	if bad > 0 {
		return touchbase.Errorf(touchbase.EINVALID, "config check: %d of %d file(s) have problems", bad, len(paths))
	}
	return nil
}

// readsConfig reports whether the subcommand name reads the configuration,
// and so takes --config.
func readsConfig(name string) bool {
	switch name {
	case "serve", "console", "export", "config print":
		return true
	}
	return strings.HasPrefix(name, "jobs ")
}

// configFlag adds --config to fs when the subcommand name reads the
// configuration. The flag stands for $TOUCHBASE_CONFIG in this run, so that
// config has one place to look, as --db does for $TOUCHBASE_DB.
func (m *Main) configFlag(fs *flag.FlagSet, name string) {
	if !readsConfig(name) {
		return
	}
	fs.Func("config", "YAML configuration `FILE` over the defaults (default $TOUCHBASE_CONFIG)", func(path string) error {
		getenv := m.Getenv
		m.Getenv = func(k string) string {
			if k == "TOUCHBASE_CONFIG" {
				return path
			}
			return getenv(k)
		}
		return nil
	})
}

// loadConfig returns the defaults with the YAML file path over them ("" for
// none) and the currency, when not "", over that. Every problem is in the
// one EINVALID error, a line each, with the file and line it concerns.
func loadConfig(path, currency string) (*touchbase.Config, error) {
	var data []byte
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, touchbase.Errorf(touchbase.EINVALID, "configuration: %v", err)
		}
		data = b
	}
	cfg, problems := parseConfig(data, currency)
	if len(problems) == 0 {
		return cfg, nil
	}
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = cmp.Or(path, "configuration") + ": " + p.String()
	}
	return nil, touchbase.Errorf(touchbase.EINVALID, "%s", strings.Join(msgs, "\n"))
}

// writeConfig writes cfg as YAML that parseConfig reads back to the same
// Config; lists of numbers and gates go on one line.
func writeConfig(w io.Writer, cfg *touchbase.Config) error {
	var n yaml.Node
	if err := n.Encode(cfg); err != nil {
		return fmt.Errorf("config: encode: %w", err)
	}
	flowScalarLists(&n)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return fmt.Errorf("config: encode: %w", err)
	}
	return enc.Close()
}

// flowScalarLists sets the flow style ([2, 3, 5]) on lists of scalars.
func flowScalarLists(n *yaml.Node) {
	if n.Kind == yaml.SequenceNode && !slices.ContainsFunc(n.Content, func(c *yaml.Node) bool { return c.Kind != yaml.ScalarNode }) {
		n.Style = yaml.FlowStyle
	}
	for _, c := range n.Content {
		flowScalarLists(c)
	}
}

// problem is one thing wrong in a configuration file, at the line it
// concerns (0 when none does).
type problem struct {
	line int
	msg  string
}

func (p problem) String() string {
	if p.line == 0 {
		return p.msg
	}
	return fmt.Sprintf("line %d: %s", p.line, p.msg)
}

// secretKeys are settings that only come from the environment: a
// configuration file is copied, committed and shown around.
var secretKeys = map[string]string{
	"slack_bot_token":      "SLACK_BOT_TOKEN",
	"slack_app_token":      "SLACK_APP_TOKEN",
	"slack_signing_secret": "SLACK_SIGNING_SECRET",
	"teams_app_id":         "TEAMS_APP_ID",
	"teams_app_password":   "TEAMS_APP_PASSWORD",
	"teams_tenant_id":      "TEAMS_TENANT_ID",
}

// secretKey reports whether key names a secret, and the environment
// variable that holds it when one does.
func secretKey(key string) (string, bool) {
	if env, ok := secretKeys[strings.ToLower(key)]; ok {
		return env, true
	}
	k := strings.ToLower(key)
	for _, w := range []string{"token", "secret", "password", "passwd", "api_key", "apikey", "credential"} {
		if strings.Contains(k, w) {
			return "", true
		}
	}
	return "", false
}

// parseConfig reads a YAML configuration over the defaults: omitted keys
// keep their default, a list given replaces the default list. currency,
// when not "", overrides the file's (it comes from $TOUCHBASE_CURRENCY).
// It returns every problem found, by line, and the configuration as far as
// it could be read.
func parseConfig(data []byte, currency string) (*touchbase.Config, []problem) {
	cfg := touchbase.DefaultConfig()
	d := &decoder{lines: map[string]int{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.problems = append(d.problems, syntaxProblem(err))
	default:
		var extra yaml.Node
		if err := dec.Decode(&extra); err == nil {
			d.add(&extra, "a second document (---): put the whole configuration in one")
		} else if !errors.Is(err, io.EOF) {
			d.problems = append(d.problems, syntaxProblem(err))
		}
		if len(doc.Content) == 1 {
			root := doc.Content[0]
			if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
				break
			}
			d.value(root, reflect.ValueOf(cfg).Elem(), "")
		}
	}
	if currency != "" {
		cfg.Currency = strings.ToUpper(currency)
		delete(d.lines, "currency")
	}
	if err := scheduler.CheckSchedule(cfg.DigestSchedule); err != nil {
		d.problems = append(d.problems, problem{d.lines["digest_schedule"], fmt.Sprintf(
			"digest_schedule: %q is not a cron expression (minute hour day-of-month month weekday), e.g. \"0 9 * * 1\" for Mondays at 09:00: %v",
			cfg.DigestSchedule, err)})
	}
	for _, err := range []error{cfg.Validate(), cfg.Calendar.Validate()} {
		if err == nil {
			continue
		}
		msg := strings.TrimPrefix(touchbase.ErrorMessage(err), "configuration: ")
		for _, p := range strings.Split(msg, "; ") {
			path := validatePath(cfg, p)
			if path == "currency" && currency != "" {
				p += " (from $TOUCHBASE_CURRENCY)"
			}
			d.problems = append(d.problems, problem{d.line(path), p})
		}
	}
	// By line, and the problems of no line last.
	slices.SortStableFunc(d.problems, func(a, b problem) int {
		key := func(p problem) int {
			if p.line == 0 {
				return math.MaxInt
			}
			return p.line
		}
		return cmp.Compare(key(a), key(b))
	})
	return cfg, d.problems
}

// yamlLine reads the line out of a YAML syntax error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxProblem(err error) problem {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return problem{n, "YAML syntax: " + m[2]}
	}
	return problem{0, "YAML syntax: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// Patterns of Config.Validate's problems: "stage 2 \"Name\": ..." and
// "cadence.gaps[0]: ...".
var (
	validateStage = regexp.MustCompile(`^stage (\d+)\b`)
	validateKey   = regexp.MustCompile(`^([a-z_]+(?:\.[a-z_]+)?(?:\[\d+\])?):`)
	validateQuote = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
)

// validatePath returns the path of the key that a problem p reported by
// Config.Validate concerns ("stages[1].probability"), or "".
func validatePath(cfg *touchbase.Config, p string) string {
	if m := validateStage.FindStringSubmatch(p); m != nil {
		i, _ := strconv.Atoi(m[1])
		stage := fmt.Sprintf("stages[%d]", i-1)
		switch {
		case strings.Contains(p, "name is empty"):
			return stage + ".name"
		case strings.Contains(p, ": probability"):
			return stage + ".probability"
		case strings.Contains(p, ": avg_days"):
			return stage + ".avg_days"
		case strings.Contains(p, "unknown gate"):
			qs := validateQuote.FindAllStringSubmatch(p, -1)
			if i >= 1 && i <= len(cfg.Stages) && len(qs) > 0 {
				gate, _ := strconv.Unquote(`"` + qs[len(qs)-1][1] + `"`)
				if j := slices.Index(cfg.Stages[i-1].Gates, touchbase.Gate(gate)); j >= 0 {
					return fmt.Sprintf("%s.gates[%d]", stage, j)
				}
			}
			return stage + ".gates"
		}
		return stage
	}
	m := validateKey.FindStringSubmatch(p)
	if m == nil {
		return ""
	}
	switch key := m[1]; key {
	case "quiet_hours":
		if q := validateQuote.FindStringSubmatch(p); q != nil {
			if v, _ := strconv.Unquote(`"` + q[1] + `"`); v == cfg.QuietHours.Start {
				return "quiet_hours.start"
			}
			return "quiet_hours.end"
		}
		return key
	case "renewal_notices":
		rest := strings.TrimSpace(strings.TrimPrefix(p, key+":"))
		if n, err := strconv.Atoi(strings.SplitN(rest, ",", 2)[0]); err == nil {
			if i := slices.Index(cfg.RenewalNotices, n); i >= 0 {
				return fmt.Sprintf("%s[%d]", key, i)
			}
		}
		return key
	default:
		return key
	}
}

// decoder sets Go values from YAML nodes by their yaml tags, noting every
// problem with its line and the line of every key it sets.
type decoder struct {
	problems []problem
	lines    map[string]int // "stages[1].probability" → line
}

func (d *decoder) add(n *yaml.Node, format string, args ...any) {
	d.problems = append(d.problems, problem{n.Line, fmt.Sprintf(format, args...)})
}

// line returns the line of path, else of the nearest enclosing key, else 0.
func (d *decoder) line(path string) int {
	for path != "" {
		if n, ok := d.lines[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

var dateType = reflect.TypeFor[touchbase.Date]()

// describe says what n is, for "want X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value lines)"
	case yaml.SequenceNode:
		return "a list"
	}
	if n.ShortTag() == "!!null" {
		return "nothing"
	}
	return strconv.Quote(n.Value)
}

// label is how a problem names path: the key itself, or "the file".
func label(path string) string { return cmp.Or(path, "the file") }

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	null := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	if v.Type() == dateType {
		t, err := time.Parse(time.DateOnly, n.Value)
		if n.Kind != yaml.ScalarNode || null || err != nil {
			d.add(n, "%s: %s is not a date: write YYYY-MM-DD, e.g. 2026-12-28", path, describe(n))
			return
		}
		v.Set(reflect.ValueOf(touchbase.DateOf(t)))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if null {
			return // "cadence:" alone keeps the defaults
		}
		d.mapping(n, v, path)
	case reflect.Slice:
		if null {
			v.SetZero()
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.add(n, "%s: want a list, [a, b] or one \"- item\" line each, got %s", path, describe(n))
			return
		}
		var s reflect.Value
		if len(n.Content) > 0 {
			s = reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		} else {
			s = reflect.Zero(v.Type())
		}
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.lines[p] = c.Line
			d.value(c, s.Index(i), p)
		}
		v.Set(s)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.add(n, "%s: want a whole number, got %s", path, describe(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.add(n, "%s: want true or false, got %s", path, describe(n))
			return
		}
		v.SetBool(b)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || null {
			d.add(n, "%s: want a value, got %s (leave the key out to keep the default)", path, describe(n))
			return
		}
		v.SetString(n.Value)
	default:
		d.add(n, "%s: cannot be set in the file", path)
	}
}

// mapping sets the fields of the struct v from the mapping n.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	fields := yamlFields(v.Type())
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	if n.Kind != yaml.MappingNode {
		d.add(n, "%s: want keys (%s), got %s", label(path), strings.Join(names, ", "), describe(n))
		return
	}
	in := ""
	if path != "" {
		in = " in " + path
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.add(k, "%s: a key must be a plain word, got %s", label(path), describe(k))
			continue
		}
		key := k.Value
		if env, ok := secretKey(key); ok {
			if env != "" {
				d.add(k, "%s is a secret and is never read from a file: set $%s in the environment", key, env)
			} else {
				d.add(k, "%q looks like a secret, and secrets are never read from a file: they come from the environment (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, TEAMS_APP_PASSWORD)", key)
			}
			continue
		}
		idx, ok := fields[key]
		if !ok {
			if s := suggest(key, names); s != "" {
				d.add(k, "unknown key %q%s — did you mean %s?", key, in, s)
			} else {
				d.add(k, "unknown key %q%s: the keys are %s", key, in, strings.Join(names, ", "))
			}
			continue
		}
		if first, dup := seen[key]; dup {
			d.add(k, "%q is given twice%s (first on line %d)", key, in, first)
			continue
		}
		seen[key] = k.Line
		p := key
		if path != "" {
			p = path + "." + key
		}
		d.lines[p] = k.Line
		d.value(val, v.Field(idx), p)
	}
}

// yamlFields maps the yaml names of t's fields to their index.
func yamlFields(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		fields[cmp.Or(name, strings.ToLower(f.Name))] = i
	}
	return fields
}

// suggest returns the name among names that key most likely misspells, or "".
func suggest(key string, names []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	k := norm(key)
	best, bestDist := "", 3
	for _, name := range names {
		n := norm(name)
		if n == k || len(k) >= 4 && strings.HasPrefix(n, k) {
			return name
		}
		if dist := handlers.EditDistance(k, n); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	return best
}
