package touchbase

import (
	"fmt"
	"strings"
)

// Stage is one step of the opportunity process.
type Stage struct {
	Name        string `json:"name" yaml:"name"`
	Probability int    `json:"probability" yaml:"probability"` // percent, 0..100
	AvgDays     int    `json:"avg_days" yaml:"avg_days"`       // days beyond which a deal is stalled; 0 = no limit
	Gates       []Gate `json:"gates,omitempty" yaml:"gates,omitempty"`
}

// Gate is an entry condition of a stage. A move into (or past) a stage whose
// gate fails is refused with the reason and what to do.
type Gate string

// Gates that a stage may carry.
const (
	GateQualified Gate = "bant_qualified" // BANT has at least the threshold of yes
	GateBudget    Gate = "budget"         // Budget = yes
	GateAuthority Gate = "authority"      // Authority = yes
	GateNeed      Gate = "need"           // Need = yes
	GateTimeline  Gate = "timeline"       // Timeline = yes
	GateAmount    Gate = "amount"         // the opportunity has an amount
	GateCloseDate Gate = "close_date"     // the opportunity has a close date
)

// Valid reports whether g is a known gate.
func (g Gate) Valid() bool {
	switch g {
	case GateQualified, GateBudget, GateAuthority, GateNeed, GateTimeline, GateAmount, GateCloseDate:
		return true
	}
	return false
}

// Check returns nil when o passes g, or an EINVALID error naming the stage,
// what is missing and the command that provides it.
func (g Gate) Check(o *Opportunity, threshold int, stage string) error {
	ref := o.Name
	need := func(letter string, i int) error {
		if o.BANT.Item(i).Answer == Yes {
			return nil
		}
		return Errorf(EINVALID, "%q needs %s = yes, and %s is %s. Record it first: /qualify %s %s:yes",
			stage, BANTLetters[i].Name, BANTLetters[i].Name, o.BANT.Item(i).Answer, quoteArg(ref), letter)
	}
	switch g {
	case GateQualified:
		if o.BANT.Qualified(threshold) {
			return nil
		}
		return Errorf(EINVALID, "%q needs a qualified BANT (%d of 4 yes), and it has %d (%s). Record it first: /qualify %s b:yes n:yes",
			stage, threshold, o.BANT.Yes(), o.BANT.Summary(), quoteArg(ref))
	case GateBudget:
		return need("b", 0)
	case GateAuthority:
		return need("a", 1)
	case GateNeed:
		return need("n", 2)
	case GateTimeline:
		return need("t", 3)
	case GateAmount:
		if o.AmountMinor > 0 {
			return nil
		}
		return Errorf(EINVALID, "%q needs an amount, and %s has none. Add it in the same command: /stage %s won amount:5,000,000",
			stage, quoteArg(ref), quoteArg(ref))
	case GateCloseDate:
		if !o.CloseDate.IsZero() {
			return nil
		}
		return Errorf(EINVALID, "%q needs a close date. Add it in the same command: /stage %s next close:2027-03-31", stage, quoteArg(ref))
	}
	return Errorf(EINTERNAL, "unknown gate %q", g)
}

// quoteArg quotes s for a command line when it has spaces.
func quoteArg(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}

// DefaultStages returns Salesforce Japan's eight stages: the last is "Closed
// won". Stage 2 needs a qualified BANT, stage 4 Authority = yes, and winning
// needs an amount.
func DefaultStages() []Stage {
	return []Stage{
		{Name: "Discovery", Probability: 0, AvgDays: 7},
		{Name: "Needs definition", Probability: 15, AvgDays: 14, Gates: []Gate{GateQualified}},
		{Name: "Value proposition", Probability: 25, AvgDays: 14},
		{Name: "Decision-maker approval", Probability: 50, AvgDays: 21, Gates: []Gate{GateAuthority}},
		{Name: "Risk removal", Probability: 70, AvgDays: 40},
		{Name: "Contract agreement", Probability: 90, AvgDays: 50},
		{Name: "Paperwork", Probability: 95, AvgDays: 50},
		{Name: "Closed won", Probability: 100, Gates: []Gate{GateAmount}},
	}
}

// Move is a planned stage change: where from, where to, and what the rep
// should be told besides.
type Move struct {
	From, To int // 1-based positions in the stage list
	Kind     StageChangeKind
	Warning  string // set when stages are skipped
}

// PlanMove checks moving o to the 1-based stage to. Moving forward checks the
// gates of every stage entered or skipped (skipping never bypasses a gate) and
// warns about the skipped ones; moving back is allowed and marked as such.
// Moving to the last stage wins the opportunity.
func (c *Config) PlanMove(o *Opportunity, to int) (Move, error) {
	n := len(c.Stages)
	if o.Status != OpportunityOpen {
		return Move{}, Errorf(ECONFLICT, "%s is already %s; only open opportunities change stage.", o.Name, o.Status)
	}
	if to < 1 || to > n {
		return Move{}, Errorf(EINVALID, "there is no stage %d: the stages are 1 to %d (see /tb help stage).", to, n)
	}
	m := Move{From: o.Stage, To: to, Kind: StageAdvance}
	switch {
	case to == o.Stage:
		return Move{}, Errorf(ECONFLICT, "%s is already at stage %d %q.", o.Name, to, c.Stages[to-1].Name)
	case to < o.Stage:
		m.Kind = StageBack
		return m, nil
	}
	for s := o.Stage + 1; s <= to; s++ {
		st := c.Stages[s-1]
		for _, g := range st.Gates {
			if err := g.Check(o, c.BANTThreshold, st.Name); err != nil {
				return Move{}, err
			}
		}
	}
	if to == n {
		m.Kind = StageWon
	}
	if skipped := to - o.Stage - 1; skipped > 0 && to != n {
		names := make([]string, 0, skipped)
		for s := o.Stage + 1; s < to; s++ {
			names = append(names, c.Stages[s-1].Name)
		}
		m.Warning = fmt.Sprintf("Skipped %s.", strings.Join(names, ", "))
	}
	return m, nil
}

// StageByName finds a stage by a prefix of its name, forgivingly (case,
// width). It returns the 1-based position, or 0 when none or several match.
func (c *Config) StageByName(s string) int {
	key := Fold(s)
	if key == "" {
		return 0
	}
	found := 0
	for i, st := range c.Stages {
		name := Fold(st.Name)
		if name == key {
			return i + 1
		}
		if strings.HasPrefix(name, key) {
			if found != 0 {
				return 0
			}
			found = i + 1
		}
	}
	return found
}
