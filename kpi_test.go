package touchbase_test

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
)

// The fixture week. Times are in UTC; "d5 14h" is June 5, 2026, 14:00 and
// "d-9" is June -9 = May 22 (10:00 unless an hour is given). June 1, 2026
// is a Monday. The digest ends Monday d15 9h:
//
//	last week  [d1 9h, d8 9h)   ends on the day d8 (Mon)
//	this week  [d8 9h, d15 9h)  ends on the day d15 (Mon)
//
// Sources: W = Webinar, S = Seminar, R = Referral. Reps: is1, is2 (Inside
// Sales), ae1, ae2 (Field Sales), cs1 (Customer Success), mk1 (Marketing).
// Config: DefaultConfig (8 stages; cadence 5 touches at 2, 3, 5, 7
// business days).
//
// Leads (id name src owner created status; qualified, closed; next follow-up)
// and their touches (activity times; n = touches before d1 9h / d8 9h / d15 9h):
//
//	 1 A W is1 d-10 converted  q d-3  closed d3 (ConvertedAt zero: UpdatedAt)  touches d-9 d-6 d-4 | d2              n 3/4/4
//	 2 B W is1 d-6  converted  q d2   closed d4                                  touches d-5 | d1 12h, d3           n 1/3/3
//	 3 C S is2 d-6  converted  q d3 11h closed d9                                touches d-4 | d2 d5 | d8 14h       n 1/3/4
//	 4 D S is2 d-12 disqualif. q d-2  closed d10                                 touches d-11 d-9 d-6 d-2 | d3 | d9 n 4/5/6
//	 5 E R is1 d-1  qualified  q d5          next d10                            touches d1 10h, d4                 n 0/2/2
//	 6 F W is1 d2   qualified  q d9          next d16                            touches d2 15h, d5 (next:d6) | d9 d11  n 0/2/4
//	 7 G W is2 d4   qualified  q d10         next d12                            touches d4 15h | d10               n 0/1/2
//	 8 H S is2 d8 12h qualified q d11        next d15                            touches d8 13h, d11                n 0/0/2
//	 9 I R is1 d9   qualified  q d12         next d16                            touches d9 11h, d12                n 0/0/2
//	10 J R is1 d3   converted  q d10 14h closed d11                              touches d3 12h | d10               n 0/1/2
//	11 K W is1 d-8  working                  next d14                            touches d-6 d-4 | d2 d4 d6(note) | d8 9h, d11  n 2/5/7
//	12 L S is2 d-5  working                  next d-3                            touches d-5 12h                    n 1/1/1
//	13 M W is1 d10  new                      next d10                            -                                  n 0/0/0
//	14 N R is2 d-20 nurture          closed d6                                   touches d-19 d-15                  n 2/2/2
//	15 O W is1 d5   disqualif.       closed d12                                  touches d5 14h | d8 10h            n 0/1/2
//	16 P S is2 d9   working                  next d11                            touches d9 12h                     n 0/0/1
//	17 Q W is1 d12 8h working                next d16                            touches d12                        n 0/0/1
//	18 R R is2 d1   working                  next d17                            touches d1 11h, d3, d5 | d8 15h, d10(demo)  n 0/3/5
//	19 S W is1 d-2  new                      next d-2                            -                                  n 0/0/0
//	20 T S is2 d13 9h disqualif.     closed d14                                  touches d13                        n 0/0/1
//
// Opportunities (id src owner created amount; history; status):
//
//	 O1 W ae1 d3  $10,000   created→1 d3, →2 d5, →3 d9                     open, next d13
//	 O2 W ae2 d4  $20,000   created→1 d4, →2 d6, won 2→8 d8 12h            won d8 12h
//	 O3 S is2 d9  $5,000    created→1 d9, sent_back 1→1 d12 (was ae1's)    open, next d12
//	 O4 R ae2 d11 ¥3,000,000 created→1 d11                                 open, next d13
//	 O5 S ae1 d-40 $50,000  →1 d-40, →2 d-35, →3 d-30, →4 d-20             open, next d19
//	 O6 R ae2 d-30 $30,000  →1 d-30, →2 d-25, →3 d-20, →4 d2, back 4→3 d10 open, next d15
//	 O7 W ae1 d-20 $15,000  →1 d-20, →2 d-15, lost d3                      lost d3
//	 O8 S ae2 d-25 $40,000  →1 d-25, →3 d-20, →6 d-10, won 6→8 d2          won d2
//	 O9 R ae2 d-10 ¥1,000,000 →1 d-10, →2 d-5, lost d12 (ClosedAt zero)    lost d12
//	O10 S ae1 d-50 $25,000  →1 d-50, →5 d-40, →7 d-5, won 7→8 d10          won d10
//	O11 W cs1 d9  $8,000 upsell      created→1 d9                          open, next d12
//	O12 W cs1 d3  $3,000 cross_sell  created→1 d3                          open, next d8
//	O13 R ae1 d13 $12,000   created→1 d13                                  open, next d17
//
// Opportunity touches: O1 ae1 d5 11h meeting | d9 12h demo, d11 email;
// O2 ae2 d6 11h call | d8 10h proposal; O3 ae1 d10 12h call; O5 ae1 d-25
// meeting, d12 call; O6 ae2 d2 11h meeting | d10 11h note; O9 ae2 d3 11h
// email; O10 ae1 d4 11h proposal | d9 14h call; O11 cs1 d10 13h meeting;
// O12 cs1 d4 12h call.
//
// How each figure was computed by hand (last week | this week):
//
//	Marketing
//	  new leads            F G J O R = 5                        | H I M P Q T = 6
//	    by source          Seminar 0, Webinar 3 (F G O), Referral 2 (J R) | Seminar 3 (H P T), Webinar 2 (M Q), Referral 1 (I)
//	  MQLs (kind mql)      F d2, G d4, R d1 = 3                 | H d8 13h, I d9, M d10, Q d12 9h = 4 (S d-2, E d-1 before; X d15 9h = end, after)
//	  returned             0                                    | T d14 = 1
//	Inside Sales
//	  leads touched        A B C D E F G J K O R = 11           | C D F G H I J K O P Q R T = 13
//	  touches logged       A1 B2 C2 D1 E2 F2 G1 J1 K3 O1 R3 = 19 | C1 D1 F2 G1 H2 I2 J1 K2 O1 P1 Q1 R2 T1 = 18
//	  open leads at end    C D E F G J K L O R S = 11           | E F G H I K L M P Q R S = 12
//	  touches per open     3+5+2+2+1+1+5+1+1+3+0 = 24 / 11       | 2+4+2+2+2+7+1+0+1+1+5+0 = 27 / 12
//	  reached 5 touches    D K = 2 / 11                         | K R = 2 / 12
//	  abandoned            one touch: G (d4 Thu +2bd = d8, not before d8), J (d3 → d5 ✓),
//	                       L (May 26 → May 28 ✓), O (d5 Fri → d9) = 2 | L ✓, P (d9 → d11 ✓), Q (d12 Fri → d16) = 2
//	  qualified (SQL)      B C E = 3                            | F G H I J = 5
//	  conversion           converted A B = 2 / open during 14   | C J = 2 / open during 17
//	    open during        A B C D E F G J K L N O R S = 14     | C D E F G H I J K L M O P Q R S T = 17
//	Field Sales
//	  new opportunities    O1 O2 O12 = 3                        | O3 O4 O11 O13 = 4
//	  pipeline at end      O12 s1, O1 O2 O9 s2, O5 O6 s4, O10 s7 = 7 | O3 O4 O11 O12 O13 s1, O1 O6 s3, O5 s4 = 8
//	    stage 1            1: $3,000, weighted 0%: $0           | 5: $28,000 + ¥3,000,000, weighted $0 + ¥0
//	    stage 2            3: $30,000 + ¥1,000,000, 15%: $4,500 + ¥150,000 | -
//	    stage 3            -                                    | 2: $40,000, 25%: $10,000
//	    stage 4            2: $80,000, 50%: $40,000             | 1: $50,000, 50%: $25,000
//	    stage 7            1: $25,000, 95%: $23,750             | -
//	    total              $138,000 + ¥1,000,000, weighted $68,250 + ¥150,000 | $118,000 + ¥3,000,000, weighted $35,000 + ¥0
//	  stalled              O5 (s4 since d-20: 27d23h > 21d)     | O5 (34d23h > 21d), O12 (s1 since d3: 11d23h > 7d)
//	  won                  O8 $40,000 = 1                       | O2 $20,000, O10 $25,000 = 2
//	  lost                 O7 $15,000 = 1                       | O9 ¥1,000,000 = 1
//	  win rate             1 / 2                                | 2 / 3
//	  days to close        O8 May 6 → Jun 2 = 27 / 1            | O2 4 + O10 Apr 11 → Jun 10 60 = 64 / 2
//	  sent back            0                                    | O3 = 1
//	Customer Success
//	  handed over (won)    O8 = 1                               | O2, O10 = 2
//	  new customers        acct 108 (since d2) = 1; customers 2 | accts 102 (d8), 110 (d10) = 2; customers 4
//	  renewals, ending on  Jun 8: due30 < Jul 8, due90 < Sep 6  | Jun 15: due30 < Jul 15, due90 < Sep 13
//	    due in 30          R1 Jun 20, R4 Jun 12, R5 Jun 14 = 3, $27,000 | R1 = 1, $12,000
//	    due in 90          R1 R2 R4 R5 = 4, $27,000 + ¥2,400,000 | R1 R2 R7 (Sep 10) = 3, $22,000 + ¥2,400,000
//	    past due           R6 (Jun 5) = 1                       | R6 = 1
//	  renewed / churned    R3 d3 = 1 / 0, rate 1 / 1            | R5 d11 = 1 / R4 d10 = 1, rate 1 / 2
//	  upsells              0                                    | O11 $8,000 = 1
//	  cross-sells          O12 $3,000 = 1                       | 0
//	Funnel
//	  lead → touched       touched ∩ open during 11 / 14 (7857 bp) | 13 / 17 (7647 bp)
//	  touched → qualified  touched, not qualified before: B C E F G J K O R = 9, qualified in week B C E = 3
//	                                                            | F G H I J K O P Q R T = 11, F G H I J = 5
//	  qualified → opp.     qualified before end, open during: A B C D E = 5, converted A B = 2 (40%)
//	                                                            | C D E F G H I J = 8, converted C J = 2 (25%)
//	  opportunity → won    1 / 2 (50%)                          | 2 / 3 (67%)
//	  bottleneck           qualified → opportunity fell most: 4000 → 2500 bp; 8 − 2 = 6 not converted
//	By source (cumulative; leads converted/created, opportunities won/closed)
//	  Referral             leads E J N R = 4, 0 converted; opps O6 O9 = 2, 0 closed
//	                                                            | leads + I = 5, J = 1; opps + O4 O13 = 4, O9 lost: 0 / 1
//	  Seminar              leads C D L = 3, 0; opps O5 O8 O10 = 3, O8 won: 1 / 1
//	                                                            | + H P T = 6, C = 1; + O3 = 4, O8 O10 won: 2 / 2
//	  Webinar              leads A B F G K O S = 7, A B = 2; opps O1 O2 O7 O12 = 4, O7 lost: 0 / 1
//	                                                            | + M Q = 9, 2; + O11 = 5, O2 won O7 lost: 1 / 2
//	By rep (calls, emails, meetings, notes, touches; overdue at the end)
//	  (stalled at the end: ae1 O5 | ae1 O5, cs1 O12)
//	  ae1   0 0 2 0 2; overdue O5 (last touch May 6 +2bd = May 8) = 1  | 3 0→ calls O5 O10 O3, email O1, demo O1: 3 1 1 0 5; O1 (d13) = 1
//	  ae2   1 1 1 0 3; O6 (d2 → d4), O9 (d3 → d5) = 2                  | proposal O2, note O6: 0 0 1 1 2; O4 (d13) = 1
//	  cs1   1 0 0 0 1; O12 (next d8, not before d8) = 0                | 0 0 1 0 1; O11 (d12), O12 (d8) = 2
//	  is1   7 4 0 1 12; F (touch d5 next:d6), J (d3 → d5), S (d-2) = 3 | 6 2 1 0 9; E (d10), K (d14), M (d10), S = 4
//	  is2   3 3 1 0 7; L (d-3) = 1                                     | 6 2 1 0 9; G (d12), L, P (d11), O3 (d12) = 4
//	  (not overdue last week: C d12, D d12, E d10, G d8, K d17, O d9, R d12, O1 d9, O2 d10, O10 d8)
type fixture struct {
	leads    []*touchbase.Lead
	opps     []*touchbase.Opportunity
	acts     []*touchbase.Activity
	handoffs []*touchbase.Handoff
	renewals []*touchbase.Renewal
	accounts []*touchbase.Account
}

// june returns June day, 2026 at hour:00 UTC; days out of range roll over
// (June 0 is May 31).
func june(day, hour int) time.Time { return time.Date(2026, time.June, day, hour, 0, 0, 0, time.UTC) }

// jd returns June day, 2026 as a Date.
func jd(day int) touchbase.Date { return touchbase.NewDate(2026, time.June, day) }

func newFixture() *fixture {
	f := &fixture{}
	lead := func(id uint64, src, owner string, created time.Time, st touchbase.LeadStatus, next touchbase.Date) *touchbase.Lead {
		l := &touchbase.Lead{ID: id, Name: "lead", Source: src, Owner: owner, Status: st, NextFollowUp: next, CreatedAt: created, UpdatedAt: created}
		f.leads = append(f.leads, l)
		return l
	}
	const W, S, R = "Webinar", "Seminar", "Referral"
	var none touchbase.Date
	a := lead(1, W, "is1", june(-10, 10), touchbase.LeadConverted, none)
	a.QualifiedAt, a.UpdatedAt = june(-3, 10), june(3, 10) // ConvertedAt left zero: closed at UpdatedAt
	b := lead(2, W, "is1", june(-6, 10), touchbase.LeadConverted, none)
	b.QualifiedAt, b.ConvertedAt, b.UpdatedAt = june(2, 10), june(4, 10), june(4, 10)
	c := lead(3, S, "is2", june(-6, 10), touchbase.LeadConverted, none)
	c.QualifiedAt, c.ConvertedAt, c.UpdatedAt = june(3, 11), june(9, 10), june(9, 10)
	d := lead(4, S, "is2", june(-12, 10), touchbase.LeadDisqualified, none)
	d.QualifiedAt, d.UpdatedAt = june(-2, 10), june(10, 10)
	lead(5, R, "is1", june(-1, 10), touchbase.LeadQualified, jd(10)).QualifiedAt = june(5, 10)
	lead(6, W, "is1", june(2, 10), touchbase.LeadQualified, jd(16)).QualifiedAt = june(9, 10)
	lead(7, W, "is2", june(4, 10), touchbase.LeadQualified, jd(12)).QualifiedAt = june(10, 10)
	lead(8, S, "is2", june(8, 12), touchbase.LeadQualified, jd(15)).QualifiedAt = june(11, 10)
	lead(9, R, "is1", june(9, 10), touchbase.LeadQualified, jd(16)).QualifiedAt = june(12, 10)
	j := lead(10, R, "is1", june(3, 10), touchbase.LeadConverted, none)
	j.QualifiedAt, j.ConvertedAt, j.UpdatedAt = june(10, 14), june(11, 10), june(11, 10)
	lead(11, W, "is1", june(-8, 10), touchbase.LeadWorking, jd(14))
	lead(12, S, "is2", june(-5, 10), touchbase.LeadWorking, jd(-3))
	lead(13, W, "is1", june(10, 10), touchbase.LeadNew, jd(10))
	lead(14, R, "is2", june(-20, 10), touchbase.LeadNurture, none).UpdatedAt = june(6, 10)
	lead(15, W, "is1", june(5, 10), touchbase.LeadDisqualified, none).UpdatedAt = june(12, 10)
	lead(16, S, "is2", june(9, 10), touchbase.LeadWorking, jd(11))
	lead(17, W, "is1", june(12, 8), touchbase.LeadWorking, jd(16))
	lead(18, R, "is2", june(1, 10), touchbase.LeadWorking, jd(17))
	lead(19, W, "is1", june(-2, 10), touchbase.LeadNew, jd(-2))
	lead(20, S, "is2", june(13, 9), touchbase.LeadDisqualified, none).UpdatedAt = june(14, 10)

	type touch struct {
		kind touchbase.ActivityKind
		at   time.Time
		next touchbase.Date
	}
	call := func(at time.Time) touch { return touch{kind: touchbase.ActivityCall, at: at} }
	email := func(at time.Time) touch { return touch{kind: touchbase.ActivityEmail, at: at} }
	kind := func(k touchbase.ActivityKind, at time.Time) touch { return touch{kind: k, at: at} }
	log := func(leadID, oppID uint64, owner string, ts ...touch) {
		for _, t := range ts {
			f.acts = append(f.acts, &touchbase.Activity{ID: uint64(len(f.acts) + 1), Kind: t.kind, Owner: owner, At: t.at,
				LeadID: leadID, OpportunityID: oppID, NextDate: t.next})
		}
	}
	log(1, 0, "is1", call(june(-9, 10)), email(june(-6, 10)), call(june(-4, 10)), call(june(2, 10)))
	log(2, 0, "is1", call(june(-5, 10)), email(june(1, 12)), call(june(3, 10)))
	log(3, 0, "is2", call(june(-4, 10)), email(june(2, 10)), kind(touchbase.ActivityMeeting, june(5, 10)), call(june(8, 14)))
	log(4, 0, "is2", call(june(-11, 10)), email(june(-9, 10)), call(june(-6, 10)), call(june(-2, 10)), email(june(3, 10)), call(june(9, 10)))
	log(5, 0, "is1", call(june(1, 10)), email(june(4, 10)))
	log(6, 0, "is1", call(june(2, 15)), touch{touchbase.ActivityEmail, june(5, 10), jd(6)}, call(june(9, 10)), kind(touchbase.ActivityMeeting, june(11, 10)))
	log(7, 0, "is2", call(june(4, 15)), call(june(10, 10)))
	log(8, 0, "is2", call(june(8, 13)), email(june(11, 10)))
	log(9, 0, "is1", call(june(9, 11)), email(june(12, 10)))
	log(10, 0, "is1", call(june(3, 12)), call(june(10, 10)))
	log(11, 0, "is1", call(june(-6, 10)), email(june(-4, 10)), call(june(2, 10)), email(june(4, 10)),
		kind(touchbase.ActivityNote, june(6, 10)), call(june(8, 9)), call(june(11, 10)))
	log(12, 0, "is2", call(june(-5, 12)))
	log(14, 0, "is2", call(june(-19, 10)), email(june(-15, 10)))
	log(15, 0, "is1", call(june(5, 14)), email(june(8, 10)))
	log(16, 0, "is2", call(june(9, 12)))
	log(17, 0, "is1", call(june(12, 10)))
	log(18, 0, "is2", call(june(1, 11)), email(june(3, 10)), call(june(5, 10)), email(june(8, 15)), kind(touchbase.ActivityDemo, june(10, 10)))
	log(20, 0, "is2", call(june(13, 10)))
	log(0, 1, "ae1", kind(touchbase.ActivityMeeting, june(5, 11)), kind(touchbase.ActivityDemo, june(9, 12)), email(june(11, 10)))
	log(0, 2, "ae2", call(june(6, 11)), kind(touchbase.ActivityProposal, june(8, 10)))
	log(0, 3, "ae1", call(june(10, 12)))
	log(0, 5, "ae1", kind(touchbase.ActivityMeeting, june(-25, 10)), call(june(12, 10)))
	log(0, 6, "ae2", kind(touchbase.ActivityMeeting, june(2, 11)), kind(touchbase.ActivityNote, june(10, 11)))
	log(0, 9, "ae2", email(june(3, 11)))
	log(0, 10, "ae1", kind(touchbase.ActivityProposal, june(4, 11)), call(june(9, 14)))
	log(0, 11, "cs1", kind(touchbase.ActivityMeeting, june(10, 13)))
	log(0, 12, "cs1", call(june(4, 12)))

	usd := func(dollars int64) (int64, string) { return dollars * 100, "USD" }
	jpy := func(yen int64) (int64, string) { return yen, "JPY" }
	opp := func(id uint64, src, owner string, created time.Time, amount int64, cur string, next touchbase.Date, hist ...touchbase.StageChange) *touchbase.Opportunity {
		o := &touchbase.Opportunity{ID: id, Name: "deal", Source: src, Owner: owner, AmountMinor: amount, Currency: cur,
			Status: touchbase.OpportunityOpen, NextFollowUp: next, CreatedAt: created, UpdatedAt: created,
			History: append([]touchbase.StageChange{{At: created, Kind: touchbase.StageCreated, To: 1}}, hist...)}
		last := o.History[len(o.History)-1]
		o.Stage, o.StageEnteredAt = last.To, last.At
		switch last.Kind {
		case touchbase.StageWon:
			o.Status, o.ClosedAt = touchbase.OpportunityWon, last.At
		case touchbase.StageLost:
			o.Status, o.ClosedAt = touchbase.OpportunityLost, last.At
			o.StageEnteredAt = o.History[len(o.History)-2].At
		}
		if !o.Open() {
			o.NextFollowUp = touchbase.Date{}
		}
		f.opps = append(f.opps, o)
		return o
	}
	move := func(kind touchbase.StageChangeKind, from, to int, at time.Time) touchbase.StageChange {
		return touchbase.StageChange{At: at, Kind: kind, From: from, To: to}
	}
	adv := func(from, to int, at time.Time) touchbase.StageChange {
		return move(touchbase.StageAdvance, from, to, at)
	}
	amt, cur := usd(10000)
	opp(1, W, "ae1", june(3, 10), amt, cur, jd(13), adv(1, 2, june(5, 10)), adv(2, 3, june(9, 10)))
	amt, cur = usd(20000)
	opp(2, W, "ae2", june(4, 10), amt, cur, none, adv(1, 2, june(6, 10)), move(touchbase.StageWon, 2, 8, june(8, 12)))
	amt, cur = usd(5000)
	opp(3, S, "is2", june(9, 10), amt, cur, jd(12), move(touchbase.StageSentBack, 1, 1, june(12, 10)))
	amt, cur = jpy(3000000)
	opp(4, R, "ae2", june(11, 10), amt, cur, jd(13))
	amt, cur = usd(50000)
	opp(5, S, "ae1", june(-40, 10), amt, cur, jd(19), adv(1, 2, june(-35, 10)), adv(2, 3, june(-30, 10)), adv(3, 4, june(-20, 10)))
	amt, cur = usd(30000)
	opp(6, R, "ae2", june(-30, 10), amt, cur, jd(15), adv(1, 2, june(-25, 10)), adv(2, 3, june(-20, 10)), adv(3, 4, june(2, 10)),
		move(touchbase.StageBack, 4, 3, june(10, 10)))
	amt, cur = usd(15000)
	opp(7, W, "ae1", june(-20, 10), amt, cur, none, adv(1, 2, june(-15, 10)), move(touchbase.StageLost, 2, 2, june(3, 10)))
	amt, cur = usd(40000)
	opp(8, S, "ae2", june(-25, 10), amt, cur, none, adv(1, 3, june(-20, 10)), adv(3, 6, june(-10, 10)), move(touchbase.StageWon, 6, 8, june(2, 10)))
	amt, cur = jpy(1000000)
	opp(9, R, "ae2", june(-10, 10), amt, cur, none, adv(1, 2, june(-5, 10)), move(touchbase.StageLost, 2, 2, june(12, 10))).ClosedAt = time.Time{}
	amt, cur = usd(25000)
	opp(10, S, "ae1", june(-50, 10), amt, cur, none, adv(1, 5, june(-40, 10)), adv(5, 7, june(-5, 10)), move(touchbase.StageWon, 7, 8, june(10, 10)))
	amt, cur = usd(8000)
	opp(11, W, "cs1", june(9, 10), amt, cur, jd(12)).Kind = touchbase.KindUpsell
	amt, cur = usd(3000)
	opp(12, W, "cs1", june(3, 10), amt, cur, jd(8)).Kind = touchbase.KindCrossSell
	amt, cur = usd(12000)
	opp(13, R, "ae1", june(13, 10), amt, cur, jd(17))

	handoff := func(kind touchbase.HandoffKind, at time.Time, leadID, oppID uint64) {
		f.handoffs = append(f.handoffs, &touchbase.Handoff{ID: uint64(len(f.handoffs) + 1), At: at, Kind: kind, LeadID: leadID, OpportunityID: oppID})
	}
	handoff(touchbase.HandoffMQL, june(2, 11), 6, 0)
	handoff(touchbase.HandoffMQL, june(4, 11), 7, 0)
	handoff(touchbase.HandoffMQL, june(1, 12), 18, 0)
	handoff(touchbase.HandoffMQL, june(8, 13), 8, 0)
	handoff(touchbase.HandoffMQL, june(9, 11), 9, 0)
	handoff(touchbase.HandoffMQL, june(10, 11), 13, 0)
	handoff(touchbase.HandoffMQL, june(12, 9), 17, 0)
	handoff(touchbase.HandoffMQL, june(-2, 11), 19, 0)
	handoff(touchbase.HandoffMQL, june(-1, 11), 5, 0)
	handoff(touchbase.HandoffMQL, june(15, 9), 99, 0) // at the end: next week's
	handoff(touchbase.HandoffSQL, june(3, 10), 1, 1)
	handoff(touchbase.HandoffSQL, june(4, 10), 2, 2)
	handoff(touchbase.HandoffSQL, june(9, 10), 3, 3)
	handoff(touchbase.HandoffSQL, june(11, 10), 10, 4)
	handoff(touchbase.HandoffSentBack, june(12, 10), 3, 3)
	handoff(touchbase.HandoffWon, june(2, 10), 0, 8)
	handoff(touchbase.HandoffWon, june(8, 12), 0, 2)
	handoff(touchbase.HandoffWon, june(10, 10), 0, 10)
	handoff(touchbase.HandoffReturned, june(14, 10), 20, 0)
	handoff(touchbase.HandoffReassign, june(9, 10), 11, 0)

	renewal := func(id uint64, st touchbase.RenewalStatus, due touchbase.Date, decided time.Time, amount int64, cur string) {
		f.renewals = append(f.renewals, &touchbase.Renewal{ID: id, AccountID: 100 + id, Owner: "cs1", ARRMinor: amount, Currency: cur,
			Due: due, Status: st, DecidedAt: decided, CreatedAt: time.Date(2025, time.June, 1, 0, 0, 0, 0, time.UTC)})
	}
	amt, cur = usd(12000)
	renewal(1, touchbase.RenewalPending, jd(20), time.Time{}, amt, cur)
	amt, cur = jpy(2400000)
	renewal(2, touchbase.RenewalPending, touchbase.NewDate(2026, time.August, 1), time.Time{}, amt, cur)
	amt, cur = usd(5000)
	renewal(3, touchbase.RenewalRenewed, jd(5), june(3, 10), amt, cur)
	amt, cur = usd(6000)
	renewal(4, touchbase.RenewalChurned, jd(12), june(10, 10), amt, cur)
	amt, cur = usd(9000)
	renewal(5, touchbase.RenewalRenewed, jd(14), june(11, 10), amt, cur)
	amt, cur = usd(7000)
	renewal(6, touchbase.RenewalPending, jd(5), time.Time{}, amt, cur)
	amt, cur = usd(10000)
	renewal(7, touchbase.RenewalPending, touchbase.NewDate(2026, time.September, 10), time.Time{}, amt, cur)
	amt, cur = usd(25000)
	renewal(8, touchbase.RenewalPending, touchbase.NewDate(2027, time.June, 10), time.Time{}, amt, cur)
	f.renewals[7].CreatedAt = june(10, 10) // the contract O10 started this week

	f.accounts = []*touchbase.Account{
		{ID: 100, Name: "Old customer", CustomerSince: touchbase.NewDate(2025, time.January, 10)},
		{ID: 108, Name: "O8", CustomerSince: jd(2)},
		{ID: 102, Name: "O2", CustomerSince: jd(8)},
		{ID: 110, Name: "O10", CustomerSince: jd(10)},
		{ID: 200, Name: "Prospect"},
	}
	return f
}

// feed adds f's records to b in the order given: "records" (accounts,
// renewals, handoffs, leads, opportunities, then activities) or
// "reversed" (each list backwards, activities first).
func (f *fixture) feed(b *touchbase.DigestBuilder, reversed bool) {
	if !reversed {
		for _, a := range f.accounts {
			b.AddAccount(a)
		}
		for _, r := range f.renewals {
			b.AddRenewal(r)
		}
		for _, h := range f.handoffs {
			b.AddHandoff(h)
		}
		for _, l := range f.leads {
			b.AddLead(l)
		}
		for _, o := range f.opps {
			b.AddOpportunity(o)
		}
		for _, a := range f.acts {
			b.AddActivity(a)
		}
		return
	}
	for _, a := range slices.Backward(f.acts) {
		b.AddActivity(a)
	}
	// Interleave leads and opportunities, backwards.
	for i := max(len(f.leads), len(f.opps)) - 1; i >= 0; i-- {
		if i < len(f.opps) {
			b.AddOpportunity(f.opps[i])
		}
		if i < len(f.leads) {
			b.AddLead(f.leads[i])
		}
	}
	for _, h := range slices.Backward(f.handoffs) {
		b.AddHandoff(h)
	}
	for _, r := range slices.Backward(f.renewals) {
		b.AddRenewal(r)
	}
	for _, a := range slices.Backward(f.accounts) {
		b.AddAccount(a)
	}
}

// stages returns the StageTotals of the eight default stages, zero but for
// those given.
func stages(set map[int]touchbase.StageTotals) []touchbase.StageTotals {
	s := make([]touchbase.StageTotals, 8)
	for i := range s {
		s[i] = touchbase.StageTotals{Amount: touchbase.Amounts{}, Weighted: touchbase.Amounts{}}
		if st, ok := set[i+1]; ok {
			s[i] = st
		}
	}
	return s
}

type stalledWant struct {
	id      uint64
	stage   int
	entered time.Time
	days    int
	owner   string
}

// wantWeek is the hand-computed figures of one fixture week.
type wantWeek struct {
	start, end time.Time
	week       touchbase.DigestWeek // without Start, End and Pipeline.Stalled
	stalled    []stalledWant
}

func fixtureWant() (last, this wantWeek) {
	ratio := func(n, d int64) touchbase.Ratio { return touchbase.Ratio{Num: n, Den: d} }
	type A = touchbase.Amounts
	type rep = touchbase.RepFigures
	type src = touchbase.SourceFigures
	type sc = touchbase.SourceCount

	last.start, last.end = june(1, 9), june(8, 9)
	last.week = touchbase.DigestWeek{
		Marketing: touchbase.MarketingFigures{
			NewLeads: 5, BySource: []sc{{"Seminar", 0}, {"Webinar", 3}, {"Referral", 2}}, MQLs: 3, Returned: 0,
		},
		InsideSales: touchbase.InsideSalesFigures{
			LeadsTouched: 11, Touches: 19, OpenLeads: 11, TouchesPerOpenLead: ratio(24, 11), ReachedCadence: ratio(2, 11),
			Abandoned: 2, Qualified: 3, Conversion: ratio(2, 14),
		},
		FieldSales: touchbase.FieldSalesFigures{
			NewOpportunities: 3,
			Pipeline: touchbase.PipelineTotals{
				Count: 7, Total: A{"USD": 13800000, "JPY": 1000000}, Weighted: A{"USD": 6825000, "JPY": 150000},
				Stages: stages(map[int]touchbase.StageTotals{
					1: {Count: 1, Amount: A{"USD": 300000}, Weighted: A{"USD": 0}},
					2: {Count: 3, Amount: A{"USD": 3000000, "JPY": 1000000}, Weighted: A{"USD": 450000, "JPY": 150000}},
					4: {Count: 2, Amount: A{"USD": 8000000}, Weighted: A{"USD": 4000000}, Stalled: 1},
					7: {Count: 1, Amount: A{"USD": 2500000}, Weighted: A{"USD": 2375000}},
				}),
			},
			Won: 1, Lost: 1, WonAmount: A{"USD": 4000000}, LostAmount: A{"USD": 1500000},
			WinRate: ratio(1, 2), DaysToClose: ratio(27, 1), SentBack: 0,
		},
		CustomerSuccess: touchbase.SuccessFigures{
			HandedOver: 1, NewCustomers: 1, Customers: 2,
			Due30: 3, Due90: 4, Due30ARR: A{"USD": 2700000}, Due90ARR: A{"USD": 2700000, "JPY": 2400000}, PastDue: 1,
			Renewed: 1, Churned: 0, RenewalRate: ratio(1, 1),
			Upsells: 0, CrossSells: 1, UpsellAmount: A{}, CrossSellAmount: A{"USD": 300000},
		},
		Funnel: [4]touchbase.Ratio{ratio(11, 14), ratio(3, 9), ratio(2, 5), ratio(1, 2)},
		BySource: []src{
			{Source: "Referral", Leads: 4, LeadToOpportunity: ratio(0, 4), Opportunities: 2, OpportunityToWon: ratio(0, 0)},
			{Source: "Seminar", Leads: 3, LeadToOpportunity: ratio(0, 3), Opportunities: 3, OpportunityToWon: ratio(1, 1)},
			{Source: "Webinar", Leads: 7, LeadToOpportunity: ratio(2, 7), Opportunities: 4, OpportunityToWon: ratio(0, 1)},
		},
		ByRep: []rep{
			{Owner: "ae1", Calls: 0, Emails: 0, Meetings: 2, Notes: 0, Touches: 2, Overdue: 1, Stalled: 1},
			{Owner: "ae2", Calls: 1, Emails: 1, Meetings: 1, Notes: 0, Touches: 3, Overdue: 2},
			{Owner: "cs1", Calls: 1, Emails: 0, Meetings: 0, Notes: 0, Touches: 1, Overdue: 0},
			{Owner: "is1", Calls: 7, Emails: 4, Meetings: 0, Notes: 1, Touches: 12, Overdue: 3},
			{Owner: "is2", Calls: 3, Emails: 3, Meetings: 1, Notes: 0, Touches: 7, Overdue: 1},
		},
	}
	last.stalled = []stalledWant{{5, 4, june(-20, 10), 27, "ae1"}}

	this.start, this.end = june(8, 9), june(15, 9)
	this.week = touchbase.DigestWeek{
		Marketing: touchbase.MarketingFigures{
			NewLeads: 6, BySource: []sc{{"Seminar", 3}, {"Webinar", 2}, {"Referral", 1}}, MQLs: 4, Returned: 1,
		},
		InsideSales: touchbase.InsideSalesFigures{
			LeadsTouched: 13, Touches: 18, OpenLeads: 12, TouchesPerOpenLead: ratio(27, 12), ReachedCadence: ratio(2, 12),
			Abandoned: 2, Qualified: 5, Conversion: ratio(2, 17),
		},
		FieldSales: touchbase.FieldSalesFigures{
			NewOpportunities: 4,
			Pipeline: touchbase.PipelineTotals{
				Count: 8, Total: A{"USD": 11800000, "JPY": 3000000}, Weighted: A{"USD": 3500000, "JPY": 0},
				Stages: stages(map[int]touchbase.StageTotals{
					1: {Count: 5, Amount: A{"USD": 2800000, "JPY": 3000000}, Weighted: A{"USD": 0, "JPY": 0}, Stalled: 1},
					3: {Count: 2, Amount: A{"USD": 4000000}, Weighted: A{"USD": 1000000}},
					4: {Count: 1, Amount: A{"USD": 5000000}, Weighted: A{"USD": 2500000}, Stalled: 1},
				}),
			},
			Won: 2, Lost: 1, WonAmount: A{"USD": 4500000}, LostAmount: A{"JPY": 1000000},
			WinRate: ratio(2, 3), DaysToClose: ratio(64, 2), SentBack: 1,
		},
		CustomerSuccess: touchbase.SuccessFigures{
			HandedOver: 2, NewCustomers: 2, Customers: 4,
			Due30: 1, Due90: 3, Due30ARR: A{"USD": 1200000}, Due90ARR: A{"USD": 2200000, "JPY": 2400000}, PastDue: 1,
			Renewed: 1, Churned: 1, RenewalRate: ratio(1, 2),
			Upsells: 1, CrossSells: 0, UpsellAmount: A{"USD": 800000}, CrossSellAmount: A{},
		},
		Funnel: [4]touchbase.Ratio{ratio(13, 17), ratio(5, 11), ratio(2, 8), ratio(2, 3)},
		BySource: []src{
			{Source: "Referral", Leads: 5, LeadToOpportunity: ratio(1, 5), Opportunities: 4, OpportunityToWon: ratio(0, 1)},
			{Source: "Seminar", Leads: 6, LeadToOpportunity: ratio(1, 6), Opportunities: 4, OpportunityToWon: ratio(2, 2)},
			{Source: "Webinar", Leads: 9, LeadToOpportunity: ratio(2, 9), Opportunities: 5, OpportunityToWon: ratio(1, 2)},
		},
		ByRep: []rep{
			{Owner: "ae1", Calls: 3, Emails: 1, Meetings: 1, Notes: 0, Touches: 5, Overdue: 1, Stalled: 1},
			{Owner: "ae2", Calls: 0, Emails: 0, Meetings: 1, Notes: 1, Touches: 2, Overdue: 1},
			{Owner: "cs1", Calls: 0, Emails: 0, Meetings: 1, Notes: 0, Touches: 1, Overdue: 2, Stalled: 1},
			{Owner: "is1", Calls: 6, Emails: 2, Meetings: 1, Notes: 0, Touches: 9, Overdue: 4},
			{Owner: "is2", Calls: 6, Emails: 2, Meetings: 1, Notes: 0, Touches: 9, Overdue: 4},
		},
	}
	this.stalled = []stalledWant{{5, 4, june(-20, 10), 34, "ae1"}, {12, 1, june(3, 10), 11, "cs1"}}
	return last, this
}

// checkWeek compares a digest week with the hand-computed one, section by
// section.
func checkWeek(t *testing.T, name string, got touchbase.DigestWeek, want wantWeek) {
	t.Helper()
	if !got.Start.Equal(want.start) || !got.End.Equal(want.end) {
		t.Errorf("%s: [%v, %v), want [%v, %v)", name, got.Start, got.End, want.start, want.end)
	}
	var stalled []stalledWant
	for _, o := range got.FieldSales.Pipeline.Stalled {
		stalled = append(stalled, stalledWant{o.ID, o.Stage, o.EnteredAt, o.Days, o.Owner})
	}
	if !reflect.DeepEqual(stalled, want.stalled) {
		t.Errorf("%s: Stalled=%v, want %v", name, stalled, want.stalled)
	}
	got.FieldSales.Pipeline.Stalled = nil
	for _, c := range []struct {
		section   string
		got, want any
	}{
		{"Marketing", got.Marketing, want.week.Marketing},
		{"InsideSales", got.InsideSales, want.week.InsideSales},
		{"FieldSales", got.FieldSales, want.week.FieldSales},
		{"CustomerSuccess", got.CustomerSuccess, want.week.CustomerSuccess},
		{"Funnel", got.Funnel, want.week.Funnel},
		{"BySource", got.BySource, want.week.BySource},
		{"ByRep", got.ByRep, want.week.ByRep},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %s=\n%+v\nwant\n%+v", name, c.section, c.got, c.want)
		}
	}
}

// Ensure every figure of the hand-computed fixture week comes out, for
// both weeks, whatever the order the records are fed in.
func TestDigestBuilder_Fixture(t *testing.T) {
	f := newFixture()
	if len(f.leads) != 20 || len(f.opps) != 13 || len(f.acts) != 66 {
		t.Fatalf("fixture has %d leads, %d opportunities, %d activities", len(f.leads), len(f.opps), len(f.acts))
	}
	wantLast, wantThis := fixtureWant()
	var digests []*touchbase.Digest
	for _, reversed := range []bool{false, true} {
		b := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), june(15, 9), time.UTC)
		f.feed(b, reversed)
		d := b.Digest()
		digests = append(digests, d)
		checkWeek(t, "last week", d.Last, wantLast)
		checkWeek(t, "this week", d.This, wantThis)

		want := touchbase.Bottleneck{Reason: touchbase.BottleneckFell, Step: touchbase.StepOpportunity,
			This: touchbase.Ratio{Num: 2, Den: 8}, Last: touchbase.Ratio{Num: 2, Den: 5}}
		if d.Bottleneck != want {
			t.Errorf("Bottleneck=%+v, want %+v", d.Bottleneck, want)
		}
		if got, want := d.Bottleneck.Sentence(), "Qualified → opportunity fell from 40% to 25%: 6 qualified leads were not converted."; got != want {
			t.Errorf("Sentence()=%q, want %q", got, want)
		}
	}
	// Ensure the order records come in changes nothing.
	if !reflect.DeepEqual(digests[0], digests[1]) {
		t.Errorf("digest depends on the order of the records:\n%+v\n%+v", digests[0], digests[1])
	}
}

// Ensure Digest can be called twice and the digests share no map.
func TestDigestBuilder_DigestTwice(t *testing.T) {
	f := newFixture()
	b := touchbase.NewDigestBuilder(nil, june(15, 9), nil)
	f.feed(b, false)
	d1 := b.Digest()
	d1.This.FieldSales.Pipeline.Total["USD"] = 1
	d1.This.FieldSales.Pipeline.Stages[0].Amount["USD"] = 1
	d1.This.CustomerSuccess.Due90ARR["USD"] = 1
	d2 := b.Digest()
	if got := d2.This.FieldSales.Pipeline.Total["USD"]; got != 11800000 {
		t.Fatalf("Total[USD]=%d after changing the first digest, want 11800000", got)
	}
	if got := d2.This.FieldSales.Pipeline.Stages[0].Amount["USD"]; got != 2800000 {
		t.Fatalf("Stages[0].Amount[USD]=%d, want 2800000", got)
	}
	if got := d2.This.CustomerSuccess.Due90ARR["USD"]; got != 2200000 {
		t.Fatalf("Due90ARR[USD]=%d, want 2200000", got)
	}
	// Ensure records added after a digest count in the next one.
	b.AddLead(&touchbase.Lead{ID: 50, Source: "Webinar", Owner: "is1", Status: touchbase.LeadNew, CreatedAt: june(14, 10)})
	if got := b.Digest().This.Marketing.NewLeads; got != 7 {
		t.Fatalf("NewLeads=%d, want 7", got)
	}
}

// Ensure an empty workspace gives zeros, n/a rates and a funnel that held.
func TestDigestBuilder_Empty(t *testing.T) {
	d := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), june(15, 9), time.UTC).Digest()
	for _, w := range []touchbase.DigestWeek{d.This, d.Last} {
		is, fs, cs := w.InsideSales, w.FieldSales, w.CustomerSuccess
		for name, r := range map[string]touchbase.Ratio{
			"TouchesPerOpenLead": is.TouchesPerOpenLead, "ReachedCadence": is.ReachedCadence, "Conversion": is.Conversion,
			"WinRate": fs.WinRate, "DaysToClose": fs.DaysToClose, "RenewalRate": cs.RenewalRate,
			"Funnel[0]": w.Funnel[0], "Funnel[1]": w.Funnel[1], "Funnel[2]": w.Funnel[2], "Funnel[3]": w.Funnel[3],
		} {
			if r.Valid() || r.String() != "n/a" || r.Decimal(1) != "n/a" {
				t.Errorf("%s=%+v (%s), want n/a", name, r, r)
			}
			if p, ok := r.Percent(); ok || p != 0 {
				t.Errorf("%s.Percent()=%d, %v, want 0, false", name, p, ok)
			}
		}
		if is.OpenLeads != 0 || is.Touches != 0 || fs.Pipeline.Count != 0 || len(fs.Pipeline.Stages) != 8 ||
			fs.Pipeline.Total.String() != "no amount" || len(fs.Pipeline.Stalled) != 0 || cs.Due90 != 0 ||
			w.Marketing.NewLeads != 0 || w.BySource != nil || w.ByRep != nil || w.Marketing.BySource != nil {
			t.Errorf("empty week=%+v", w)
		}
	}
	if d.Bottleneck.Reason != touchbase.BottleneckNone {
		t.Errorf("Bottleneck=%+v, want none", d.Bottleneck)
	}
	if got, want := d.Bottleneck.Sentence(), "The funnel held: no step converted worse than last week and no deal is stalled."; got != want {
		t.Errorf("Sentence()=%q, want %q", got, want)
	}
}

// Ensure zero denominators read as n/a: an opportunity week with no close,
// a lead week with no open lead, a renewal week with no decision.
func TestDigestBuilder_ZeroDenominators(t *testing.T) {
	b := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), june(15, 9), time.UTC)
	// One lead, closed before last week: no lead open in either week.
	b.AddLead(&touchbase.Lead{ID: 1, Status: touchbase.LeadDisqualified, CreatedAt: june(-30, 10), UpdatedAt: june(-20, 10)})
	// One open opportunity, never closed nor stalled; one pending renewal.
	b.AddOpportunity(&touchbase.Opportunity{ID: 1, Stage: 5, Status: touchbase.OpportunityOpen, AmountMinor: 100, Currency: "USD",
		CreatedAt: june(-1, 10), StageEnteredAt: june(-1, 10)})
	b.AddRenewal(&touchbase.Renewal{ID: 1, Status: touchbase.RenewalPending, Due: jd(30)})
	d := b.Digest()
	for _, w := range []touchbase.DigestWeek{d.Last, d.This} {
		if w.InsideSales.OpenLeads != 0 || w.InsideSales.TouchesPerOpenLead.Valid() || w.InsideSales.Conversion.Valid() {
			t.Errorf("InsideSales=%+v, want no open lead and n/a", w.InsideSales)
		}
		if w.FieldSales.WinRate.String() != "n/a" || w.FieldSales.DaysToClose.Decimal(1) != "n/a" || w.FieldSales.Pipeline.Count != 1 {
			t.Errorf("FieldSales=%+v, want n/a rates and one open", w.FieldSales)
		}
		if w.CustomerSuccess.RenewalRate.String() != "n/a" || w.CustomerSuccess.Due30 != 1 {
			t.Errorf("CustomerSuccess=%+v", w.CustomerSuccess)
		}
		if len(w.BySource) != 1 || w.BySource[0].Source != "" || w.BySource[0].OpportunityToWon.String() != "n/a" ||
			w.BySource[0].LeadToOpportunity.String() != "0%" {
			t.Errorf("BySource=%+v", w.BySource)
		}
	}
	if _, _, ok := touchbase.RateChange(d.This.FieldSales.WinRate, d.Last.FieldSales.WinRate); ok {
		t.Errorf("RateChange of n/a rates ok, want not")
	}
	if d.Bottleneck.Reason != touchbase.BottleneckNone {
		t.Errorf("Bottleneck=%+v, want none", d.Bottleneck)
	}
}

// Ensure amounts in several currencies are summed apart, never converted,
// and weighted per stage; an amount without a currency is left out.
func TestDigestBuilder_MultiCurrency(t *testing.T) {
	b := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), june(15, 9), time.UTC)
	for i, m := range []touchbase.Money{{Minor: 100050, Currency: "USD"}, {Minor: 300001, Currency: "JPY"},
		{Minor: 100000, Currency: "EUR"}, {Minor: 199, Currency: "USD"}, {Minor: 5000, Currency: ""}} {
		b.AddOpportunity(&touchbase.Opportunity{ID: uint64(i + 1), Stage: 2, Status: touchbase.OpportunityOpen,
			AmountMinor: m.Minor, Currency: m.Currency, CreatedAt: june(10, 10), StageEnteredAt: june(10, 10)})
	}
	b.AddOpportunity(&touchbase.Opportunity{ID: 9, Stage: 8, Status: touchbase.OpportunityWon, AmountMinor: 7, Currency: "JPY",
		CreatedAt: june(9, 10), ClosedAt: june(11, 10)})
	b.AddOpportunity(&touchbase.Opportunity{ID: 10, Stage: 8, Status: touchbase.OpportunityWon, AmountMinor: 3, Currency: "EUR",
		CreatedAt: june(9, 10), ClosedAt: june(12, 10)})
	p := b.Digest().This.FieldSales.Pipeline
	// 15% of $1,000.50 is 15,007.5 cents, rounded down; of $1.99, 29.85.
	want := touchbase.Amounts{"USD": 100249, "JPY": 300001, "EUR": 100000}
	if p.Count != 5 || !reflect.DeepEqual(p.Total, want) || !reflect.DeepEqual(p.Stages[1].Amount, want) {
		t.Fatalf("Count=%d Total=%v Stage 2=%v, want 5, %v", p.Count, p.Total, p.Stages[1].Amount, want)
	}
	wantW := touchbase.Amounts{"USD": 15007 + 29, "JPY": 45000, "EUR": 15000}
	if !reflect.DeepEqual(p.Weighted, wantW) {
		t.Fatalf("Weighted=%v, want %v", p.Weighted, wantW)
	}
	if got, want := p.Total.String(), "€1,000 + ¥300,001 + $1,002.49"; got != want {
		t.Fatalf("Total=%q, want %q", got, want)
	}
	fs := b.Digest().This.FieldSales
	if got, want := fs.WonAmount, (touchbase.Amounts{"JPY": 7, "EUR": 3}); !reflect.DeepEqual(got, want) || fs.Won != 2 {
		t.Fatalf("Won=%d WonAmount=%v, want 2, %v", fs.Won, got, want)
	}
	// Ensure the days to close average: 2 and 3 days.
	if got := fs.DaysToClose.Decimal(1); got != "2.5" {
		t.Fatalf("DaysToClose=%s, want 2.5", got)
	}
}

// Ensure events exactly at a week's start or end fall in the week that
// starts then, and that the renewal windows are [end day, end day + 30) and
// [end day, end day + 90).
func TestDigestBuilder_Boundaries(t *testing.T) {
	b := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), june(15, 9), time.UTC)
	// Converted exactly when this week starts: open at the end of last
	// week and during this week, converted this week.
	b.AddLead(&touchbase.Lead{ID: 1, Status: touchbase.LeadConverted, CreatedAt: june(-1, 10),
		QualifiedAt: june(2, 10), ConvertedAt: june(8, 9), UpdatedAt: june(8, 9)})
	// Disqualified exactly when last week starts: open during last week
	// (closed at its start, not before it), not at its end.
	b.AddLead(&touchbase.Lead{ID: 2, Status: touchbase.LeadDisqualified, CreatedAt: june(-5, 10), UpdatedAt: june(1, 9)})
	// Created exactly at the end: next week's.
	b.AddLead(&touchbase.Lead{ID: 3, Status: touchbase.LeadNew, CreatedAt: june(15, 9)})
	for i, due := range []touchbase.Date{jd(15), jd(15).AddDays(29), jd(15).AddDays(30), jd(15).AddDays(89), jd(15).AddDays(90), jd(14)} {
		b.AddRenewal(&touchbase.Renewal{ID: uint64(i + 1), Status: touchbase.RenewalPending, Due: due, ARRMinor: 1, Currency: "USD"})
	}
	d := b.Digest()
	if got, want := []touchbase.Ratio{d.Last.InsideSales.Conversion, d.This.InsideSales.Conversion},
		[]touchbase.Ratio{{Num: 0, Den: 2}, {Num: 1, Den: 1}}; !slices.Equal(got, want) {
		t.Errorf("Conversion last, this=%v, want %v", got, want)
	}
	if got := []int{d.Last.InsideSales.OpenLeads, d.This.InsideSales.OpenLeads}; !slices.Equal(got, []int{1, 0}) {
		t.Errorf("OpenLeads last, this=%v, want [1 0]", got)
	}
	if got := []int{d.Last.Marketing.NewLeads, d.This.Marketing.NewLeads}; !slices.Equal(got, []int{0, 0}) {
		t.Errorf("NewLeads last, this=%v, want [0 0]", got)
	}
	cs := d.This.CustomerSuccess
	if cs.Due30 != 2 || cs.Due90 != 4 || cs.PastDue != 1 || cs.Due30ARR["USD"] != 2 || cs.Due90ARR["USD"] != 4 {
		t.Errorf("Due30=%d Due90=%d PastDue=%d, want 2, 4, 1", cs.Due30, cs.Due90, cs.PastDue)
	}
}

// Ensure a digest lists only the MaxStalledDeals longest stalled, ties by
// ID, whatever the order they come in, while the stages and reps count
// them all.
func TestDigestBuilder_StalledLimit(t *testing.T) {
	const n = 120
	opps := make([]*touchbase.Opportunity, n)
	for i := range opps {
		// Entered 30 + i/2 days before the end: pairs tie on the time.
		entered := june(15, 9).AddDate(0, 0, -30-i/2)
		opps[i] = &touchbase.Opportunity{ID: uint64(i + 1), Stage: 1, Status: touchbase.OpportunityOpen, Owner: []string{"ae1", "ae2"}[i%2],
			AmountMinor: 1, Currency: "USD", CreatedAt: entered, StageEnteredAt: entered}
	}
	var lists [][]uint64
	for _, order := range [][]int{{0, 1}, {1, 0}} {
		b := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), june(15, 9), time.UTC)
		for _, o := range order {
			for i := o; i < n; i += 2 { // evens then odds, or odds then evens
				b.AddOpportunity(opps[i])
			}
		}
		p := b.Digest().This
		var ids []uint64
		for _, s := range p.FieldSales.Pipeline.Stalled {
			ids = append(ids, s.ID)
		}
		lists = append(lists, ids)
		if got := p.FieldSales.Pipeline.Stages[0].Stalled; got != n {
			t.Fatalf("Stages[0].Stalled=%d, want %d", got, n)
		}
		if len(p.ByRep) != 2 || p.ByRep[0].Stalled != n/2 || p.ByRep[1].Stalled != n/2 {
			t.Fatalf("ByRep=%+v, want %d stalled each", p.ByRep, n/2)
		}
	}
	// The longest stalled are the last created: entered 89 days ago (IDs
	// 119, 120), then 88 (117, 118), ...; ties by lower ID first.
	var want []uint64
	for i := n - 1; len(want) < touchbase.MaxStalledDeals; i -= 2 {
		want = append(want, uint64(i), uint64(i+1))
	}
	if !slices.Equal(lists[0], want) || !slices.Equal(lists[1], want) {
		t.Fatalf("Stalled=\n%v\n%v\nwant %v", lists[0], lists[1], want)
	}
}

// Ensure a deal moved back a stage is in the stage it was in at the end of
// each week, entered when it moved, so that moving back restarts the clock;
// and that a deal with no history is taken as it stands.
func TestDigestBuilder_StageBack(t *testing.T) {
	b := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), june(15, 9), time.UTC)
	o := &touchbase.Opportunity{ID: 1, Owner: "ae1", AmountMinor: 1000000, Currency: "JPY", Status: touchbase.OpportunityOpen,
		CreatedAt: june(-60, 10), Stage: 2, StageEnteredAt: june(10, 10),
		History: []touchbase.StageChange{
			{At: june(-60, 10), Kind: touchbase.StageCreated, To: 1},
			{At: june(-50, 10), Kind: touchbase.StageAdvance, From: 1, To: 2}, // stalled in 2 for weeks
			{At: june(3, 10), Kind: touchbase.StageAdvance, From: 2, To: 3},
			{At: june(10, 10), Kind: touchbase.StageBack, From: 3, To: 2, Reason: "no budget"},
		}}
	b.AddOpportunity(o)
	// Imported without history: stage 5 since d-100, stalled (40 days).
	b.AddOpportunity(&touchbase.Opportunity{ID: 2, Owner: "ae2", AmountMinor: 10, Currency: "JPY", Status: touchbase.OpportunityOpen,
		CreatedAt: june(-200, 10), Stage: 5, StageEnteredAt: june(-100, 10)})
	// Its history starts after the end of last week: at the end of last
	// week it was in the stage it advanced from, since its creation.
	b.AddOpportunity(&touchbase.Opportunity{ID: 3, Owner: "ae2", AmountMinor: 10, Currency: "JPY", Status: touchbase.OpportunityOpen,
		CreatedAt: june(-5, 10), Stage: 4, StageEnteredAt: june(9, 10),
		History: []touchbase.StageChange{{At: june(9, 10), Kind: touchbase.StageAdvance, From: 3, To: 4}}})
	d := b.Digest()
	stageCounts := func(p touchbase.PipelineTotals) []int {
		var c []int
		for _, s := range p.Stages {
			c = append(c, s.Count)
		}
		return c
	}
	if got, want := stageCounts(d.Last.FieldSales.Pipeline), []int{0, 0, 2, 0, 1, 0, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("last week's stages=%v, want %v", got, want)
	}
	if got, want := stageCounts(d.This.FieldSales.Pipeline), []int{0, 1, 0, 1, 1, 0, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("this week's stages=%v, want %v", got, want)
	}
	ids := func(p touchbase.PipelineTotals) []uint64 {
		var s []uint64
		for _, o := range p.Stalled {
			s = append(s, o.ID)
		}
		return s
	}
	// Last week: #1 in stage 3 since d3 (4d23h < 14d), #3 in stage 3 since
	// d-5 (12d23h < 14d), #2 stalled. This week: #1 back in 2 since d10,
	// not stalled although it had been in stage 2 for 53 days before.
	if got := ids(d.Last.FieldSales.Pipeline); !slices.Equal(got, []uint64{2}) {
		t.Errorf("last week stalled=%v, want [2]", got)
	}
	if got := ids(d.This.FieldSales.Pipeline); !slices.Equal(got, []uint64{2}) {
		t.Errorf("this week stalled=%v, want [2]", got)
	}
	s := d.This.FieldSales.Pipeline.Stalled[0]
	if s.Stage != 5 || !s.EnteredAt.Equal(june(-100, 10)) || s.Days != 114 || s.Owner != "ae2" || s.Amount != (touchbase.Money{Minor: 10, Currency: "JPY"}) {
		t.Errorf("stalled=%+v", s)
	}
	// Weighted: stage 2 is 15%, 3 is 25%.
	if got := d.Last.FieldSales.Pipeline.Stages[2].Weighted["JPY"]; got != 250002 {
		t.Errorf("last week stage 3 weighted=%d, want 250002", got)
	}
	if got := d.This.FieldSales.Pipeline.Stages[1].Weighted["JPY"]; got != 150000 {
		t.Errorf("this week stage 2 weighted=%d, want 150000", got)
	}
	// The record itself is untouched.
	if o.Stage != 2 || len(o.History) != 4 {
		t.Errorf("opportunity changed: %+v", o)
	}
}

// Ensure a week with a daylight-saving change is 7 calendar days in the
// digest's zone (167 or 169 hours), that activities are placed by that, and
// that days are counted in the zone.
func TestDigestBuilder_DST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, ny) }
	for _, c := range []struct {
		name        string
		end         time.Time
		hours       time.Duration
		inThis      time.Time // in this week by the calendar, not within 168 hours
		inLast      time.Time // in last week by the calendar, within 168 hours
		overdueDay  touchbase.Date
		created     time.Time
		closed      time.Time
		daysToClose string
	}{
		// DST starts on Sunday March 8, 2026: this week is 167 hours.
		{"spring", at(time.March, 9, 0, 0), 167 * time.Hour, at(time.March, 2, 0, 30), at(time.March, 1, 23, 30),
			touchbase.NewDate(2026, time.March, 8), at(time.March, 7, 23, 0), at(time.March, 8, 23, 0), "1.0"},
		// DST ends on Sunday November 1, 2026: this week is 169 hours.
		{"autumn", at(time.November, 2, 0, 0), 169 * time.Hour, at(time.October, 26, 0, 30), at(time.October, 25, 23, 30),
			touchbase.NewDate(2026, time.November, 1), at(time.October, 31, 23, 30), at(time.November, 1, 23, 30), "1.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), c.end, ny)
			// Ensure the activity is placed by the calendar: hours alone would put it in the other week.
			if c.hours < 168*time.Hour && c.end.Sub(c.inLast) > 168*time.Hour || c.hours > 168*time.Hour && c.end.Sub(c.inThis) <= 168*time.Hour {
				t.Fatalf("bad case: the times do not test the calendar")
			}
			b.AddActivity(&touchbase.Activity{Kind: touchbase.ActivityCall, Owner: "is1", At: c.inThis, LeadID: 1})
			b.AddActivity(&touchbase.Activity{Kind: touchbase.ActivityEmail, Owner: "is1", At: c.inLast, LeadID: 1})
			b.AddLead(&touchbase.Lead{ID: 1, Owner: "is1", Status: touchbase.LeadWorking, CreatedAt: c.inLast.Add(-time.Hour),
				NextFollowUp: c.overdueDay})
			b.AddOpportunity(&touchbase.Opportunity{ID: 1, Status: touchbase.OpportunityWon, Stage: 8, AmountMinor: 1, Currency: "USD",
				CreatedAt: c.created, ClosedAt: c.closed})
			d := b.Digest()
			if got := d.This.End.Sub(d.This.Start); got != c.hours {
				t.Fatalf("this week lasts %v, want %v", got, c.hours)
			}
			if got := d.Last.End.Sub(d.Last.Start); got != 168*time.Hour {
				t.Fatalf("last week lasts %v, want 168h", got)
			}
			if h, m, _ := d.This.Start.Clock(); h != 0 || m != 0 || d.This.Start.Weekday() != time.Monday || !d.This.End.Equal(c.end) {
				t.Fatalf("this week starts %v, want Monday midnight in New York", d.This.Start)
			}
			if got := []int{d.Last.InsideSales.Touches, d.This.InsideSales.Touches}; !slices.Equal(got, []int{1, 1}) {
				t.Fatalf("touches last, this=%v, want [1 1]", got)
			}
			if r := d.This.ByRep; len(r) != 1 || r[0].Calls != 1 || r[0].Emails != 0 || d.Last.ByRep[0].Emails != 1 {
				t.Fatalf("ByRep this=%+v last=%+v", r, d.Last.ByRep)
			}
			// The follow-up was due Sunday, the day before the end day (Monday) in New York.
			if got := d.This.ByRep[0].Overdue; got != 1 {
				t.Fatalf("Overdue=%d, want 1", got)
			}
			// Closed the next calendar day in New York, less or more than 24 hours later.
			if got := d.This.FieldSales.DaysToClose.Decimal(1); got != c.daysToClose {
				t.Fatalf("DaysToClose=%s, want %s", got, c.daysToClose)
			}
			if d.This.Marketing.NewLeads != 0 || d.Last.Marketing.NewLeads != 1 {
				t.Fatalf("NewLeads this=%d last=%d, want 0 and 1", d.This.Marketing.NewLeads, d.Last.Marketing.NewLeads)
			}
		})
	}
}

// Ensure that when no step fell, the stage with the largest stalled share
// is the bottleneck, with last week's share of the same stage.
func TestDigestBuilder_StalledBottleneck(t *testing.T) {
	b := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), june(15, 9), time.UTC)
	add := func(id uint64, stage int, entered time.Time) {
		b.AddOpportunity(&touchbase.Opportunity{ID: id, Stage: stage, Status: touchbase.OpportunityOpen, Owner: "ae1",
			AmountMinor: 100, Currency: "USD", CreatedAt: june(-100, 10), StageEnteredAt: entered,
			History: []touchbase.StageChange{{At: entered, Kind: touchbase.StageAdvance, From: stage - 1, To: stage}}})
	}
	add(1, 2, june(-20, 10)) // stage 2 (14 days): stalled both weeks
	add(2, 2, june(5, 10))   // not stalled
	add(3, 5, june(-60, 10)) // stage 5 (40 days): stalled both weeks
	add(4, 5, june(-33, 10)) // stalled both weeks: 47d23h and 40d23h > 40d
	add(5, 5, june(-20, 10)) // not stalled
	d := b.Digest()
	want := touchbase.Bottleneck{Reason: touchbase.BottleneckStalled, This: touchbase.Ratio{Num: 2, Den: 3},
		Last: touchbase.Ratio{Num: 2, Den: 3}, Stage: 5, StageName: "Risk removal", AvgDays: 40}
	if d.Bottleneck != want {
		t.Fatalf("Bottleneck=%+v, want %+v", d.Bottleneck, want)
	}
	if got, want := d.Bottleneck.Sentence(), "No step converted worse than last week, but Risk removal has the most stalled deals: 2 of 3 (67%) have been there longer than its 40-day average."; got != want {
		t.Fatalf("Sentence()=%q, want %q", got, want)
	}
}

// Ensure each kind of bottleneck reads as one plain sentence, singular and
// plural, with decimals when the rounded percents would read the same.
func TestBottleneck_Sentence(t *testing.T) {
	r := func(n, d int64) touchbase.Ratio { return touchbase.Ratio{Num: n, Den: d} }
	fell := func(s touchbase.Step, this, last touchbase.Ratio) touchbase.Bottleneck {
		return touchbase.Bottleneck{Reason: touchbase.BottleneckFell, Step: s, This: this, Last: last}
	}
	for _, c := range []struct {
		b    touchbase.Bottleneck
		want string
	}{
		{fell(touchbase.StepTouched, r(6, 10), r(9, 10)), "Lead → touched fell from 90% to 60%: 4 open leads were not touched."},
		{fell(touchbase.StepTouched, r(1, 2), r(3, 3)), "Lead → touched fell from 100% to 50%: 1 open lead was not touched."},
		{fell(touchbase.StepQualified, r(1, 4), r(1, 2)), "Touched → qualified fell from 50% to 25%: 3 touched leads were not qualified."},
		{fell(touchbase.StepOpportunity, r(2, 8), r(2, 5)), "Qualified → opportunity fell from 40% to 25%: 6 qualified leads were not converted."},
		{fell(touchbase.StepOpportunity, r(0, 1), r(1, 1)), "Qualified → opportunity fell from 100% to 0%: 1 qualified lead was not converted."},
		{fell(touchbase.StepWon, r(1, 3), r(2, 3)), "Opportunity → won fell from 67% to 33%: 2 of 3 closed opportunities were lost."},
		{fell(touchbase.StepWon, r(2, 3), r(3, 3)), "Opportunity → won fell from 100% to 67%: 1 of 3 closed opportunities was lost."},
		{fell(touchbase.StepWon, r(0, 1), r(1, 1)), "Opportunity → won fell from 100% to 0%: 1 of 1 closed opportunity was lost."},
		{fell(touchbase.StepQualified, r(401, 1000), r(404, 1000)), "Touched → qualified fell from 40.4% to 40.1%: 599 touched leads were not qualified."},
		{fell(touchbase.StepQualified, r(4001, 10000), r(4004, 10000)), "Touched → qualified fell from 40.04% to 40.01%: 5999 touched leads were not qualified."},
		{touchbase.Bottleneck{Reason: touchbase.BottleneckStalled, This: r(1, 4), Stage: 1, StageName: "Discovery", AvgDays: 7},
			"No step converted worse than last week, but Discovery has the most stalled deals: 1 of 4 (25%) has been there longer than its 7-day average."},
		{touchbase.Bottleneck{}, "The funnel held: no step converted worse than last week and no deal is stalled."},
	} {
		if got := c.b.Sentence(); got != c.want {
			t.Errorf("Sentence()=%q, want %q", got, c.want)
		}
	}
}

// Ensure the funnel step that fell most wins, ties going to the earlier
// step, and that a step n/a in either week is not compared.
func TestDigestBuilder_BottleneckPicksLargestFall(t *testing.T) {
	b := touchbase.NewDigestBuilder(touchbase.DefaultConfig(), june(15, 9), time.UTC)
	// Win rate: last week 2 won of 2; this week 1 won, 1 lost: fell 50 points.
	for i, c := range []struct {
		st     touchbase.OpportunityStatus
		closed time.Time
	}{{touchbase.OpportunityWon, june(2, 10)}, {touchbase.OpportunityWon, june(3, 10)},
		{touchbase.OpportunityWon, june(9, 10)}, {touchbase.OpportunityLost, june(10, 10)}} {
		b.AddOpportunity(&touchbase.Opportunity{ID: uint64(i + 1), Status: c.st, Stage: 3, CreatedAt: june(-10, 10), ClosedAt: c.closed})
	}
	// Lead → touched: last week 1 of 1 open lead touched, this week 0 of 1: fell 100 points.
	b.AddLead(&touchbase.Lead{ID: 1, Status: touchbase.LeadWorking, CreatedAt: june(-10, 10)})
	b.AddActivity(&touchbase.Activity{Kind: touchbase.ActivityCall, LeadID: 1, At: june(2, 10)})
	d := b.Digest()
	if d.Bottleneck.Reason != touchbase.BottleneckFell || d.Bottleneck.Step != touchbase.StepTouched {
		t.Fatalf("Bottleneck=%+v, want lead → touched", d.Bottleneck)
	}
	if got, want := d.Bottleneck.Sentence(), "Lead → touched fell from 100% to 0%: 1 open lead was not touched."; got != want {
		t.Fatalf("Sentence()=%q, want %q", got, want)
	}
}

// Ensure the ratios round halves up and say n/a for a zero denominator.
func TestRatio(t *testing.T) {
	for _, c := range []struct {
		r        touchbase.Ratio
		pct      string
		bp       int64
		decimal2 string
		pct1     string
	}{
		{touchbase.Ratio{Num: 0, Den: 0}, "n/a", 0, "n/a", "n/a"},
		{touchbase.Ratio{Num: 0, Den: 5}, "0%", 0, "0.00", "0.0%"},
		{touchbase.Ratio{Num: 1, Den: 3}, "33%", 3333, "0.33", "33.3%"},
		{touchbase.Ratio{Num: 2, Den: 3}, "67%", 6667, "0.67", "66.7%"},
		{touchbase.Ratio{Num: 1, Den: 8}, "13%", 1250, "0.13", "12.5%"}, // 12.5% rounds up
		{touchbase.Ratio{Num: 1, Den: 200}, "1%", 50, "0.01", "0.5%"},   // 0.5% rounds up
		{touchbase.Ratio{Num: 1, Den: 201}, "0%", 50, "0.00", "0.5%"},
		{touchbase.Ratio{Num: 24, Den: 11}, "218%", 21818, "2.18", "218.2%"},
		{touchbase.Ratio{Num: 27, Den: 12}, "225%", 22500, "2.25", "225.0%"},
		{touchbase.Ratio{Num: 1, Den: 1}, "100%", 10000, "1.00", "100.0%"},
		{touchbase.Ratio{Num: -1, Den: 3}, "-33%", -3333, "-0.33", "-33.3%"},
		{touchbase.Ratio{Num: 1, Den: -8}, "-13%", -1250, "-0.13", "-12.5%"},
	} {
		if got := c.r.String(); got != c.pct {
			t.Errorf("%+v.String()=%q, want %q", c.r, got, c.pct)
		}
		if got, ok := c.r.BasisPoints(); got != c.bp || ok != c.r.Valid() {
			t.Errorf("%+v.BasisPoints()=%d, %v, want %d", c.r, got, ok, c.bp)
		}
		if got := c.r.Decimal(2); got != c.decimal2 {
			t.Errorf("%+v.Decimal(2)=%q, want %q", c.r, got, c.decimal2)
		}
		if got := c.r.FormatPercent(1); got != c.pct1 {
			t.Errorf("%+v.FormatPercent(1)=%q, want %q", c.r, got, c.pct1)
		}
	}
	// Ensure huge values do not overflow: they are exact up to an int64 result and clamp beyond.
	if got, _ := (touchbase.Ratio{Num: math.MaxInt64, Den: math.MaxInt64}).Scale(10000); got != 10000 {
		t.Errorf("MaxInt64/MaxInt64 in basis points=%d, want 10000", got)
	}
	if got, _ := (touchbase.Ratio{Num: math.MaxInt64, Den: 1}).Scale(100); got != math.MaxInt64 {
		t.Errorf("MaxInt64 × 100=%d, want clamped to MaxInt64", got)
	}
	if got := (touchbase.Ratio{Num: 3, Den: 1}).Decimal(0); got != "3" {
		t.Errorf("Decimal(0)=%q, want 3", got)
	}
}

// Ensure Change and RateChange give the delta and the arrow.
func TestChange(t *testing.T) {
	for _, c := range []struct {
		this, last, delta int
		arrow, text       string
	}{
		{5, 3, 2, "▲", "▲2"},
		{3, 5, -2, "▼", "▼2"},
		{4, 4, 0, "—", "—"},
		{0, 0, 0, "—", "—"},
	} {
		delta, arrow := touchbase.Change(c.this, c.last)
		if delta != c.delta || arrow != c.arrow {
			t.Errorf("Change(%d, %d)=%d, %s, want %d, %s", c.this, c.last, delta, arrow, c.delta, c.arrow)
		}
		if got := touchbase.FormatChange(c.this, c.last); got != c.text {
			t.Errorf("FormatChange(%d, %d)=%q, want %q", c.this, c.last, got, c.text)
		}
	}
	r := func(n, d int64) touchbase.Ratio { return touchbase.Ratio{Num: n, Den: d} }
	for _, c := range []struct {
		this, last touchbase.Ratio
		points     int
		arrow      string
		ok         bool
	}{
		{r(2, 8), r(2, 5), -15, "▼", true},
		{r(2, 3), r(1, 2), 17, "▲", true},
		{r(1, 3), r(333, 1000), 0, "—", true}, // both read 33%
		{r(1, 3), r(0, 0), 0, "—", false},
	} {
		points, arrow, ok := touchbase.RateChange(c.this, c.last)
		if points != c.points || arrow != c.arrow || ok != c.ok {
			t.Errorf("RateChange(%v, %v)=%d, %s, %v, want %d, %s, %v", c.this, c.last, points, arrow, ok, c.points, c.arrow, c.ok)
		}
	}
}

// Ensure Pipeline sums the open opportunities as they stand, skips closed
// ones and unknown stages, and lists the stalled ones longest first.
func TestPipeline(t *testing.T) {
	cfg := touchbase.DefaultConfig()
	now := june(15, 9)
	opps := []*touchbase.Opportunity{
		{ID: 1, Stage: 1, Status: touchbase.OpportunityOpen, AmountMinor: 1000, Currency: "USD", StageEnteredAt: june(7, 9)},      // 8 days > 7: stalled
		{ID: 2, Stage: 1, Status: touchbase.OpportunityOpen, AmountMinor: 2000, Currency: "USD", StageEnteredAt: june(8, 9)},      // exactly 7 days: not stalled
		{ID: 3, Stage: 4, Status: touchbase.OpportunityOpen, AmountMinor: 5000000, Currency: "JPY", StageEnteredAt: june(-30, 9)}, // stalled, older
		{ID: 4, Stage: 4, Status: touchbase.OpportunityWon, AmountMinor: 9, Currency: "USD", StageEnteredAt: june(-30, 9)},        // closed
		{ID: 5, Stage: 9, Status: touchbase.OpportunityOpen, AmountMinor: 9, Currency: "USD", StageEnteredAt: june(-30, 9)},       // no stage 9
		{ID: 6, Stage: 8, Status: touchbase.OpportunityOpen, AmountMinor: 100, Currency: "USD", StageEnteredAt: june(-300, 9)},    // won stage: no average
		{ID: 7, Stage: 4, Status: touchbase.OpportunityOpen, AmountMinor: 1000000, Currency: "JPY", StageEnteredAt: june(-30, 9)}, // same day as 3: by ID
	}
	p := touchbase.Pipeline(cfg, opps, now)
	if p.Count != 5 || p.Total.String() != "¥6,000,000 + $31" || p.Weighted.String() != "¥3,000,000 + $1" {
		t.Fatalf("Count=%d Total=%s Weighted=%s", p.Count, p.Total, p.Weighted)
	}
	var ids []uint64
	for _, o := range p.Stalled {
		ids = append(ids, o.ID)
	}
	if !slices.Equal(ids, []uint64{3, 7, 1}) {
		t.Fatalf("Stalled=%v, want [3 7 1]", ids)
	}
	if p.Stages[0].Count != 2 || p.Stages[0].Stalled != 1 || p.Stages[3].Stalled != 2 || p.Stages[7].Count != 1 {
		t.Fatalf("Stages=%+v", p.Stages)
	}
}

// BenchmarkDigestBuilder feeds a workspace of 200,000 leads, 100,000
// opportunities and 1,000,000 activities, generated on the fly and not
// retained, and builds the digest.
func BenchmarkDigestBuilder(b *testing.B) {
	const (
		nLeads = 200000
		nOpps  = 100000
		nActs  = 1000000
	)
	cfg := touchbase.DefaultConfig()
	end := june(15, 9)
	reps := []string{"is1", "is2", "is3", "is4", "ae1", "ae2", "ae3", "cs1", "cs2", "mk1"}
	sources := []string{"Webinar", "Seminar", "Referral", "White paper", "Website", "Ads"}
	statuses := []touchbase.LeadStatus{touchbase.LeadNew, touchbase.LeadWorking, touchbase.LeadWorking, touchbase.LeadQualified,
		touchbase.LeadConverted, touchbase.LeadNurture, touchbase.LeadDisqualified}
	kinds := touchbase.ActivityKinds
	hist := make([]touchbase.StageChange, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		db := touchbase.NewDigestBuilder(cfg, end, time.UTC)
		seed := uint64(1)
		rnd := func(n int) int { // xorshift: cheap, deterministic
			seed ^= seed << 13
			seed ^= seed >> 7
			seed ^= seed << 17
			return int(seed % uint64(n))
		}
		ago := func(maxHours int) time.Time { return end.Add(-time.Duration(rnd(maxHours)) * time.Hour) }
		var l touchbase.Lead
		for i := range nLeads {
			created := ago(24 * 180)
			l = touchbase.Lead{ID: uint64(i + 1), Source: sources[rnd(len(sources))], Owner: reps[rnd(4)],
				Status: statuses[rnd(len(statuses))], CreatedAt: created, UpdatedAt: created.Add(time.Duration(rnd(24*30)) * time.Hour),
				NextFollowUp: touchbase.DateOf(end).AddDays(rnd(20) - 10)}
			if l.Status == touchbase.LeadQualified || l.Status == touchbase.LeadConverted {
				l.QualifiedAt = l.UpdatedAt.Add(-time.Hour)
			}
			if l.Status == touchbase.LeadConverted {
				l.ConvertedAt = l.UpdatedAt
			}
			db.AddLead(&l)
		}
		var o touchbase.Opportunity
		for i := range nOpps {
			created := ago(24 * 180)
			hist = append(hist[:0], touchbase.StageChange{At: created, Kind: touchbase.StageCreated, To: 1})
			stage := 1
			for range rnd(3) {
				at := hist[len(hist)-1].At.Add(time.Duration(rnd(24*20)) * time.Hour)
				hist = append(hist, touchbase.StageChange{At: at, Kind: touchbase.StageAdvance, From: stage, To: stage + 1})
				stage++
			}
			o = touchbase.Opportunity{ID: uint64(i + 1), Source: sources[rnd(len(sources))], Owner: reps[4+rnd(3)],
				AmountMinor: int64(rnd(10000000)), Currency: []string{"USD", "JPY"}[rnd(2)], Stage: stage,
				Status: touchbase.OpportunityOpen, History: hist, StageEnteredAt: hist[len(hist)-1].At, CreatedAt: created,
				NextFollowUp: touchbase.DateOf(end).AddDays(rnd(20) - 10)}
			switch rnd(5) {
			case 0:
				o.Status, o.ClosedAt = touchbase.OpportunityWon, hist[len(hist)-1].At.Add(48*time.Hour)
			case 1:
				o.Status, o.ClosedAt = touchbase.OpportunityLost, hist[len(hist)-1].At.Add(48*time.Hour)
			}
			db.AddOpportunity(&o)
		}
		var a touchbase.Activity
		for i := range nActs {
			a = touchbase.Activity{ID: uint64(i + 1), Kind: kinds[rnd(len(kinds))], Owner: reps[rnd(len(reps)-1)], At: ago(24 * 120)}
			if rnd(3) == 0 {
				a.OpportunityID = uint64(1 + rnd(nOpps))
			} else {
				a.LeadID = uint64(1 + rnd(nLeads))
			}
			db.AddActivity(&a)
		}
		for i := range 5000 {
			db.AddHandoff(&touchbase.Handoff{ID: uint64(i + 1), At: ago(24 * 30), Kind: touchbase.HandoffMQL})
		}
		if d := db.Digest(); d.This.InsideSales.Touches == 0 {
			b.Fatal("no touches")
		}
	}
}
