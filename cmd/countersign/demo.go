package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// runDemo starts countersign-demo, the separate binary that holds the
// producer (this one links none), telling it to run this executable for
// the signers. It looks beside this executable first, then on PATH.
func runDemo(ctx context.Context, e *env, args []string) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprint(e.stdout, usages["demo"])
			return exitOK
		}
	}
	self, err := os.Executable()
	if err != nil {
		return e.errorf(exitInput, "cannot find the countersign executable the signers run: %v", err)
	}
	demo := filepath.Join(filepath.Dir(self), "countersign-demo")
	if st, err := os.Stat(demo); err != nil || st.IsDir() {
		if demo, err = exec.LookPath("countersign-demo"); err != nil {
			code := e.errorf(exitInput, "cannot find countersign-demo, the demonstration's own binary, beside %s or on PATH", self)
			e.hintf("make install (or go install ./cmd/countersign-demo) puts it beside countersign")
			return code
		}
	}
	cmd := exec.CommandContext(ctx, demo, append(append([]string{}, args...), "--countersign", self)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	default:
		return e.errorf(exitInput, "cannot run %s: %v", demo, err)
	}
}
