package handlers

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/touchbase/touchbase"
)

// ExportVersion is the version of the export format.
const ExportVersion = 1

// Export is the complete data of a workspace, as `touchbase export` writes it
// and `touchbase import` reads it back. Import(Export(db)) gives the same data.
type Export struct {
	Version       int                   `json:"version"`
	ExportedAt    time.Time             `json:"exported_at"`
	Teams         []*touchbase.Team     `json:"teams"`
	Reps          []*touchbase.Rep      `json:"reps"`
	Campaigns     []*touchbase.Campaign `json:"campaigns"`
	Accounts      []*touchbase.Account  `json:"accounts"`
	Contacts      []*touchbase.Contact  `json:"contacts"`
	Leads         []*ExportLead         `json:"leads"`
	Opportunities []*ExportOpportunity  `json:"opportunities"`
	Activities    []*touchbase.Activity `json:"activities"`
	Handoffs      []*touchbase.Handoff  `json:"handoffs"`
	Renewals      []*touchbase.Renewal  `json:"renewals"`
}

// ExportBANT is BANT as four answers ("yes", "no", "unknown"), with the notes
// beside them.
type ExportBANT struct {
	Budget    touchbase.Answer `json:"budget"`
	Authority touchbase.Answer `json:"authority"`
	Need      touchbase.Answer `json:"need"`
	Timeline  touchbase.Answer `json:"timeline"`
}

// ExportBANTNotes are the notes of the four BANT answers.
type ExportBANTNotes struct {
	Budget    string `json:"budget,omitempty"`
	Authority string `json:"authority,omitempty"`
	Need      string `json:"need,omitempty"`
	Timeline  string `json:"timeline,omitempty"`
}

func exportBANT(b touchbase.BANT) (ExportBANT, ExportBANTNotes) {
	return ExportBANT{b.Budget.Answer, b.Authority.Answer, b.Need.Answer, b.Timeline.Answer},
		ExportBANTNotes{b.Budget.Note, b.Authority.Note, b.Need.Note, b.Timeline.Note}
}

func importBANT(a ExportBANT, n ExportBANTNotes) touchbase.BANT {
	return touchbase.BANT{
		Budget: touchbase.BANTItem{Answer: a.Budget, Note: n.Budget}, Authority: touchbase.BANTItem{Answer: a.Authority, Note: n.Authority},
		Need: touchbase.BANTItem{Answer: a.Need, Note: n.Need}, Timeline: touchbase.BANTItem{Answer: a.Timeline, Note: n.Timeline},
	}
}

// ExportLead is a lead with its BANT as plain answers.
type ExportLead struct {
	*touchbase.Lead
	BANT      ExportBANT      `json:"bant"`
	BANTNotes ExportBANTNotes `json:"bant_notes"`
}

// ExportOpportunity is an opportunity with its stage's name and probability
// spelled out, and its BANT as plain answers.
type ExportOpportunity struct {
	*touchbase.Opportunity
	StageName   string          `json:"stage_name"`
	Probability int             `json:"probability"`
	BANT        ExportBANT      `json:"bant"`
	BANTNotes   ExportBANTNotes `json:"bant_notes"`
}

// ExportData reads everything in one read transaction, so the export is a
// consistent picture even while reps keep working.
func ExportData(ctx context.Context, db DB, cfg *touchbase.Config, now time.Time) (*Export, error) {
	x := &Export{Version: ExportVersion, ExportedAt: now.UTC()}
	err := db.View(ctx, func(tx touchbase.Tx) error {
		var err error
		if x.Teams, err = tx.Teams(); err != nil {
			return err
		}
		if x.Reps, err = tx.Reps(); err != nil {
			return err
		}
		if x.Campaigns, err = tx.Campaigns(); err != nil {
			return err
		}
		if x.Accounts, err = tx.Accounts(); err != nil {
			return err
		}
		if x.Contacts, err = tx.Contacts(); err != nil {
			return err
		}
		leads, err := tx.Leads(touchbase.LeadFilter{})
		if err != nil {
			return err
		}
		for _, l := range leads {
			e := &ExportLead{Lead: l}
			e.BANT, e.BANTNotes = exportBANT(l.BANT)
			x.Leads = append(x.Leads, e)
		}
		opps, err := tx.Opportunities(touchbase.OpportunityFilter{})
		if err != nil {
			return err
		}
		for _, o := range opps {
			e := &ExportOpportunity{Opportunity: o, StageName: cfg.StageName(o.Stage), Probability: cfg.Probability(o)}
			e.BANT, e.BANTNotes = exportBANT(o.BANT)
			x.Opportunities = append(x.Opportunities, e)
		}
		if err := tx.Activities(touchbase.ActivityFilter{}, func(a *touchbase.Activity) error {
			x.Activities = append(x.Activities, a)
			return nil
		}); err != nil {
			return err
		}
		if x.Handoffs, err = tx.Handoffs(); err != nil {
			return err
		}
		x.Renewals, err = tx.Renewals(touchbase.RenewalFilter{})
		return err
	})
	if err != nil {
		return nil, err
	}
	x.fillEmpty()
	return x, nil
}

// fillEmpty makes every list an array in JSON, never null.
func (x *Export) fillEmpty() {
	if x.Teams == nil {
		x.Teams = []*touchbase.Team{}
	}
	for _, t := range x.Teams {
		if t.Members == nil {
			t.Members = []string{}
		}
		if t.Managers == nil {
			t.Managers = []string{}
		}
	}
	if x.Reps == nil {
		x.Reps = []*touchbase.Rep{}
	}
	if x.Campaigns == nil {
		x.Campaigns = []*touchbase.Campaign{}
	}
	if x.Accounts == nil {
		x.Accounts = []*touchbase.Account{}
	}
	if x.Contacts == nil {
		x.Contacts = []*touchbase.Contact{}
	}
	if x.Leads == nil {
		x.Leads = []*ExportLead{}
	}
	if x.Opportunities == nil {
		x.Opportunities = []*ExportOpportunity{}
	}
	if x.Activities == nil {
		x.Activities = []*touchbase.Activity{}
	}
	if x.Handoffs == nil {
		x.Handoffs = []*touchbase.Handoff{}
	}
	if x.Renewals == nil {
		x.Renewals = []*touchbase.Renewal{}
	}
}

// WriteJSON writes x as indented JSON.
func (x *Export) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(x)
}

// ReadExport decodes an export, refusing unknown fields and versions so that
// nothing is silently dropped.
func ReadExport(r io.Reader) (*Export, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	x := &Export{}
	if err := dec.Decode(x); err != nil {
		return nil, touchbase.Errorf(touchbase.EINVALID, "the file is not a touchbase export: %v", err)
	}
	if x.Version != ExportVersion {
		return nil, errVersion(x.Version)
	}
	return x, nil
}

// CSVFiles are the tables `touchbase export --format csv` writes, by file name.
var CSVFiles = []string{"leads.csv", "contacts.csv", "opportunities.csv", "activities.csv"}

// WriteCSV writes one of CSVFiles for a spreadsheet.
func (x *Export) WriteCSV(name string, w io.Writer) error {
	cw := csv.NewWriter(w)
	u := func(n uint64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatUint(n, 10)
	}
	var rows [][]string
	switch name {
	case "leads.csv":
		rows = append(rows, []string{"id", "name", "company", "email", "phone", "title", "source", "owner", "status", "budget", "authority", "need", "timeline", "touches", "next_follow_up", "created_at"})
		for _, l := range x.Leads {
			rows = append(rows, []string{u(l.ID), l.Name, l.Company, l.Email, l.Phone, l.Title, l.Source, l.Owner, string(l.Status),
				l.BANT.Budget.String(), l.BANT.Authority.String(), l.BANT.Need.String(), l.BANT.Timeline.String(),
				strconv.Itoa(l.Touches), l.NextFollowUp.String(), l.CreatedAt.Format(time.RFC3339)})
		}
	case "contacts.csv":
		rows = append(rows, []string{"id", "account_id", "name", "title", "email", "phone", "role"})
		for _, c := range x.Contacts {
			rows = append(rows, []string{u(c.ID), u(c.AccountID), c.Name, c.Title, c.Email, c.Phone, string(c.Role)})
		}
	case "opportunities.csv":
		rows = append(rows, []string{"id", "account_id", "name", "amount", "amount_minor", "currency", "close_date", "stage", "stage_name", "probability", "owner", "status", "lost_reason", "touches", "next_follow_up", "source"})
		for _, o := range x.Opportunities {
			rows = append(rows, []string{u(o.ID), u(o.AccountID), o.Name, touchbase.FormatMoney(o.Amount()), strconv.FormatInt(o.AmountMinor, 10), o.Currency,
				o.CloseDate.String(), strconv.Itoa(o.Stage), o.StageName, strconv.Itoa(o.Probability), o.Owner, string(o.Status), o.LostReason,
				strconv.Itoa(o.Touches), o.NextFollowUp.String(), o.Source})
		}
	case "activities.csv":
		rows = append(rows, []string{"id", "kind", "owner", "at", "lead_id", "opportunity_id", "note", "next_step", "next_date"})
		for _, a := range x.Activities {
			rows = append(rows, []string{u(a.ID), string(a.Kind), a.Owner, a.At.Format(time.RFC3339), u(a.LeadID), u(a.OpportunityID), a.Note, a.NextStep, a.NextDate.String()})
		}
	default:
		return fmt.Errorf("handlers: no csv table %q", name)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("handlers: write %s: %w", name, err)
	}
	return nil
}
