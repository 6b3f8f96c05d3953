// Package console is the terminal platform of touchbase: the same commands as
// in chat, typed one per line, for trying touchbase without Slack and for
// scripted use.
package console

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// Console reads commands from In and writes answers to Out.
type Console struct {
	Handler *handlers.Handler
	User    handlers.User
	In      io.Reader
	Out     io.Writer
	// Interactive prompts for input and walks through forms (the BANT
	// questions) one question at a time; set it when In is a terminal.
	Interactive bool
	Logger      *slog.Logger

	choices []handlers.Choice // of the last ambiguous answer
	lines   *bufio.Scanner
}

// New returns a Console for user on h.
func New(h *handlers.Handler, user handlers.User, in io.Reader, out io.Writer) *Console {
	return &Console{Handler: h, User: user, In: in, Out: out, Logger: slog.New(slog.DiscardHandler)}
}

// Run answers each line until the end of input or ctx is done. Refused
// commands print their reason and the session goes on; blank lines and lines
// starting with # are skipped, so scripts can carry comments.
func (c *Console) Run(ctx context.Context) error {
	c.lines = bufio.NewScanner(c.In)
	c.lines.Buffer(make([]byte, 64*1024), 1<<20)
	if c.Interactive {
		fmt.Fprintf(c.Out, "touchbase console as %s. Type /tb help for the commands, Ctrl-D to quit.\n", c.User.ID)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, ok := c.read("> ")
		if !ok {
			return c.lines.Err()
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if n, err := strconv.Atoi(line); err == nil {
			if len(c.choices) == 0 {
				fmt.Fprintln(c.Out, "✗ There is no list to pick from: a number answers a list of choices.")
				continue
			}
			if n < 1 || n > len(c.choices) {
				fmt.Fprintf(c.Out, "✗ Pick a number from 1 to %d.\n", len(c.choices))
				continue
			}
			line = c.choices[n-1].Command
		}
		c.choices = nil
		if !c.Interactive {
			fmt.Fprintf(c.Out, "> %s\n", line)
		}
		c.exec(ctx, line)
	}
}

func (c *Console) read(prompt string) (string, bool) {
	if c.Interactive {
		fmt.Fprint(c.Out, prompt)
	}
	if !c.lines.Scan() {
		return "", false
	}
	return c.lines.Text(), true
}

// exec runs one line, as a request of its own (with its own request id).
func (c *Console) exec(ctx context.Context, line string) {
	ctx = touchbase.WithRequestID(ctx, touchbase.NewRequestID())
	reply, err := c.Handler.Handle(ctx, c.User, line)
	if err != nil {
		c.printError(ctx, err)
		return
	}
	if reply.Form != nil {
		if c.Interactive {
			if cmd, ok := c.fillForm(reply); ok {
				c.exec(ctx, cmd)
			}
			return
		}
		reply.Lines = append(reply.Lines, formHint(reply.Form))
	}
	fmt.Fprint(c.Out, reply.Text())
	now := c.Handler.Now()
	for _, n := range reply.Notices {
		when := ""
		if n.At.After(now.Add(time.Minute)) {
			when = ", " + n.At.Format("Mon Jan 2 15:04 MST")
		}
		fmt.Fprintf(c.Out, "  (to @%s%s) %s", n.To, when, n.Reply.Text())
	}
	c.choices = reply.Choices
}

// printError shows a refusal as its message; an internal error is logged
// with a reference the user can quote.
func (c *Console) printError(ctx context.Context, err error) {
	if touchbase.ErrorCode(err) != touchbase.EINTERNAL {
		fmt.Fprintf(c.Out, "✗ %s\n", touchbase.ErrorMessage(err))
		return
	}
	ref := newRef()
	c.Logger.ErrorContext(ctx, "command failed", slog.String("ref", ref), slog.Any("error", err))
	fmt.Fprintf(c.Out, "✗ %s (reference %s)\n", touchbase.ErrorMessage(err), ref)
}

func newRef() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// fillForm asks a form's questions one at a time and returns the command
// its answers make.
func (c *Console) fillForm(r *handlers.Reply) (string, bool) {
	f := r.Form
	fmt.Fprintln(c.Out, r.Title)
	fmt.Fprintln(c.Out, "Answer yes, no or unknown, optionally followed by a note (\"yes 5m\"); Enter keeps the current answer.")
	answers, notes := map[string]string{}, map[string]string{}
	for _, q := range f.Questions {
		for {
			cur := q.Current
			if q.Note != "" {
				cur += " " + q.Note
			}
			line, ok := c.read(fmt.Sprintf("%s — %s [%s]: ", q.Label, q.Prompt, cur))
			if !ok {
				return "", false
			}
			line = strings.TrimSpace(line)
			if line == "" {
				answers[q.Key], notes[q.Key] = q.Current, q.Note
				break
			}
			word, note, _ := strings.Cut(line, " ")
			if _, ok := touchbase.ParseAnswer(word); !ok {
				fmt.Fprintln(c.Out, "  Please answer yes, no or unknown (a note may follow).")
				continue
			}
			answers[q.Key], notes[q.Key] = word, note
			break
		}
	}
	return handlers.BANTCommand(f.Target, answers, notes), true
}

func formHint(f *handlers.Form) string {
	return fmt.Sprintf("Answer in one line: /qualify %s b:yes a:no n:yes t:2027-03 (yes, no or unknown; a note may follow, as b:\"yes 5m\").", f.Target)
}
