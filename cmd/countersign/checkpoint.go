package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// runCheckpoint prints a bundle's final seal, the line a relying party keeps
// and later gives to verify --checkpoint to prove that a newer bundle
// extends this one (SPEC.md §7.3). With --at SEQ it prints the periodic
// seal record SEQ in the same form instead.
func runCheckpoint(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("checkpoint")
	at := fs.Int64("at", -1, "")
	pos, code, ok := e.parse("checkpoint", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("checkpoint", "checkpoint takes exactly one BUNDLE (a file, or - for stdin); got %d arguments", len(pos))
	}
	periodic := false
	fs.Visit(func(f *flag.Flag) { periodic = periodic || f.Name == "at" })
	if periodic && *at < 0 {
		return e.usageError("checkpoint", "--at needs the sequence number of a periodic seal record, 0 or more")
	}
	if periodic && pos[0] == "-" {
		return e.usageError("checkpoint", "--at reads the bundle more than once: give a file, not - for stdin")
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
	if !periodic {
		fmt.Fprintln(e.stdout, res.Bundle.FinalSeal)
		return exitOK
	}
	line, err := periodicSeal(ctx, e, pos[0], *at)
	if err != nil {
		return e.errorf(exitFail, "%s: %s", in.name, display.Escape(err.Error()))
	}
	fmt.Fprintln(e.stdout, string(line))
	return exitOK
}

// periodicSeal returns the checkpoint line of the periodic seal record seq
// of a bundle that verifies: its seal and signature, with the key ID of
// the log key in force at that record.
func periodicSeal(ctx context.Context, e *env, path string, seq int64) ([]byte, error) {
	in, code := e.openBundle(path)
	if code != 0 {
		return nil, errors.New("cannot read it again")
	}
	st, _, err := verifier.StateAt(ctx, in.r, verifier.UnsafeNoTrust(), seq)
	in.close()
	if err != nil {
		return nil, fmt.Errorf("cannot read it again: %w", err)
	}
	if st.LogKey == nil {
		return nil, fmt.Errorf("no log key is in force at record %d", seq)
	}
	in, code = e.openBundle(path)
	if code != 0 {
		return nil, errors.New("cannot read it again")
	}
	defer in.close()
	r := format.NewReader(in.r)
	defer r.Close()
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("it has no record %d", seq)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read it again: %w", err)
		}
		if l.Index != seq || format.IsTrailer(l.Bytes) {
			continue
		}
		rec, err := format.ParseRecord(l.Bytes)
		if err != nil {
			return nil, fmt.Errorf("record %d does not parse: %w", seq, err)
		}
		if rec.Type != format.TypeSeal {
			return nil, fmt.Errorf("record %d is of type %s, not a periodic seal", seq, display.Quote(rec.Type))
		}
		v, err := format.DecodeBody(format.TypeSeal, rec.Body, format.Strict)
		if err != nil {
			return nil, fmt.Errorf("record %d's body: %w", seq, err)
		}
		body := v.(*format.SealBody)
		sig, err := hex.DecodeString(body.Sig)
		if err != nil {
			return nil, fmt.Errorf("record %d's signature: %w", seq, err)
		}
		return produce.EncodeCheckpoint([]byte(body.Seal), st.LogKey.ID, sig), nil
	}
}
