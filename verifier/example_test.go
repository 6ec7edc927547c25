package verifier_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// Example verifies a bundle pinned to its genesis fingerprint, as a
// regulator would with a fingerprint obtained out of band, then a copy in
// which one record was altered.
func Example() {
	b := fixtures.New(fixtures.Options{})
	b.Person("risk.ana", format.KindHuman, "risk")
	note := b.Append(format.TypeNote, "", &format.Note{Code: "hello", Text: "quarter closed"})
	bundle := b.Bundle()

	trust, err := verifier.PinGenesis(b.Genesis().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := verifier.Verify(context.Background(), bytes.NewReader(bundle), trust, verifier.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Verdict, res.Authenticity, res.Counts.Records, "records")

	// Alter the note after the fact, keeping its old signature: its
	// envelope no longer verifies, and the final seal no longer names it.
	b.Lines[note] = bytes.Replace(b.Lines[note], []byte("closed"), []byte("opened"), 1)
	res, _ = verifier.Verify(context.Background(), bytes.NewReader(fixtures.Pack(b.Lines, b.Trailer())), trust, verifier.Options{})
	fmt.Println(res.Verdict)
	for _, f := range res.Findings {
		fmt.Println(f.Rule, f.Records)
	}
	// Output:
	// pass established 3 records
	// fail
	// INT-ENVELOPE [2]
	// INT-FINAL-SEAL [2]
}
