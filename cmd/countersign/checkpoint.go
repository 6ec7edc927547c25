package main

import (
	"context"
	"fmt"

	"github.com/countersign/countersign/verifier"
)

// runCheckpoint prints a bundle's final seal, the line a relying party keeps
// and later gives to verify --checkpoint to prove that a newer bundle
// extends this one (SPEC.md §7.3).
func runCheckpoint(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("checkpoint")
	pos, code, ok := e.parse("checkpoint", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("checkpoint", "checkpoint takes exactly one BUNDLE (a file, or - for stdin); got %d arguments", len(pos))
	}
	in, code := e.openBundle(pos[0])
	if code != 0 {
		return code
	}
	defer in.close()
	res, code := e.verifyBundle(ctx, in, verifier.UnsafeNoTrust(), verifier.Options{})
	if code != 0 {
		return code
	}
	if res.Verdict != verifier.VerdictPass || res.Bundle.FinalSeal == "" {
		e.errorf(exitFail, "%s does not verify (%d findings): refusing to print a checkpoint of it", in.name, len(res.Findings)+res.FindingsOmitted)
		e.hintf("run 'countersign verify --unsafe-no-trust %s' to see the findings", in.name)
		return exitFail
	}
	fmt.Fprintln(e.stdout, res.Bundle.FinalSeal)
	return exitOK
}
