package verifier

// ruleKeyEnrolment is enforced during scanning (interpret.go); it is listed
// here for the catalogue.
var ruleKeyEnrolment = Rule{
	ID:         RuleKeyEnrolment,
	Statement:  "every key was enrolled with its own proof of possession and two registrars other than the enrolee; no key serves two principals",
	References: []string{"21 CFR 11.100", "21 CFR 11.300", "SPEC.md §8.2"},
}
