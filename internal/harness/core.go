// Package harness holds a differential harness that drives the
// enforcement core as a runtime would and holds the verifier to what the
// core decided: what the core accepts the verifier passes, and what the
// core refuses, forged into a bundle as accepted, the verifier fails with
// the rule that matches the refusal.
//
// NewCore is the one place tests build a core, so a change to the core's
// configuration is adapted here alone.
package harness

import (
	"crypto"
	"path/filepath"
	"time"

	"github.com/countersign/countersign/enforce"
)

// CoreSetup is what a test core is built from.
type CoreSetup struct {
	Dir       string
	LogKey    crypto.Signer
	Clock     func() time.Time
	SealEvery int
	// Alerter delivers the core's alerts (enforce.Config.Alerter).
	Alerter enforce.Alerter
}

// config keeps the journal's head in a file beside Dir (never inside it,
// which the core refuses).
func (s CoreSetup) config() enforce.Config {
	head := enforce.NewFileHeadStore(filepath.Clean(s.Dir) + ".head")
	return enforce.Config{Dir: s.Dir, LogKey: s.LogKey, Clock: s.Clock, SealEvery: s.SealEvery, HeadStore: head, Alerter: s.Alerter}
}

// NewCore creates a core with a new log.
func NewCore(s CoreSetup, g enforce.Genesis) (*enforce.Core, error) {
	return enforce.Create(s.config(), g)
}

// OpenCore reopens a core's log.
func OpenCore(s CoreSetup) (*enforce.Core, error) {
	return enforce.Open(s.config())
}
