package handlers

// Internals that the tests of package handlers_test read, so that their
// tables cover every verb and sub-command the parser knows.

// VerbNames returns the verbs of the parser's table, in its order.
func VerbNames() []string {
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = v.Verb
	}
	return names
}

// TeamSubcommands returns the sub-commands of /tb team, by their names.
func TeamSubcommands() []string {
	names := make([]string, len(teamSubs))
	for i, s := range teamSubs {
		names[i] = s[0]
	}
	return names
}
