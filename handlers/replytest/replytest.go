// Package replytest holds the neutral replies that every chat platform's
// tests render, so that Slack's blocks and Teams' cards are checked against
// the same answers the handlers give.
package replytest

import "github.com/touchbase/touchbase/handlers"

// Case is a named reply.
type Case struct {
	Name  string
	Reply *handlers.Reply
}

// Replies are the answers every platform must render: a logged touch, a
// qualified lead with its Convert button, an ambiguous name with its
// choices, and a new lead with a duplicate warning.
func Replies() []Case {
	return []Case{
		{"log", &handlers.Reply{
			Title: "Logged call with Taro Yamada (Acme KK) — touch 3 of 5. Next follow-up: Fri 2026-11-27.",
			Lines: []string{"“asked for pricing, sending quote <today> & call back”", "Next step: call about the proposal"},
		}},
		{"qualify", &handlers.Reply{
			Title: "BANT for Taro Yamada (Acme KK): B✓ A✗ N✓ T? — 2 of 4 yes.",
			Fields: []handlers.Field{
				{Label: "Budget", Value: "yes — ¥5,000,000"}, {Label: "Authority", Value: "no — Sato, CIO decides"},
				{Label: "Need", Value: "yes — replace the old ERP"}, {Label: "Timeline", Value: "unknown"},
			},
			Lines:   []string{"Qualified (2 of 4 needed). Convert it into an opportunity when ready."},
			Actions: []handlers.Action{{Label: "Convert to opportunity", Command: "convert lead#12", Primary: true}},
		}},
		{"ambiguous", &handlers.Reply{
			Title: `"acme" matches 3 records. Which one?`,
			Choices: []handlers.Choice{
				{Label: "Lead Taro Yamada (Acme KK) — working, 2 touches, owner @taro", Command: `log call lead#12 "asked for pricing"`},
				{Label: "Opportunity Acme KK: ERP rollout — stage 3 Value proposition, ¥5,000,000, owner @hanako", Command: `log call opp#7 "asked for pricing"`},
				{Label: "Opportunity Acme Holdings: Support plan — stage 1 Discovery, $120,000, owner @ken", Command: `log call opp#9 "asked for pricing"`},
			},
		}},
		{"lead", &handlers.Reply{
			Title: "Added lead Hanako Sato (Beta Inc.) (lead#13), owner @hanako.",
			Fields: []handlers.Field{
				{Label: "Company", Value: "Beta Inc."}, {Label: "Phone", Value: "03-1234-5678"},
				{Label: "Status", Value: "new"}, {Label: "Next follow-up", Value: "Mon 2026-11-23"},
			},
			Warnings: []string{"Possible duplicate: Hanako Sato (Beta Inc.) (working, owner @ken, lead#4)."},
			Actions:  []handlers.Action{{Label: "Log call", Command: "log call lead#13"}, {Label: "Qualify", Command: "qualify lead#13"}},
		}},
	}
}

// BANTForm is the Form the handlers return for /qualify Acme on a lead
// with Budget yes and Authority no.
func BANTForm() *handlers.Form {
	return &handlers.Form{
		Kind: handlers.FormBANT, Title: "Qualify Taro Yamada (Acme KK)", Target: "lead#12",
		Questions: []handlers.Question{
			{Key: "b", Label: "Budget", Prompt: "Is there a budget for this? (amount, if known)", Current: "yes", Note: "¥5,000,000", Options: []string{"yes", "no", "unknown"}},
			{Key: "a", Label: "Authority", Prompt: "Are we talking to the decision maker? (who decides)", Current: "no", Note: "Sato, CIO", Options: []string{"yes", "no", "unknown"}},
			{Key: "n", Label: "Need", Prompt: "Is there a clear need? (in a few words)", Current: "unknown", Options: []string{"yes", "no", "unknown"}},
			{Key: "t", Label: "Timeline", Prompt: "Is there a timeline to buy? (target date)", Current: "unknown", Options: []string{"yes", "no", "unknown"}},
		},
	}
}
