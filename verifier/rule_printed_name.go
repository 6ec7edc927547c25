package verifier

import (
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/names"
)

// RulePrintedName: printed names are plain, single-script and distinct.
const RulePrintedName = "SOD-PRINTED-NAME"

var rulePrintedName = Rule{
	ID:         RulePrintedName,
	Statement:  "printed names contain no control or bidirectional characters, do not mix scripts, and are not the same as or confusable with another principal's unless registrars attest that both are one person",
	References: []string{"21 CFR 11.50", "21 CFR 11.100"},
	check: func(j *judgement) {
		var printed []format.Principal
		var attested func(other string) bool
		switch b := j.body.(type) {
		case *format.Genesis:
			for _, r := range b.Registrars {
				printed = append(printed, format.Principal{ID: r.ID, Name: r.Name})
			}
			attested = func(string) bool { return false }
		case *format.Enrolment:
			if _, known := j.st.Principals[b.Principal.ID]; known {
				return
			}
			printed = append(printed, b.Principal)
			attested = func(other string) bool { return attestedSame(j.stmts, other) }
		default:
			return
		}
		for i, p := range printed {
			if why := names.Problem(p.Name); why != "" && j.on("SOD-PRINTED-NAME.1") {
				j.emitf(RulePrintedName, nil, "printed name of %s %s", p.ID, why)
			}
			if !j.on("SOD-PRINTED-NAME.2") {
				continue
			}
			sk := names.Skeleton(p.Name)
			for _, other := range j.st.PrincipalIDs() {
				o := j.st.Principals[other]
				if other != p.ID && names.Skeleton(o.Name) == sk && !attested(other) {
					j.emitf(RulePrintedName, []int64{o.EnrolledAt, j.rec.Seq}, "printed name of %s is the same as, or confusable with, %s's, and no registrar attests that they are one person", p.ID, other)
				}
			}
			for _, q := range printed[:i] {
				if names.Skeleton(q.Name) == sk {
					j.emitf(RulePrintedName, nil, "printed name of %s is the same as, or confusable with, %s's", p.ID, q.ID)
				}
			}
		}
	},
}

// attestedSame reports whether every registrar witness statement of an
// enrolment (there must be one) lists other in same_person (SPEC.md §6.2).
func attestedSame(stmts []*format.Statement, other string) bool {
	n := 0
	for _, st := range stmts {
		if st == nil || st.Purpose != format.PurposeEnrolWitness {
			continue
		}
		n++
		found := false
		for _, id := range st.SamePerson {
			found = found || id == other
		}
		if !found {
			return false
		}
	}
	return n > 0
}
