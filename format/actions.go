package format

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/countersign/countersign/internal/strictjson"
)

// Change classes (SPEC.md §6.8): organisation and policy facts change only
// through gated runs of these classes.
const (
	ClassPolicy         = "change.policy"
	ClassControl        = "change.control"
	ClassRole           = "change.role"
	ClassReportingLine  = "change.reporting_line"
	ClassException      = "change.exception"
	ClassSmallOrg       = "change.small_org"
	ClassSmallOrgReview = "change.small_org_review"
	ClassTeam           = "change.team"
)

// IsChangeClass reports whether class is a change class.
func IsChangeClass(class string) bool { return strings.HasPrefix(class, "change.") }

// Grant roles.
const (
	GrantMaker   = "maker"
	GrantChecker = "checker"
)

// Grant lets a principal act as maker or checker for some action classes,
// up to a limit.
type Grant struct {
	Principal string   `json:"principal"`
	Role      string   `json:"role"`
	Classes   []string `json:"classes"`
	MaxAmount string   `json:"max_amount"`
	Currency  string   `json:"currency"`
	// Limit and DailyLimit (revision 1.2, optional) bind the grant's
	// per-action maximum, or its per-day aggregate in the organisation's
	// time zone, to a parameter of a control.
	Limit      *ParamRef `json:"limit,omitempty"`
	DailyLimit *ParamRef `json:"daily_limit,omitempty"`
}

// ParamRef names one parameter of one control (revision 1.2).
type ParamRef struct {
	Control   string `json:"control"`
	Parameter string `json:"parameter"`
}

// GateDef defines the gate an action class must pass.
type GateDef struct {
	Class  string  `json:"class"`
	Gate   string  `json:"gate"`
	Stages []Stage `json:"stages"`
}

// BeneficiaryRule names, for an action class, the action member whose
// value is the principal the action benefits.
type BeneficiaryRule struct {
	Class  string `json:"class"`
	Member string `json:"member"`
}

// PolicyAction is the action of a change.policy run: a whole policy.
type PolicyAction struct {
	Class   string    `json:"class"`
	Version int64     `json:"version"`
	Control string    `json:"control"`
	Grants  []Grant   `json:"grants"`
	Gates   []GateDef `json:"gates"`
	// Beneficiaries is optional (absent means none).
	Beneficiaries []BeneficiaryRule `json:"beneficiaries,omitempty"`
}

// ControlAction defines or renames a control.
type ControlAction struct {
	Class    string `json:"class"`
	Control  string `json:"control"`
	Name     string `json:"name"`
	Material bool   `json:"material"`
	// Classes (revision 1.2, optional) are the action classes the control
	// governs: executing one is operating the control.
	Classes []string `json:"classes,omitempty"`
	// Parameters (revision 1.2, optional) are the control's named, typed
	// values (limits, thresholds).
	Parameters []Parameter `json:"parameters,omitempty"`
}

// Parameter is a named, typed value of a control (revision 1.2): Type is
// "amount" (Value an amount, Currency [A-Z]{3}), "decimal", "integer" or
// "text".
type Parameter struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Value    string `json:"value"`
	Currency string `json:"currency,omitempty"`
}

// TeamAction defines a team (revision 1.2): its members and the one named
// human accountable for it.
type TeamAction struct {
	Class       string   `json:"class"`
	Team        string   `json:"team"`
	Name        string   `json:"name"`
	Accountable string   `json:"accountable"`
	Members     []string `json:"members"`
}

// Control lifecycle roles (AG-259).
var controlRoles = []string{"build", "operate", "approve", "validate", "audit"}

// RoleAction assigns or unassigns a control role.
type RoleAction struct {
	Class     string `json:"class"`
	Control   string `json:"control"`
	Role      string `json:"role"`
	Principal string `json:"principal"`
	// Team (revision 1.2, optional): the role holder is a team; then
	// Principal is "".
	Team          string `json:"team,omitempty"`
	Op            string `json:"op"`
	Justification string `json:"justification"`
}

// ReportingLineAction sets a principal's manager.
type ReportingLineAction struct {
	Class     string `json:"class"`
	Principal string `json:"principal"`
	Manager   string `json:"manager"`
}

// ExceptionAction grants a time-limited exception to role segregation.
type ExceptionAction struct {
	Class     string `json:"class"`
	Exception string `json:"exception"`
	Holder    string `json:"holder"`
	// Beneficiary (revision 1.2) is the principal who asked for the
	// exception and answers for its use; it may equal the holder.
	Beneficiary    string   `json:"beneficiary,omitempty"`
	Control        string   `json:"control"`
	Roles          []string `json:"roles"`
	RiskAssessment string   `json:"risk_assessment"`
	Starts         string   `json:"starts"`
	Expires        string   `json:"expires"`
}

// SmallOrgAction documents a small-organisation combined-role exception.
type SmallOrgAction struct {
	Class                string   `json:"class"`
	Exception            string   `json:"exception"`
	Control              string   `json:"control"`
	People               int64    `json:"people"`
	Roles                []string `json:"roles"`
	Documentation        string   `json:"documentation"`
	RiskAssessment       string   `json:"risk_assessment"`
	CompensatingControls []string `json:"compensating_controls"`
	ReviewBy             string   `json:"review_by"`
}

// SmallOrgReviewAction records a quarterly review of a small-organisation
// exception.
type SmallOrgReviewAction struct {
	Class        string `json:"class"`
	Exception    string `json:"exception"`
	Outcome      string `json:"outcome"`
	Notes        string `json:"notes"`
	NextReviewBy string `json:"next_review_by"`
}

// changeTypes maps each change class to its action type.
var changeTypes = map[string]func() any{
	ClassPolicy:         func() any { return new(PolicyAction) },
	ClassControl:        func() any { return new(ControlAction) },
	ClassRole:           func() any { return new(RoleAction) },
	ClassReportingLine:  func() any { return new(ReportingLineAction) },
	ClassException:      func() any { return new(ExceptionAction) },
	ClassSmallOrg:       func() any { return new(SmallOrgAction) },
	ClassSmallOrgReview: func() any { return new(SmallOrgReviewAction) },
	ClassTeam:           func() any { return new(TeamAction) },
}

// DecodeChange decodes the action of a change class strictly.
func DecodeChange(a *Action, mode Mode) (any, error) {
	mk, ok := changeTypes[a.Class]
	if !ok {
		return nil, fmt.Errorf("%w: unknown change class %q", ErrMalformed, a.Class)
	}
	v := mk()
	if err := DecodeJSON(a.Raw, v, mode); err != nil {
		return nil, err
	}
	return v, nil
}

var decimalRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)

var amountRE = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]+)?$`)

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidAmount reports whether s is an amount a limit can judge (SPEC.md
// §6.8): a non-negative decimal without sign or exponent, at most 64
// characters.
func ValidAmount(s string) bool { return len(s) <= 64 && amountRE.MatchString(s) }

// ValidCurrency reports whether s is three capital letters A-Z.
func ValidCurrency(s string) bool { return currencyRE.MatchString(s) }

// NestedMember reports whether the action has a member named one of names
// anywhere inside its top-level values (in nested objects or arrays, at any
// depth); the action's own top-level members are not looked at.
func (a *Action) NestedMember(names ...string) bool {
	found := false
	var walk func(v []byte)
	walk = func(v []byte) {
		switch {
		case found || len(v) == 0:
		case v[0] == '{':
			strictjson.EachMember(v, func(key, val []byte) bool {
				k, _ := strictjson.Unquote(key)
				for _, n := range names {
					if k == n {
						found = true
					}
				}
				walk(val)
				return !found
			})
		case v[0] == '[':
			strictjson.EachElement(v, func(el []byte) bool {
				walk(el)
				return !found
			})
		}
	}
	strictjson.EachMember(a.Raw, func(_, val []byte) bool {
		walk(val)
		return !found
	})
	return found
}

// ParseDecimal reads a decimal amount string exactly (SPEC.md §3.1).
func ParseDecimal(s string) (*big.Rat, error) {
	if len(s) > 64 || !decimalRE.MatchString(s) {
		return nil, fmt.Errorf("%w: %q is not a decimal amount", ErrMalformed, s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a decimal amount", ErrMalformed, s)
	}
	return r, nil
}

// Action is a parsed action (SPEC.md §6.6): its class and its members as
// raw JSON.
type Action struct {
	Class   string
	Members map[string]json.RawMessage
	Raw     []byte
}

// ParseAction parses action bytes strictly: the JSON subset, an object with
// a string member "class".
func ParseAction(b []byte) (*Action, error) {
	if err := strictjson.ValidateObject(b, strictjson.Limits{}); err != nil {
		return nil, fmt.Errorf("action: %w: %w", ErrMalformed, err)
	}
	a := &Action{Members: map[string]json.RawMessage{}, Raw: b}
	strictjson.EachMember(b, func(key, val []byte) bool {
		k, _ := strictjson.Unquote(key)
		a.Members[k] = json.RawMessage(val)
		return true
	})
	cls, ok := a.Members["class"]
	if !ok {
		return nil, malformed("action has no class")
	}
	if a.Class, ok = strictjson.Unquote(cls); !ok || a.Class == "" {
		return nil, malformed("action class is not a string")
	}
	return a, nil
}

// Text returns the string value of member name, and whether it is one.
func (a *Action) Text(name string) (string, bool) {
	v, ok := a.Members[name]
	if !ok {
		return "", false
	}
	return strictjson.Unquote(v)
}
