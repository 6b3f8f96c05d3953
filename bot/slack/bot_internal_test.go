package slack

import "testing"

// Ensure a slash command becomes the line the rep typed: Slack's escapes
// undone once, in one pass, and nothing else changed.
func TestCommandLine(t *testing.T) {
	for _, tt := range []struct {
		command, text, want string
	}{
		// Ensure a plain command is joined to its verb.
		{"/log", "call Acme asked for pricing", "/log call Acme asked for pricing"},
		// Ensure an empty text leaves the verb alone.
		{"/tb", "", "/tb"},
		// Ensure each of Slack's escapes is undone.
		{"/log", "call Acme R&amp;D &lt;urgent&gt;", "/log call Acme R&D <urgent>"},
		// Ensure an escape is undone once: "&amp;lt;" is what the rep typed as "&lt;".
		{"/log", "call Acme &amp;lt; &amp;amp;", "/log call Acme &lt; &amp;"},
		// Ensure a bare ampersand and unknown entities stay as they are.
		{"/log", "call A&B &quot;x&quot; &", "/log call A&B &quot;x&quot; &"},
		// Ensure mentions, which Slack sends unescaped, stay whole.
		{"/stage", "opp#1 next <@U123|taro>", "/stage opp#1 next <@U123|taro>"},
		// Ensure surrounding space is trimmed.
		{"/tb", "  help  ", "/tb   help"},
	} {
		if got := commandLine(tt.command, tt.text); got != tt.want {
			t.Fatalf("commandLine(%q, %q)=%q, want %q", tt.command, tt.text, got, tt.want)
		}
	}
}
