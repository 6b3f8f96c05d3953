package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/touchbase/touchbase"
)

// configFile returns the path of a file in testdata/config.
func configFile(name string) string { return filepath.Join("testdata", "config", name) }

// runEnv runs the real program with env as its whole environment, and
// returns its standard output and error.
func runEnv(tb testing.TB, env map[string]string, stdin string, args ...string) (string, error) {
	tb.Helper()
	var out, errOut bytes.Buffer
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(stdin), &out, &errOut
	m.Getenv = func(k string) string { return env[k] }
	m.StdinIsTerminal = func() bool { return false }
	err := m.Run(context.Background(), args)
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return out.String(), err
}

// Ensure the commented example loads without a problem, documents every key,
// and gives the defaults with Japan's calendar.
func TestConfig_Example(t *testing.T) {
	data := mustRead(t, configFile("example.yaml"))
	got, problems := parseConfig([]byte(data), "")
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := touchbase.DefaultConfig()
	want.Calendar = touchbase.Calendar{Region: "JP", YearEnd: true, Holidays: []touchbase.Date{
		touchbase.NewDate(2026, 8, 13), touchbase.NewDate(2026, 8, 14),
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Config=%+v, want %+v", got, want)
	}
	for name := range yamlFields(reflect.TypeFor[touchbase.Config]()) {
		if !regexp.MustCompile(`(?m)^` + name + `:`).MatchString(data) {
			t.Errorf("example.yaml does not document %s", name)
		}
	}
}

// Ensure each broken file reports each of its problems at the right line,
// and nothing else.
func TestConfig_Broken(t *testing.T) {
	type want struct {
		line int
		text string
	}
	for _, tt := range []struct {
		file string
		want []want
	}{
		// Ensure a misspelt key is refused with the likely key.
		{"unknown_key.yaml", []want{
			{3, `unknown key "cadance" — did you mean cadence?`},
			{7, `unknown key "ende" in quiet_hours — did you mean end?`},
			{8, `unknown key "frobnicate": the keys are bant_threshold, cadence,`},
		}},
		// Ensure values of the wrong type are refused.
		{"wrong_type.yaml", []want{
			{2, `bant_threshold: want a whole number, got "two"`},
			{5, `cadence.gaps: want a list`},
			{7, `calendar.year_end: want true or false, got "sometimes"`},
			{8, `stages: want a list`},
			{9, `quiet_hours: want keys (end, start)`},
		}},
		// Ensure a holiday not written YYYY-MM-DD is refused.
		{"bad_date.yaml", []want{
			{6, `calendar.holidays[1]: "2026/08/14" is not a date: write YYYY-MM-DD`},
			{7, `calendar.holidays[2]: "2026-02-30" is not a date`},
		}},
		// Ensure a digest schedule that cron cannot read is refused.
		{"bad_cron.yaml", []want{
			{4, `digest_schedule: "0 9 * *" is not a cron expression`},
		}},
		// Ensure secrets are refused, pointing to the environment.
		{"secret.yaml", []want{
			{3, `slack_bot_token is a secret and is never read from a file: set $SLACK_BOT_TOKEN in the environment`},
			{4, `set $SLACK_SIGNING_SECRET in the environment`},
			{5, `"github_token" looks like a secret`},
		}},
		// Ensure what Config.Validate refuses is reported at its key's line.
		{"invalid.yaml", []want{
			{6, `stage 2 "Proposal": probability 120 is not between 0 and 100`},
			{7, `stage 2 "Proposal": avg_days -3 is negative`},
			{8, `stage 2 "Proposal": unknown gate "signature"`},
			{9, `stage 3: the name is empty`},
			{11, `bant_threshold: 7 is not between 1 and 4`},
			{13, `cadence.touches: 0, need at least 1`},
			{14, `cadence.gaps[1]: 0, need at least 1 business day`},
			{16, `calendar.region: "XX" is not a region touchbase knows`},
			{17, `currency: "XYZ" is not a known ISO 4217 code`},
			{18, `nurture_days: 0, need at least 1`},
			{19, `reminder_at: "9am" is not a time of day`},
			{22, `quiet_hours: "25:00" is not a time of day`},
			{23, `renewal_notices: -1, need days before the renewal`},
		}},
		// Ensure a list of one stage is refused at the stages key.
		{"one_stage.yaml", []want{
			{3, `stages: need at least two (the last one is the won stage)`},
		}},
		// Ensure a YAML syntax error gives its line.
		{"syntax.yaml", []want{
			{4, `YAML syntax: mapping values are not allowed in this context`},
		}},
		// Ensure a key given twice is refused at the second.
		{"duplicate.yaml", []want{
			{4, `"currency" is given twice (first on line 2)`},
		}},
		// Ensure a file that is not a mapping of keys is refused.
		{"not_mapping.yaml", []want{
			{2, `the file: want keys (bant_threshold, cadence,`},
		}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			_, got := parseConfig([]byte(mustRead(t, configFile(tt.file))), "")
			if len(got) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				if got[i].line != w.line || !strings.Contains(got[i].msg, w.text) {
					t.Errorf("problem %d = %s, want line %d: %s", i, got[i], w.line, w.text)
				}
			}
		})
	}
}

// Ensure `config check` prints "FILE: ok" for a good file, and every problem
// of a bad one, a line each, with a non-zero exit.
func TestConfig_Check(t *testing.T) {
	for _, tt := range []struct {
		file  string
		lines []string
	}{
		// Ensure a good file is ok.
		{"example.yaml", []string{configFile("example.yaml") + ": ok"}},
		// Ensure every problem is printed with the file and line.
		{"unknown_key.yaml", []string{
			configFile("unknown_key.yaml") + `: line 3: unknown key "cadance" — did you mean cadence?`,
			configFile("unknown_key.yaml") + `: line 7: unknown key "ende" in quiet_hours — did you mean end?`,
			configFile("unknown_key.yaml") + `: line 8: unknown key "frobnicate"`,
		}},
	} {
		out, err := runEnv(t, nil, "", "config", "check", configFile(tt.file))
		if ok := len(tt.lines) == 1 && strings.HasSuffix(tt.lines[0], ": ok"); ok != (err == nil) {
			t.Errorf("%s: error %v", tt.file, err)
		}
		got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(got) != len(tt.lines) {
			t.Fatalf("%s: output\n%s\nwant %d lines", tt.file, out, len(tt.lines))
		}
		for i, want := range tt.lines {
			if !strings.HasPrefix(got[i], want) {
				t.Errorf("%s: line %d = %q, want %q", tt.file, i+1, got[i], want)
			}
		}
	}
}

// Ensure `config print` writes YAML that `config check` accepts and that
// loads back to the same configuration.
func TestConfig_PrintRoundTrip(t *testing.T) {
	for _, file := range []string{"", "example.yaml", "short.yaml"} {
		args := []string{"config", "print"}
		want := touchbase.DefaultConfig()
		if file != "" {
			args = append(args, "--config", configFile(file))
			var err error
			if want, err = loadConfig(configFile(file), ""); err != nil {
				t.Fatal(err)
			}
		}
		out, err := runEnv(t, nil, "", args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		path := filepath.Join(t.TempDir(), "printed.yaml")
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		if check, err := runEnv(t, nil, "", "config", "check", path); err != nil || check != path+": ok\n" {
			t.Fatalf("config check of the printed %q: %q, %v\n%s", file, check, err, out)
		}
		got, err := loadConfig(path, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q printed and loaded: %+v, want %+v\n%s", file, got, want, out)
		}
	}
}

// Ensure the file comes from $TOUCHBASE_CONFIG or --config, the flag first,
// and that $TOUCHBASE_CURRENCY still overrides the currency.
func TestConfig_EnvAndFlag(t *testing.T) {
	example, short := configFile("example.yaml"), configFile("short.yaml")
	for _, tt := range []struct {
		name     string
		env      map[string]string
		flag     string
		stage    string // the last stage
		currency string
	}{
		// Ensure the defaults apply without a file.
		{"none", nil, "", "Closed won", "USD"},
		// Ensure $TOUCHBASE_CONFIG is read.
		{"env", map[string]string{"TOUCHBASE_CONFIG": short}, "", "Signed", "EUR"},
		// Ensure --config is read.
		{"flag", nil, short, "Signed", "EUR"},
		// Ensure --config wins over $TOUCHBASE_CONFIG.
		{"both", map[string]string{"TOUCHBASE_CONFIG": example}, short, "Signed", "EUR"},
		// Ensure $TOUCHBASE_CURRENCY wins over the file.
		{"currency", map[string]string{"TOUCHBASE_CONFIG": short, "TOUCHBASE_CURRENCY": "jpy"}, "", "Signed", "JPY"},
	} {
		args := []string{"config", "print"}
		if tt.flag != "" {
			args = append(args, "--config", tt.flag)
		}
		out, err := runEnv(t, tt.env, "", args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		cfg, problems := parseConfig([]byte(out), "")
		if len(problems) > 0 {
			t.Fatalf("%s: %v", tt.name, problems)
		}
		if got := cfg.StageName(cfg.Won()); got != tt.stage {
			t.Errorf("%s: last stage=%q, want %q", tt.name, got, tt.stage)
		}
		if cfg.Currency != tt.currency {
			t.Errorf("%s: Currency=%q, want %q", tt.name, cfg.Currency, tt.currency)
		}
	}
}

// Ensure a shorter stage list changes what "/stage Acme won" means in a
// console session: the last stage, without the default gates.
func TestConfig_ConsoleStages(t *testing.T) {
	const session = "/deal Acme amount:5000\n/stage Acme won\n"
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		// Ensure the default process wants a qualified BANT first.
		{"default", nil, nil, `"Needs definition" needs a qualified BANT`},
		// Ensure --config gives three stages, the last one won.
		{"flag", nil, []string{"--config", configFile("short.yaml")}, "Stage: 3 Signed (100%)"},
		// Ensure $TOUCHBASE_CONFIG does the same.
		{"env", map[string]string{"TOUCHBASE_CONFIG": configFile("short.yaml")}, nil, "Stage: 3 Signed (100%)"},
	} {
		args := append([]string{"console", "--db", filepath.Join(t.TempDir(), "touchbase.db")}, tt.args...)
		out, err := runEnv(t, tt.env, session, args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !strings.Contains(out, tt.want) {
			t.Errorf("%s: output lacks %q:\n%s", tt.name, tt.want, out)
		}
	}
}

// Ensure a bad file or currency stops the commands that read the
// configuration, with every problem and its line.
func TestConfig_BadStops(t *testing.T) {
	db := filepath.Join(t.TempDir(), "touchbase.db")
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want []string
	}{
		// Ensure console refuses a file with unknown keys.
		{nil, []string{"console", "--config", configFile("unknown_key.yaml")},
			[]string{configFile("unknown_key.yaml") + `: line 3: unknown key "cadance"`, "line 8:"}},
		// Ensure export refuses a secret in $TOUCHBASE_CONFIG.
		{map[string]string{"TOUCHBASE_CONFIG": configFile("secret.yaml")}, []string{"export"},
			[]string{"line 3: slack_bot_token is a secret"}},
		// Ensure jobs refuse a missing file.
		{nil, []string{"jobs", "run", "reminders", "--config", configFile("missing.yaml")},
			[]string{"missing.yaml"}},
		// Ensure a bad $TOUCHBASE_CURRENCY is blamed on the environment.
		{map[string]string{"TOUCHBASE_CONFIG": configFile("short.yaml"), "TOUCHBASE_CURRENCY": "XYZ"}, []string{"console"},
			[]string{`currency: "XYZ" is not a known ISO 4217 code (USD, JPY, EUR, ...) (from $TOUCHBASE_CURRENCY)`}},
	} {
		_, err := runEnv(t, tt.env, "", append(tt.args, "--db", db)...)
		if err == nil {
			t.Fatalf("%v: no error", tt.args)
		}
		for _, want := range tt.want {
			if !strings.Contains(errorText(err), want) {
				t.Errorf("%v: error %q lacks %q", tt.args, errorText(err), want)
			}
		}
	}
}

// Ensure the subcommands that do not read the configuration do not take
// --config.
func TestConfig_FlagOnlyWhereRead(t *testing.T) {
	if _, err := runEnv(t, nil, "", "backup", "--config", configFile("short.yaml"), "x.db"); err == nil ||
		!strings.Contains(err.Error(), "flag provided but not defined: -config") {
		t.Fatalf("backup --config: %v, want an unknown flag", err)
	}
}

// Ensure no input makes the configuration decoder panic, and that what it
// reads without a problem prints and reads back the same.
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob(configFile("*.yaml"))
	for _, file := range files {
		f.Add(mustRead(f, file))
	}
	f.Add("stages: &a [*a]\n")
	f.Fuzz(func(t *testing.T, data string) {
		if len(data) > 4096 {
			return
		}
		cfg, problems := parseConfig([]byte(data), "")
		if len(problems) > 0 {
			return
		}
		var out bytes.Buffer
		if err := writeConfig(&out, cfg); err != nil {
			t.Fatal(err)
		}
		again, problems := parseConfig(out.Bytes(), "")
		if len(problems) > 0 || !reflect.DeepEqual(again, cfg) {
			t.Fatalf("printed %q, read back %+v with %v, want %+v", out.String(), again, problems, cfg)
		}
	})
}
