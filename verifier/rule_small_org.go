package verifier

import (
	"slices"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
)

// RuleSmallOrg: a small organisation may combine roles only while fewer
// than 5 people hold control roles, with the combination documented,
// risk-assessed, compensated and reviewed every quarter.
const RuleSmallOrg = "SOD-SMALL-ORG"

// maxMonths is how far ahead a review date may be set: a quarter.
const maxMonths = 3

var ruleSmallOrg = Rule{
	ID:         RuleSmallOrg,
	Statement:  "a small-organisation exception combining roles is documented, risk-assessed and names its compensating controls; it holds only while fewer than 5 people hold control roles, counted from the register, and while each quarterly review is made by its date; nothing relies on it once it has lapsed",
	References: []string{"seed 003 (AG-259 4.8)", "SPEC.md §6.11"},
	check: func(j *judgement) {
		s := j.st
		missedReviews(j)
		r := j.run
		if _, ok := j.body.(*format.Execution); !ok || r == nil || r.Action == nil {
			return
		}
		ch, err := format.DecodeChange(r.Action, modeOf(s.Lax))
		if err != nil {
			return
		}
		recs := []int64{r.ProposalSeq, j.rec.Seq}
		switch c := ch.(type) {
		case *format.SmallOrgAction:
			if p := s.smallOrgProblem(c, j); p != "" && j.on("SOD-SMALL-ORG.1") {
				j.emitf(RuleSmallOrg, recs, "small-organisation exception %s: %s; it does not take effect", clip(c.Exception), p)
			}
			if n := s.humansHolding(); n >= 5 && j.on("SOD-SMALL-ORG.2") {
				j.emitf(RuleSmallOrg, recs, "small-organisation exception %s is granted while %d people hold control roles: it needs fewer than 5; it does not take effect", clip(c.Exception), n)
			}
		case *format.SmallOrgReviewAction:
			if p := s.reviewProblem(c, j); p != "" && j.on("SOD-SMALL-ORG.5") {
				j.emitf(RuleSmallOrg, recs, "review of small-organisation exception %s: %s; it does not count", clip(c.Exception), p)
			}
		}
	},
	end: func(s *State, off map[string]bool, emit func(Finding)) {
		if s.Reg.x == nil || s.endTime == "" {
			return
		}
		if !off["SOD-SMALL-ORG.3"] {
			end, err := format.ParseTime(s.endTime)
			for _, o := range s.Reg.x.smallOrgs {
				if err == nil && !o.lapsed && !o.ended && !end.Before(o.deadline) {
					emit(Finding{Rule: RuleSmallOrg, Records: []int64{o.seq}, msgf: "small-organisation exception %s was not reviewed by %s; the bundle was sealed at %s", args: []any{clip(o.id), o.reviewBy.String(), s.endTime}})
				}
			}
		}
		for _, key := range sortedKeys(s.Reg.x.pconf) {
			if off["SOD-CONTROL-ROLES.2"] {
				break
			}
			pc := s.Reg.x.pconf[key]
			c, unit, _ := cutKey(key)
			emit(Finding{Rule: RuleControlRoles, Records: []int64{pc.seq}, msgf: "personnel record %d left %s holding roles %v on control %s from %s, still at the end of the bundle sealed at %s (%s)", args: []any{pc.seq, unitText(unit), pc.roles, c, pc.time, s.endTime, span(pc.time, s.endTime)}})
		}
	},
}

func cutKey(key string) (string, string, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			return key[:i], key[i+1:], true
		}
	}
	return key, "", false
}

// smallOrgProblem says why a change.small_org cannot take effect
// (SOD-SMALL-ORG.1), or "".
func (s *State) smallOrgProblem(c *format.SmallOrgAction, j *judgement) string {
	granted := calendar.On(j.at(), s.zone())
	by, err := calendar.Parse(c.ReviewBy)
	switch {
	case !format.ValidID(c.Exception):
		return "its exception ID is not an identifier"
	case s.Reg.Controls[c.Control] == nil:
		return "control " + clip(c.Control) + " is not in the register"
	case !rolesValid(c.Roles):
		return "it does not name at least two distinct roles of the five"
	case !nonBlank(c.Documentation):
		return "its documentation is blank"
	case !nonBlank(c.RiskAssessment):
		return "its risk assessment is blank"
	case len(c.CompensatingControls) == 0 || slices.ContainsFunc(c.CompensatingControls, func(t string) bool { return !nonBlank(t) }):
		return "it names no compensating control, or a blank one"
	case err != nil:
		return "review_by " + clip(c.ReviewBy) + " is not a date"
	case by.Before(granted) || granted.AddMonths(maxMonths).Before(by):
		return "review_by " + c.ReviewBy + " is not between " + granted.String() + " and " + granted.AddMonths(maxMonths).String()
	}
	return ""
}

// smallOrgIn returns the small-organisation exception id in force, or nil.
func (s *State) smallOrgIn(id string) *smallOrg {
	if s.Reg.x == nil {
		return nil
	}
	for _, o := range s.Reg.x.smallOrgs {
		if o.id == id && !o.lapsed && !o.ended {
			return o
		}
	}
	return nil
}

// reviewProblem says why a change.small_org_review does not count
// (SOD-SMALL-ORG.5), or "".
func (s *State) reviewProblem(c *format.SmallOrgReviewAction, j *judgement) string {
	o := s.smallOrgIn(c.Exception)
	day := calendar.On(j.at(), s.zone())
	switch {
	case o == nil || !j.at().Before(o.deadline):
		return "no small-organisation exception " + clip(c.Exception) + " is in force"
	case !nonBlank(c.Notes):
		return "its notes are blank"
	case c.Outcome == "end":
		return ""
	case c.Outcome != "continue":
		return "outcome " + clip(c.Outcome) + " is neither continue nor end"
	}
	by, err := calendar.Parse(c.NextReviewBy)
	switch {
	case err != nil:
		return "next_review_by " + clip(c.NextReviewBy) + " is not a date"
	case by.Before(day) || day.AddMonths(maxMonths).Before(by):
		return "next_review_by " + c.NextReviewBy + " is not between " + day.String() + " and " + day.AddMonths(maxMonths).String()
	}
	return ""
}

// applySmallOrg puts an executed change.small_org or review into the
// register when it is valid. It returns whether it took effect.
func applySmallOrg(j *judgement, ch any) bool {
	s := j.st
	switch c := ch.(type) {
	case *format.SmallOrgAction:
		if s.smallOrgProblem(c, j) != "" && j.on("SOD-SMALL-ORG.1") || s.humansHolding() >= 5 && j.on("SOD-SMALL-ORG.2") || !j.roomInRegister(1) {
			return false
		}
		by, _ := calendar.Parse(c.ReviewBy)
		x := s.Reg.ext()
		x.smallOrgs = append(x.smallOrgs, &smallOrg{id: c.Exception, control: c.Control, roles: slices.Clone(c.Roles), seq: j.rec.Seq, reviewBy: by, deadline: by.End(s.zone())})
		return true
	case *format.SmallOrgReviewAction:
		if s.reviewProblem(c, j) != "" && j.on("SOD-SMALL-ORG.5") {
			return false
		}
		o := s.smallOrgIn(c.Exception)
		if o == nil {
			return false
		}
		if c.Outcome == "end" {
			o.ended = true
			return true
		}
		if by, err := calendar.Parse(c.NextReviewBy); err == nil {
			o.reviewBy, o.deadline = by, by.End(s.zone())
		}
		return true
	}
	return false
}

// missedReviews lapses, at the first record at or past its deadline, a
// small-organisation exception not reviewed in time (SOD-SMALL-ORG.3).
func missedReviews(j *judgement) {
	x := j.st.Reg.x
	if x == nil {
		return
	}
	t := j.at()
	for _, o := range x.smallOrgs {
		if o.lapsed || o.ended || t.Before(o.deadline) || !j.on("SOD-SMALL-ORG.3") {
			continue
		}
		o.lapsed = true
		j.emitf(RuleSmallOrg, []int64{o.seq, j.rec.Seq}, "small-organisation exception %s was not reviewed by %s; it lapsed at %s", clip(o.id), o.reviewBy.String(), format.FormatTime(o.deadline))
	}
}

// headcount lapses every small-organisation exception in force once 5 or
// more people hold control roles (SOD-SMALL-ORG.2), citing the change
// that made the count.
func headcount(j *judgement, recs []int64) {
	x := j.st.Reg.x
	if x == nil || len(x.smallOrgs) == 0 {
		return
	}
	n := -1
	for _, o := range x.smallOrgs {
		if o.lapsed || o.ended {
			continue
		}
		if n < 0 {
			n = j.st.humansHolding()
		}
		if n < 5 || !j.on("SOD-SMALL-ORG.2") {
			return
		}
		o.lapsed = true
		j.emitf(RuleSmallOrg, append([]int64{o.seq}, recs...), "record %d brings the people holding control roles to %d; small-organisation exception %s lapses at once", j.rec.Seq, n, clip(o.id))
	}
}
