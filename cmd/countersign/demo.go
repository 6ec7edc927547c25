package main

import (
	"context"
	"os"

	"github.com/countersign/countersign/internal/demo"
)

// runDemo runs the end-to-end demonstration (internal/demo). Human
// signatures are made by running this same executable's sign command.
func runDemo(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("demo")
	out := fs.String("out", "countersign-demo", "directory for keys, requests, signatures and bundles")
	pos, code, ok := e.parse("demo", fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.usageError("demo", "demo takes no arguments, got %q", pos[0])
	}
	exe, err := os.Executable()
	if err != nil {
		return e.errorf(exitInput, "cannot find the countersign executable to run signers: %v", err)
	}
	res, err := demo.Run(ctx, demo.Config{Dir: *out, Sign: []string{exe, "sign"}, Out: e.stdout})
	if err != nil {
		return e.errorf(exitFail, "demo: %v", err)
	}
	if res.Verdict != "pass" || res.TamperedResult == nil || res.TamperedResult.Verdict != "fail" || len(res.Refusals) < 3 {
		return e.errorf(exitFail, "demo: something did not behave as designed")
	}
	return exitOK
}
