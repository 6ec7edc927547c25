package main

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version recorded by the Go tool is used.
var version = ""

func runVersion(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("version")
	pos, code, ok := e.parse("version", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return e.usageError("version", "version takes no arguments")
	}
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	fmt.Fprintf(e.stdout, "countersign %s\n", v)
	fmt.Fprintf(e.stdout, "bundle format %s %s, verify result %s v%d\n", format.FormatName, format.Version, verifier.ResultFormat, verifier.ResultVersion)
	fmt.Fprintf(e.stdout, "binary sha256 %s\n", selfSHA256())
	return exitOK
}
