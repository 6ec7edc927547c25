package format_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/countersign/countersign/format"
)

// identity_check is an optional member of enrol-witness: a statement with
// it and one without both parse, and it belongs to no other purpose.
func TestStatementIdentityCheck(t *testing.T) {
	zeros := format.Hash{}.String()
	witness := `{"purpose":"enrol-witness","bundle":"` + zeros + `","principal":"reg.a","name":"A","time":"2026-11-02T09:00:00.000Z",` +
		`"subject":"risk.ana","subject_name":"Ana","kind":"human","team":"risk","key":"` + zeros + `","registrar":false`
	self := `{"purpose":"enrol-self","bundle":"` + zeros + `","principal":"risk.ana","name":"Ana","time":"2026-11-02T09:00:00.000Z",` +
		`"key":"` + zeros + `","kind":"human","team":"risk","registrar":false`
	for _, c := range []struct {
		name    string
		stmt    string
		mode    format.Mode
		want    string
		wantErr bool
	}{
		{name: "without", stmt: witness + `}`, mode: format.Strict},
		{name: "with", stmt: witness + `,"identity_check":"in person, passport"}`, mode: format.Strict, want: "in person, passport"},
		{name: "with, lax", stmt: witness + `,"identity_check":"video call, driving licence"}`, mode: format.Lax, want: "video call, driving licence"},
		{name: "with same_person", stmt: witness + `,"same_person":[],"identity_check":"in person"}`, mode: format.Strict, want: "in person"},
		{name: "blank", stmt: witness + `,"identity_check":"  "}`, mode: format.Strict, wantErr: true},
		{name: "empty", stmt: witness + `,"identity_check":""}`, mode: format.Lax, wantErr: true},
		{name: "not a string", stmt: witness + `,"identity_check":true}`, mode: format.Strict, wantErr: true},
		{name: "twice", stmt: witness + `,"identity_check":"a","identity_check":"b"}`, mode: format.Strict, wantErr: true},
		{name: "in enrol-self", stmt: self + `,"identity_check":"in person"}`, mode: format.Strict, wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := format.ParseStatement([]byte(c.stmt), c.mode)
			if c.wantErr {
				if !errors.Is(err, format.ErrMalformed) {
					t.Fatalf("accepted, or not ErrMalformed: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.IdentityCheck != c.want {
				t.Fatalf("identity_check %q, want %q", st.IdentityCheck, c.want)
			}
		})
	}
}

// Encode writes identity_check only when there is one, and what it writes
// parses back to the same statement.
func TestEncodeIdentityCheck(t *testing.T) {
	no := false
	for _, c := range []struct {
		name, check string
		wantMember  bool
	}{
		{name: "without", check: ""},
		{name: "with", check: "in person, passport", wantMember: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &format.Statement{Purpose: format.PurposeEnrolWitness, Bundle: format.Hash{}.String(), Principal: "reg.a", Name: "A",
				Time: "2026-11-02T09:00:00.000Z", Subject: "risk.ana", SubjectName: "Ana", Kind: "human", Team: "risk",
				Key: format.Hash{}.String(), Registrar: &no, IdentityCheck: c.check}
			b, err := st.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(b, []byte(`"identity_check"`)); got != c.wantMember {
				t.Fatalf("identity_check member present %v, want %v: %s", got, c.wantMember, b)
			}
			back, err := format.ParseStatement(b, format.Strict)
			if err != nil || back.IdentityCheck != c.check {
				t.Fatalf("parsed back %+v, %v", back, err)
			}
		})
	}
}
