package main

import (
	"path/filepath"
	"testing"
)

// What browse says before it draws anything: usage errors, no terminal,
// not a bundle. (The browser itself is tested in tui/, and on a terminal
// in TestBrowseInTmux.)
func TestBrowse(t *testing.T) {
	dir := t.TempDir()
	b, _ := sample()
	bundle := write(t, dir, "sample.csb", b.Bundle())
	notBundle := write(t, dir, "notes.txt", []byte("not a bundle\n"))
	runCases(t, []cliCase{
		{name: "no trust", args: []string{"browse", bundle}, code: exitUsage, errOut: []string{"--trust FP", "--unsafe-no-trust"}},
		{name: "both trusts", args: []string{"browse", "--trust", b.Genesis().String(), "--unsafe-no-trust", bundle}, code: exitUsage},
		{name: "stdin", args: []string{"browse", "--unsafe-no-trust", "-"}, code: exitUsage, errOut: []string{"reads a file, not stdin"}},
		{name: "no bundle", args: []string{"browse", "--unsafe-no-trust"}, code: exitUsage},
		{name: "no terminal", args: []string{"browse", "--unsafe-no-trust", bundle}, code: exitUsage, errOut: []string{"browse needs a terminal", "verify --json"}},
		{name: "not a bundle", args: []string{"browse", "--unsafe-no-trust", notBundle}, code: exitInput, errOut: []string{"is not a countersign bundle"}},
		{name: "missing", args: []string{"browse", "--unsafe-no-trust", filepath.Join(dir, "nope.csb")}, code: exitInput},
		{name: "directory", args: []string{"browse", "--unsafe-no-trust", dir}, code: exitInput},
		{name: "browse -h", args: []string{"browse", "-h"}, code: exitOK, out: []string{"Usage: countersign browse"}},
	})
}
