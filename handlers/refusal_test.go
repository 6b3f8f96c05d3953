package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// refusal is a bad input and what its answer must say.
type refusal struct {
	user string // who types it; every one is registered by the scene
	line string
	code string   // the refusal's code; "" for help, which answers with a warning
	want []string // what was wrong, and how to write it right
}

// long is a word of n characters, for input too long to keep.
func long(n int) string { return strings.Repeat("x", n) }

// badInputs are bad inputs for every verb of the parser's table, and for
// each sub-command of /tb team, typed into the scene of refusalScene.
func badInputs() map[string][]refusal {
	const (
		lead    = `/lead "Taro Yamada" company:"Acme KK"`
		log     = `/log call Acme`
		qualify = `/qualify Acme b:yes`
		convert = `/convert Acme amount:5,000,000`
		deal    = `/deal Acme "ERP rollout"`
		upsell  = `/upsell Acme "Analytics add-on"`
		renewal = `/renewal Acme renewed`
		team    = `/tb team create "IS Tokyo" inside_sales`
	)
	return map[string][]refusal{
		"lead": {
			{"sato", `/lead`, touchbase.EINVALID, []string{"needs a name or a company", lead}},
			{"sato", `/lead Ken company:Acme email:not-an-address`, touchbase.EINVALID, []string{`"not-an-address" is not an email address`, "email:taro@acme.co.jp"}},
			{"sato", `/lead Ken email:taro@acme`, touchbase.EINVALID, []string{`"taro@acme"`, "email:taro@acme.co.jp"}},
			{"sato", `/lead Ken email:` + long(250) + `@acme.co.jp`, touchbase.EINVALID, []string{"email: is 261 characters long", "email:taro@acme.co.jp"}},
			{"sato", `/lead Ken company:Acme owner:@nobody`, touchbase.ENOTFOUND, []string{"no rep @nobody", "/tb team add"}},
			{"sato", `/lead Ken compny:Acme`, touchbase.EINVALID, []string{"compny:", "Did you mean company:?"}},
			{"sato", `/lead Ken company:Acme company:Beta`, touchbase.EINVALID, []string{"company: is given twice", lead}},
			{"sato", `/lead "Ken company:Acme`, touchbase.EINVALID, []string{"A quote is not closed", `company:"Acme KK"`}},
			{"sato", `/lead ` + long(201) + ` company:Acme`, touchbase.EINVALID, []string{"The lead's name is 201 characters long", "at most 200", lead}},
			{"sato", `/lead Ken company:` + long(300), touchbase.EINVALID, []string{"company: is 300 characters long", lead}},
			{"sato", `/lead Ken company:Acme source:` + long(300), touchbase.EINVALID, []string{"source: is 300 characters long"}},
			{"sato", "/lead Ken\x1b[31m company:Acme", touchbase.EINVALID, []string{"control character (U+001B)", `after "/lead Ken"`}},
			{"sato", "/lead Ken\x00", touchbase.EINVALID, []string{"U+0000"}},
			{"sato", `/lead ` + long(10001), touchbase.EINVALID, []string{"10,007 characters long; the most is 10,000"}},
			{"newbie", `/lead Ken email:bad`, touchbase.EINVALID, []string{`"bad"`, "email:taro@acme.co.jp"}},
		},
		"log": {
			{"sato", `/log`, touchbase.EINVALID, []string{"What kind of touch", "/log call Acme"}},
			{"sato", `/log call`, touchbase.EINVALID, []string{"Which open lead or opportunity?", "/log call Acme"}},
			{"sato", `/log bogus Acme`, touchbase.EINVALID, []string{`"bogus" is not a kind of touch`, "call, email, meeting, note, demo or proposal", log}},
			{"sato", `/log call Nowhere hello`, touchbase.ENOTFOUND, []string{`No open lead or opportunity matches "Nowhere"`, "/followups week"}},
			{"sato", `/log call Acme next:someday`, touchbase.EINVALID, []string{`next: date "someday" is not a date`, "2027-03-31"}},
			{"sato", `/log call Acme next:2020-01-01`, touchbase.EINVALID, []string{"next: 2020-01-01 is in the past", "next:fri"}},
			{"sato", `/log call Acme next:fri next:mon`, touchbase.EINVALID, []string{"next: is given twice"}},
			{"sato", `/log call Acme nxet:fri`, touchbase.EINVALID, []string{"nxet:", "Did you mean next:?"}},
			{"sato", `/log call lead#99 hi`, touchbase.ENOTFOUND, []string{"There is no lead#99", log}},
			{"sato", `/log call opp#99 hi`, touchbase.ENOTFOUND, []string{"There is no opp#99", log}},
			{"sato", `/log call account#1 hi`, touchbase.EINVALID, []string{"account#1 is an account", "needs an open lead or opportunity", log}},
			{"sato", `/log call lead#3 hi`, touchbase.ECONFLICT, []string{"Ken Ito (Epsilon) is disqualified", "an open lead or opportunity"}},
			{"sato", `/log call Beta hello`, touchbase.EFORBIDDEN, []string{"Jiro Suzuki (Beta Inc) is owned by @kato"}},
			{"sato", `/log note Acme ` + long(10000), touchbase.EINVALID, []string{"10,015 characters long", "/log note Acme"}},
			{"sato", "/log note Acme \x07", touchbase.EINVALID, []string{"U+0007"}},
		},
		"qualify": {
			{"sato", `/qualify`, touchbase.EINVALID, []string{"Which lead or open opportunity?", "/qualify Acme b:yes"}},
			{"sato", `/qualify Acme b:maybe-later`, touchbase.EINVALID, []string{`b: "maybe-later" is neither yes/no/unknown nor an amount`, "b:yes"}},
			{"sato", `/qualify Acme t:whenever`, touchbase.EINVALID, []string{`t: "whenever"`, "t:2027-03"}},
			{"sato", `/qualify Acme a:`, touchbase.EINVALID, []string{"a: is empty", "a:yes"}},
			{"sato", `/qualify Acme x:yes`, touchbase.EINVALID, []string{`Unexpected "x:yes"`, `/qualify "Acme KK" b:yes`}},
			{"sato", `/qualify Acme Beta b:yes`, touchbase.EINVALID, []string{`Unexpected "Beta"`}},
			{"sato", `/qualify Acme budgt:yes`, touchbase.EINVALID, []string{"budgt:", "Did you mean b:?"}},
			{"sato", `/qualify Nowhere b:yes`, touchbase.ENOTFOUND, []string{`No lead or open opportunity matches "Nowhere"`}},
			{"sato", `/qualify lead#99 b:yes`, touchbase.ENOTFOUND, []string{"There is no lead#99", qualify}},
			{"sato", `/qualify lead#3 b:yes`, touchbase.ECONFLICT, []string{"Ken Ito (Epsilon) is disqualified"}},
			{"sato", `/qualify Beta b:yes`, touchbase.EFORBIDDEN, []string{"owned by @kato"}},
		},
		"convert": {
			{"sato", `/convert`, touchbase.EINVALID, []string{"Which lead that is not converted yet?", convert}},
			{"sato", `/convert Acme amount:5x`, touchbase.EINVALID, []string{`amount "5x" is not an amount`, "amount:5,000,000"}},
			{"sato", `/convert Acme amount:-5`, touchbase.EINVALID, []string{`amount "-5" is negative`}},
			{"sato", `/convert Acme amount:"5m xyz"`, touchbase.EINVALID, []string{`amount "5m xyz" is in XYZ, which is not a currency we know`, "amount:5m usd"}},
			{"sato", `/convert Acme close:2027-13-45`, touchbase.EINVALID, []string{`close: date "2027-13-45" is not a date (there is no month 13)`}},
			{"sato", `/convert Acme to:@nobody`, touchbase.ENOTFOUND, []string{"no rep @nobody"}},
			{"sato", `/convert Acme amont:5m`, touchbase.EINVALID, []string{"amont:", "Did you mean amount:?"}},
			{"sato", `/convert Acme name:` + long(201), touchbase.EINVALID, []string{"name: is 201 characters long", convert}},
			{"sato", `/convert Acme Beta`, touchbase.ENOTFOUND, []string{`matches "Acme Beta"`}},
			{"sato", `/convert opp#1`, touchbase.ECONFLICT, []string{"Opportunity ERP rollout is open", "a lead that is not converted yet"}},
			{"sato", `/convert Beta`, touchbase.EFORBIDDEN, []string{"owned by @kato"}},
			{"kato", `/convert Beta`, touchbase.EINVALID, []string{"Jiro Suzuki (Beta Inc) is not qualified", "/qualify lead#2 b:yes n:yes"}},
		},
		"deal": {
			{"ae", `/deal`, touchbase.EINVALID, []string{"Which account?", deal}},
			{"ae", `/deal Acme ERP rollout`, touchbase.EINVALID, []string{"Too many words", deal}},
			{"ae", `/deal lead#1`, touchbase.EINVALID, []string{"Name the opportunity", `/deal lead#1 "ERP rollout"`}},
			{"ae", `/deal lead#1 X`, touchbase.EINVALID, []string{"lead#1 is not an account", deal}},
			{"ae", `/deal account#99 X`, touchbase.ENOTFOUND, []string{"There is no account#99", deal}},
			{"ae", `/deal Gamma X amount:abc`, touchbase.EINVALID, []string{`amount "abc" is not an amount`}},
			{"ae", `/deal Gamma X close:never`, touchbase.EINVALID, []string{`close: date "never"`}},
			{"ae", `/deal Gamma X owner:@nobody`, touchbase.ENOTFOUND, []string{"no rep @nobody"}},
			{"ae", `/deal ` + long(201) + ` X`, touchbase.EINVALID, []string{"The account's name is 201 characters long"}},
			{"ae", `/deal Gamma ` + long(201), touchbase.EINVALID, []string{"The opportunity's name is 201 characters long"}},
		},
		"stage": {
			{"ae", `/stage`, touchbase.EINVALID, []string{"Which opportunity, and to which stage?", "/stage Acme next"}},
			{"ae", `/stage Gamma`, touchbase.EINVALID, []string{"Which opportunity, and to which stage?"}},
			{"ae", `/stage Gamma 99`, touchbase.EINVALID, []string{"There is no stage 99", "/stage opp#1 next", "8 Closed won"}},
			{"ae", `/stage Gamma 0`, touchbase.EINVALID, []string{"There is no stage 0"}},
			{"ae", `/stage Gamma -3`, touchbase.EINVALID, []string{"There is no stage -3"}},
			{"ae", `/stage Gamma nowhere`, touchbase.EINVALID, []string{`"nowhere" is not a stage`, "2 Needs definition"}},
			{"ae", `/stage Gamma 1`, touchbase.ECONFLICT, []string{`ERP rollout is already at stage 1 "Discovery"`}},
			{"ae", `/stage Gamma prev`, touchbase.ECONFLICT, []string{"ERP rollout is at the first stage"}},
			{"ae", `/stage Gamma 4`, touchbase.EINVALID, []string{"needs a qualified BANT", `/qualify "ERP rollout" b:yes n:yes`}},
			{"ae", `/stage Gamma lost`, touchbase.EINVALID, []string{"Say why it was lost", `/stage opp#1 lost reason:"budget cut"`}},
			{"ae", `/stage Gamma back reason:x`, touchbase.EINVALID, []string{"no Inside Sales owner", "to:@rep"}},
			{"ae", `/stage Gamma next amount:zz`, touchbase.EINVALID, []string{`amount "zz"`}},
			{"ae", `/stage Zeta won term:0m`, touchbase.EINVALID, []string{`term: "0m" is not a contract term`, "term:12m"}},
			{"ae", `/stage Zeta won term:121m`, touchbase.EINVALID, []string{`term: "121m"`}},
			{"ae", `/stage Zeta won arr:xyz`, touchbase.EINVALID, []string{`arr: amount "xyz"`}},
			{"ae", `/stage Zeta won to:@nobody`, touchbase.ENOTFOUND, []string{"no rep @nobody"}},
			{"ae", `/stage Nowhere next`, touchbase.ENOTFOUND, []string{`No open opportunity matches "Nowhere"`}},
			{"ae", `/stage opp#2 next`, touchbase.ECONFLICT, []string{"Opportunity Platform is won", "an open opportunity"}},
			{"ae", `/stage opp#99 next`, touchbase.ENOTFOUND, []string{"There is no opp#99"}},
			{"sato", `/stage Gamma next`, touchbase.EFORBIDDEN, []string{"ERP rollout is owned by @ae"}},
			{"newbie", `/stage Gamma next`, touchbase.EFORBIDDEN, []string{"ERP rollout is owned by @ae"}},
		},
		"renewal": {
			{"kim", `/renewal`, touchbase.EINVALID, []string{"Name the customer and the outcome", "/renewal Acme renewed amount:6m"}},
			{"kim", `/renewal Delta`, touchbase.EINVALID, []string{"Name the customer and the outcome"}},
			{"kim", `/renewal Delta maybe`, touchbase.EINVALID, []string{`"maybe": the outcome is renewed or churned`}},
			{"kim", `/renewal Delta churned`, touchbase.EINVALID, []string{"Say why the customer left", `/renewal Delta churned reason:"moved to a competitor"`}},
			{"kim", `/renewal Delta renewed amount:lots`, touchbase.EINVALID, []string{`amount "lots"`}},
			{"kim", `/renewal Delta renewed term:abc`, touchbase.EINVALID, []string{`term: "abc"`, "term:12m"}},
			{"kim", `/renewal Nowhere renewed`, touchbase.ENOTFOUND, []string{`No account matches "Nowhere"`, "/deal"}},
			{"kim", `/renewal account#99 renewed`, touchbase.ENOTFOUND, []string{"There is no account#99", renewal}},
			{"kim", `/renewal Gamma renewed`, touchbase.ENOTFOUND, []string{"Gamma has no contract waiting for renewal", "/stage Gamma won"}},
			{"sato", `/renewal Delta renewed`, touchbase.EFORBIDDEN, []string{"Delta is owned by @kim"}},
		},
		"upsell": {
			{"kim", `/upsell`, touchbase.EINVALID, []string{"Name the customer and the opportunity", upsell}},
			{"kim", `/upsell Delta`, touchbase.EINVALID, []string{"Name the customer and the opportunity"}},
			{"kim", `/upsell Delta Support plan`, touchbase.EINVALID, []string{"Name the customer and the opportunity"}},
			{"kim", `/upsell Nowhere X`, touchbase.ENOTFOUND, []string{`No account matches "Nowhere"`}},
			{"kim", `/upsell account#99 X`, touchbase.ENOTFOUND, []string{"There is no account#99", upsell}},
			{"kim", `/upsell Delta X amount:zz`, touchbase.EINVALID, []string{`amount "zz"`}},
			{"kim", `/upsell Delta X close:whenever`, touchbase.EINVALID, []string{`close: date "whenever"`}},
			{"kim", `/upsell Delta X owner:@nobody`, touchbase.ENOTFOUND, []string{"no rep @nobody"}},
			{"kim", `/upsell Delta ` + long(201), touchbase.EINVALID, []string{"The opportunity's name is 201 characters long", upsell}},
		},
		"followups": {
			{"sato", `/followups month`, touchbase.EINVALID, []string{`"month"`, "/followups week"}},
			{"sato", `/followups @nobody`, touchbase.ENOTFOUND, []string{"no rep @nobody"}},
			{"sato", `/followups @kato @ae`, touchbase.EINVALID, []string{"Name one rep", "/followups @kato"}},
			{"sato", `/followups @` + long(201), touchbase.EINVALID, []string{"is not a rep", "@sato"}},
			{"newbie", `/followups @nobody`, touchbase.ENOTFOUND, []string{"no rep @nobody"}},
		},
		"pipeline": {
			{"sato", `/pipeline @nobody`, touchbase.ENOTFOUND, []string{"no rep @nobody"}},
			{"sato", `/pipeline #nowhere`, touchbase.ENOTFOUND, []string{`There is no team "nowhere"`, "/tb team list", team}},
			{"sato", `/pipeline nowhere`, touchbase.EINVALID, []string{`"nowhere"`, "/pipeline all"}},
			{"sato", `/pipeline all mine`, touchbase.EINVALID, []string{"Name one scope", "/pipeline #team"}},
		},
		"digest": {
			{"sato", `/digest #nowhere`, touchbase.ENOTFOUND, []string{`There is no team "nowhere"`, team}},
			{"sato", `/digest nowhere`, touchbase.ENOTFOUND, []string{`There is no team "nowhere"`}},
			{"sato", "/digest #is-tokyo\x1b", touchbase.EINVALID, []string{"U+001B"}},
		},
		"snooze": {
			{"sato", `/tb snooze`, touchbase.EINVALID, []string{"Which open lead or opportunity?", "/tb snooze Acme +3d"}},
			{"sato", `/tb snooze Acme someday`, touchbase.EINVALID, []string{`date "someday" is not a date`, "+3d"}},
			{"sato", `/tb snooze Acme today`, touchbase.EINVALID, []string{"later day than today", "/tb snooze Acme tomorrow"}},
			{"sato", `/tb snooze Acme 2020-01-01`, touchbase.EINVALID, []string{"later day than today"}},
			{"sato", `/tb snooze Nowhere tomorrow`, touchbase.ENOTFOUND, []string{`matches "Nowhere"`}},
			{"sato", `/tb snooze lead#99`, touchbase.ENOTFOUND, []string{"There is no lead#99"}},
			{"sato", `/tb snooze Beta tomorrow`, touchbase.EFORBIDDEN, []string{"owned by @kato"}},
		},
		"nurture": {
			{"sato", `/tb nurture`, touchbase.EINVALID, []string{"Which open lead?", "/tb nurture Acme"}},
			{"sato", `/tb nurture Acme until:2020-01-01`, touchbase.EINVALID, []string{"until: 2020-01-01 is not in the future", "until:+90d"}},
			{"sato", `/tb nurture Acme until:someday`, touchbase.EINVALID, []string{`until: date "someday"`}},
			{"sato", `/tb nurture Acme untl:2027-04`, touchbase.EINVALID, []string{"untl:", "Did you mean until:?"}},
			{"sato", `/tb nurture Acme later please`, touchbase.ENOTFOUND, []string{`No open lead matches "Acme later please"`}},
			{"sato", `/tb nurture Epsilon`, touchbase.ENOTFOUND, []string{`No open lead matches "Epsilon"`}},
			{"sato", `/tb nurture Beta`, touchbase.EFORBIDDEN, []string{"owned by @kato"}},
		},
		"disqualify": {
			{"sato", `/tb disqualify`, touchbase.EINVALID, []string{"Say why it is disqualified", `/tb disqualify Acme reason:"student, not a buyer"`}},
			{"sato", `/tb disqualify Acme`, touchbase.EINVALID, []string{"Say why it is disqualified"}},
			{"sato", `/tb disqualify Acme reasn:x`, touchbase.EINVALID, []string{"reasn:", "Did you mean reason:?"}},
			{"sato", `/tb disqualify Nowhere reason:x`, touchbase.ENOTFOUND, []string{`No open or nurture lead matches "Nowhere"`}},
			{"sato", `/tb disqualify Beta reason:x`, touchbase.EFORBIDDEN, []string{"owned by @kato"}},
		},
		"help": {
			{"sato", `/tb help nosuch`, "", []string{`There is no command "nosuch"`}},
			{"sato", `/tb help lgo`, "", []string{`There is no command "lgo". Did you mean /log? See /tb help log.`}},
			{"sato", "/tb help\x00", touchbase.EINVALID, []string{"U+0000"}},
			{"sato", `/tb hlep`, touchbase.EINVALID, []string{`Unknown command "hlep". Did you mean /tb help?`}},
		},
		"team": {
			{"boss", `/tb team frob X`, touchbase.EINVALID, []string{`"frob" is not a team command`, "/tb team create NAME"}},
			{"boss", `/tb team ad "IS Tokyo" @ae`, touchbase.EINVALID, []string{"Did you mean /tb team add?"}},
			{"boss", `/tb taem list`, touchbase.EINVALID, []string{"Did you mean /tb team?"}},
		},
		"team list": {
			{"boss", `/tb team list "IS Tokyo"`, touchbase.EINVALID, []string{`unexpected "IS Tokyo"`, "Try: /tb team list"}},
			{"boss", `/tb teams list @sato`, touchbase.EINVALID, []string{`unexpected "@sato"`}},
			{"boss", "/tb team list\x7f", touchbase.EINVALID, []string{"U+007F"}},
		},
		"team create": {
			{"boss", `/tb team create`, touchbase.EINVALID, []string{"Which team?", "/tb team create NAME FUNCTION"}},
			{"boss", `/tb team create X`, touchbase.EINVALID, []string{"Which function?", team}},
			{"boss", `/tb team create X sales`, touchbase.EINVALID, []string{`"sales" is not a function`, "inside_sales"}},
			{"boss", `/tb team create X inside_sales tz:Mars/Base`, touchbase.EINVALID, []string{`tz: "Mars/Base" is not a time zone`, "tz:Asia/Tokyo"}},
			{"boss", `/tb team create X inside_sales tz:Local`, touchbase.EINVALID, []string{`tz: "Local"`}},
			{"boss", `/tb team create X inside_sales nowhere`, touchbase.EINVALID, []string{`"nowhere": after the function comes the team's channel`, team + " #is-tokyo"}},
			{"boss", `/tb team create "IS Tokyo" inside_sales`, touchbase.ECONFLICT, []string{`A team named "IS Tokyo" exists already`, "/tb team list"}},
			{"boss", `/tb team create "" inside_sales`, touchbase.EINVALID, []string{"The team needs a name", team}},
			{"boss", `/tb team create ` + long(201) + ` inside_sales`, touchbase.EINVALID, []string{"The team's name is 201 characters long"}},
			{"sato", `/tb team create X inside_sales`, touchbase.EFORBIDDEN, []string{"Only managers can change teams", "/tb team list"}},
		},
		"team add": {
			{"boss", `/tb team add`, touchbase.EINVALID, []string{"Which team?"}},
			{"boss", `/tb team add Nowhere @ae`, touchbase.ENOTFOUND, []string{`There is no team "Nowhere"`, team}},
			{"boss", `/tb team add "IS Tokyo"`, touchbase.EINVALID, []string{"Name the reps as @name", `/tb team add "IS Tokyo" @rep`}},
			{"boss", `/tb team add "IS Tokyo" ae`, touchbase.EINVALID, []string{`"ae" is not a rep`, `/tb team add "IS Tokyo" @rep`}},
			{"boss", `/tb team add "IS Tokyo" @` + long(201), touchbase.EINVALID, []string{"is not a rep", "@sato"}},
			{"sato", `/tb team add "IS Tokyo" @ae`, touchbase.EFORBIDDEN, []string{"Only managers can change teams"}},
		},
		"team remove": {
			{"boss", `/tb team remove`, touchbase.EINVALID, []string{"Which team?"}},
			{"boss", `/tb team rm Nowhere @kato`, touchbase.ENOTFOUND, []string{`There is no team "Nowhere"`}},
			{"boss", `/tb team remove "IS Tokyo"`, touchbase.EINVALID, []string{"Name the reps as @name", `/tb team remove "IS Tokyo" @rep`}},
			{"boss", `/tb team remove "IS Tokyo" kato`, touchbase.EINVALID, []string{`"kato" is not a rep`}},
			{"kato", `/tb team remove "IS Tokyo" @sato`, touchbase.EFORBIDDEN, []string{"Only managers can change teams"}},
		},
		"team manager": {
			{"boss", `/tb team manager`, touchbase.EINVALID, []string{"Which team?"}},
			{"boss", `/tb team manager Nowhere @boss`, touchbase.ENOTFOUND, []string{`There is no team "Nowhere"`}},
			{"boss", `/tb team manager "IS Tokyo"`, touchbase.EINVALID, []string{"Name the reps as @name", `/tb team manager "IS Tokyo" @rep`}},
			{"boss", `/tb team manager "IS Tokyo" boss`, touchbase.EINVALID, []string{`"boss" is not a rep`}},
			{"sato", `/tb team manager "IS Tokyo" @sato`, touchbase.EFORBIDDEN, []string{"Only managers can change teams"}},
		},
		"team holiday": {
			{"boss", `/tb team holiday`, touchbase.EINVALID, []string{"Which team?"}},
			{"boss", `/tb team holiday Nowhere 2027-01-04`, touchbase.ENOTFOUND, []string{`There is no team "Nowhere"`}},
			{"boss", `/tb team holiday "IS Tokyo"`, touchbase.EINVALID, []string{"Which days?", `/tb team holiday "IS Tokyo" 2026-12-28 2027-01-04`}},
			{"boss", `/tb team holiday "IS Tokyo" 2027-01-04 someday`, touchbase.EINVALID, []string{`date "someday" is not a date`, "2027-03-31"}},
			{"boss", `/tb team holiday "IS Tokyo" 2027-02-30`, touchbase.EINVALID, []string{"there is no February 30"}},
			{"sato", `/tb team holiday "IS Tokyo" 2027-01-04`, touchbase.EFORBIDDEN, []string{"Only managers can change teams"}},
		},
	}
}

// refusalScene builds the records the bad inputs aim at: teams with a
// manager, leads of two reps (one qualified, one disqualified), open and won
// opportunities, and a customer with a renewal due. Everyone who types a bad
// input has used touchbase before, except newbie.
func refusalScene(f *fixture) {
	for _, s := range [][2]string{
		{"boss", `/tb team create "IS Tokyo" inside_sales #is-tokyo tz:Asia/Tokyo`},
		{"boss", `/tb team add "IS Tokyo" @sato @kato`},
		{"boss", `/tb team manager "IS Tokyo" @boss`},
		{"boss", `/tb team create CS customer_success #cs`},
		{"boss", `/tb team add CS @kim`},
		{"sato", `/lead "Taro Yamada" company:"Acme KK" email:taro@acme.co.jp`}, // lead#1
		{"sato", `/qualify Acme b:yes n:yes`},
		{"kato", `/lead "Jiro Suzuki" company:"Beta Inc"`}, // lead#2
		{"sato", `/lead "Ken Ito" company:Epsilon`},        // lead#3
		{"sato", `/tb disqualify Epsilon reason:student`},
		{"ae", `/deal Gamma "ERP rollout" amount:$100k close:2027-03`}, // opp#1
		{"ae", `/deal Delta "Platform" amount:$50k`},                   // opp#2, won: kim keeps Delta
		{"ae", `/qualify Delta b:yes a:yes n:yes`},
		{"ae", `/stage Delta won`},
		{"ae", `/deal Zeta "Suite" amount:$20k`}, // opp#3, ready to be won
		{"ae", `/qualify Zeta b:yes a:yes n:yes`},
		{"kim", `/followups`},
	} {
		f.ok(s[0], s[1])
	}
}

// showsHow reports whether msg shows how to write the command right: a
// command or an option as an example, or the words the messages use to
// offer one.
var showsHow = regexp.MustCompile(`/[a-z]|\b[a-z]+:[^\s"]|\b([Tt]ry|as in|e\.g\.|[Ww]rite)\b`).MatchString

// snapshot returns a copy of the whole database file: it changes with any
// committed write, to records, indexes, claims or the outbox.
func (f *fixture) snapshot() []byte {
	f.tb.Helper()
	var b bytes.Buffer
	if _, err := f.db.Backup(context.Background(), &b); err != nil {
		f.tb.Fatal(err)
	}
	return b.Bytes()
}

// Ensure every verb of the parser's table, and every sub-command of /tb
// team, refuses bad input (missing words, wrong kinds, bad amounts and
// dates, unknown names and stages, out-of-range values, mistyped options,
// input too long, control characters, someone else's record) with a
// message that says what was wrong and how to write it, and that nothing
// is written: the database file is byte for byte as it was.
func TestHandler_BadInput(t *testing.T) {
	cases := badInputs()
	// Every verb and sub-command has bad inputs, and every key is one.
	keys := handlers.VerbNames()
	for _, s := range handlers.TeamSubcommands() {
		keys = append(keys, "team "+s)
	}
	for _, k := range keys {
		if len(cases[k]) < 3 {
			t.Errorf("%q has %d bad inputs, want at least 3: add them to badInputs", k, len(cases[k]))
		}
	}
	for k := range cases {
		if !slices.Contains(keys, k) {
			t.Errorf("badInputs has %q, which is no verb or /tb team sub-command", k)
		}
	}

	f := newFixture(t)
	refusalScene(f)
	before, exported := f.snapshot(), f.export()
	for _, k := range slices.Sorted(maps.Keys(cases)) {
		for _, tt := range cases[k] {
			name := fmt.Sprintf("%s %.60q", tt.user, tt.line)
			// The line is filed under the verb (and sub-command) it is.
			if cmd, err := handlers.ParseCommand(tt.line); err == nil {
				got := cmd.Verb
				if cmd.Verb == "team" && strings.HasPrefix(k, "team ") && len(cmd.Args) > 0 {
					got = k // the sub-command's own alias is checked by the answer
				}
				if got != k {
					t.Errorf("%s: parses as %q, filed under %q", name, cmd.Verb, k)
				}
			}
			r, err := f.h.Handle(context.Background(), user(tt.user), tt.line)
			var msg string
			switch {
			case tt.code == "":
				if err != nil {
					t.Errorf("%s: %v, want an answer with a warning", name, err)
					continue
				}
				msg = strings.Join(r.Warnings, " ")
			case err == nil:
				t.Errorf("%s: answered %.200q, want a refusal (%s)", name, r.Text(), tt.code)
				continue
			default:
				if got := touchbase.ErrorCode(err); got != tt.code {
					t.Errorf("%s: code=%s, want %s (%v)", name, got, tt.code, err)
				}
				msg = touchbase.ErrorMessage(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%s: message %q lacks %q", name, msg, w)
				}
			}
			if (tt.code == touchbase.EINVALID || tt.code == touchbase.ENOTFOUND) && !showsHow(msg) {
				t.Errorf("%s: message %q shows no example of how to write it", name, msg)
			}
			if n := utf8.RuneCountInString(msg); n > 600 || strings.ContainsFunc(msg, unicode.IsControl) {
				t.Errorf("%s: message of %d characters echoes the input: %.200q", name, n, msg)
			}
			if !bytes.Equal(f.snapshot(), before) {
				if after := f.export(); after != exported {
					t.Fatalf("%s changed the records:\nbefore %s\nafter %s", name, exported, after)
				}
				t.Fatalf("%s wrote to the database (an index, a claim or the outbox)", name)
			}
		}
	}
}
