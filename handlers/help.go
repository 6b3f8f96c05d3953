package handlers

import "fmt"

// help lists the commands, or explains one with its examples.
func help(args []string) *Reply {
	if len(args) > 0 {
		if v := findVerb(args[0]); v != nil {
			r := &Reply{Title: v.Usage, Lines: []string{v.Summary, "Examples:"}}
			for _, e := range v.Examples {
				r.Lines = append(r.Lines, "  "+e)
			}
			if len(v.Aliases) > 0 {
				r.Lines = append(r.Lines, fmt.Sprintf("Also: /tb %s, and without the slash in a direct message.", v.Verb))
			}
			return r
		}
	}
	r := &Reply{Title: "touchbase: log every touch, qualify with BANT, move deals forward. Every command also works as /tb VERB, and without the slash in a DM."}
	for _, v := range verbs {
		r.Lines = append(r.Lines, fmt.Sprintf("%-15s %s", v.slash(), v.Summary))
	}
	r.Lines = append(r.Lines, "Amounts: 5000000, 5,000,000, 5m, 1.2k, 500万, ¥5,000,000, $120k. Dates: 2027-03-31, 2027-03, today, tomorrow, fri, next mon, +3d, +2w.",
		"Names match forgivingly: \"acme\", \"ACME KK\" and \"Ａｃｍｅ\" all find Acme KK. /tb help VERB for more.")
	if len(args) > 0 {
		w := "There is no command " + quoteWord(args[0]) + "."
		if near := nearestVerb(args[0]); near != nil {
			w += " Did you mean " + near.slash() + "? See /tb help " + near.Verb + "."
		}
		r.Warnings = append(r.Warnings, w)
	}
	return r
}
