package enforce

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
	"github.com/countersign/countersign/internal/strictjson"
)

// Config sets up a Core.
type Config struct {
	// Dir holds the journal. One process at a time may open it.
	Dir string
	// LogKey signs every record's envelope and every seal. It belongs to
	// the control plane, never to a principal.
	LogKey crypto.Signer
	// Clock reads the time; nil means time.Now. A clock that steps back is
	// clamped to the last record's time and a note is recorded.
	Clock func() time.Time
	// SealEvery appends a periodic seal after that many records (default
	// 1000; negative disables).
	SealEvery int
	// HeadStore keeps the journal's head (its last sequence number and
	// record hash, signed by the log key) where whoever can write Dir
	// cannot roll it back with the journal: a file on another volume or
	// under other permissions (NewFileHeadStore), a database row, a counter
	// behind a key service. Open refuses a journal that does not reach the
	// kept head exactly. Required unless UnsafeNoHeadStore is set; there is
	// no default, and a FileHeadStore inside Dir is refused.
	HeadStore HeadStore
	// UnsafeNoHeadStore runs without a kept head. Open still refuses
	// records whose links, signatures or statements fail, but it cannot
	// tell the journal the core wrote from one cut short by whole records
	// or replaced by an older copy: a run executed and then cut off the
	// end can be executed again. For tests and throwaway logs only.
	UnsafeNoHeadStore bool
	// OnSeal, when set, receives each periodic seal once it is durable and
	// kept, as a checkpoint line: the form 'countersign verify
	// --checkpoint' reads. Handing each to a party outside the producer's
	// reach is what detects a rollback of both the journal and the head
	// store. It is called with the core's lock held and must not call the
	// core; queue the line if delivering it is slow.
	OnSeal func(checkpoint []byte)
	// Alerter delivers the alerts the core writes when it refuses an act
	// for a role the actor does not hold (SPEC.md §6.9): it is called from
	// a goroutine of the core's own, outside its lock, never delaying a
	// decision, and each answer is recorded as an alert_delivery; failures
	// are retried with backoff while the core is open. AG-259 4.4 wants an
	// alert delivered within 60 seconds of the attempt: an embedding
	// runtime must set one. Without it alerts are still written, each with
	// a failed delivery "no alerter configured", which a verifier reports.
	// With an Alerter, Clock is also called from the delivery goroutines
	// (always with the core's lock held).
	Alerter Alerter
	// AlertTimeout bounds each call of the Alerter (default
	// DefaultAlertTimeout; at most MaxAlertTimeout).
	AlertTimeout time.Duration
}

// Genesis describes a new log.
type Genesis struct {
	BundleID string
	Org      string
	TimeZone string
	// Registrars are the initial registrars, with their public keys. Each
	// must have signed an enrol-self statement (format.PurposeEnrolSelf,
	// with a zero bundle hash and Registrar set) with its key.
	Registrars []Registrar
	// Governance is how many registrars must approve a change run while no
	// policy defines its gate (at least 1; 2 for four-eyes).
	Governance int64
}

// Registrar is an initial registrar.
type Registrar struct {
	Principal format.Principal
	Key       ed25519.PublicKey
	// ProofOfPossession is the registrar's enrol-self statement, signed
	// with Key, with bundle set to 64 zeros.
	ProofOfPossession format.Signed
}

// Core is the enforcement core. Its methods are safe for concurrent use;
// decisions are taken one at a time, in the order they are written.
type Core struct {
	mu        sync.Mutex
	cfg       Config
	j         *journal
	chain     *produce.Chain
	st        *state
	sinceSeal int
	closed    bool
	dl        *delivery
	// noteAlert names, for a note being written, the principal, control
	// and role its alert names (alerts.go).
	noteAlert map[*format.Note]alertWho
	// stamp, while a decision is made, is the clock read once for it: the
	// time it is judged at and the time its records carry.
	stamp string
}

// begin reads the clock for a decision, which judges and records at that
// time; the returned func ends it.
func (c *Core) begin() func() {
	c.stamp = c.now()
	return func() { c.stamp = "" }
}

// decisionTime is the time of the decision being made, or the clock.
func (c *Core) decisionTime() string {
	if c.stamp != "" {
		return c.stamp
	}
	return c.now()
}

func (c *Core) now() string {
	t := time.Now
	if c.cfg.Clock != nil {
		t = c.cfg.Clock
	}
	return format.FormatTime(t())
}

// Create starts a new log in cfg.Dir with its genesis record.
func Create(cfg Config, g Genesis) (*Core, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	if len(g.Registrars) < 2 {
		return nil, errors.New("genesis needs at least two registrars")
	}
	if g.Governance < 1 {
		return nil, errors.New("genesis governance must be at least 1")
	}
	if _, err := loadZone(g.TimeZone); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	pub := cfg.LogKey.Public().(ed25519.PublicKey)
	body := &format.Genesis{Format: format.FormatName, Version: format.Version, BundleID: g.BundleID,
		Org: format.Org{Name: g.Org, TZ: g.TimeZone}, LogKey: format.HexKey(pub), Governance: format.Governance{N: g.Governance}}
	var sigs []format.Signed
	for _, r := range g.Registrars {
		body.Registrars = append(body.Registrars, format.Registrar{ID: r.Principal.ID, Kind: r.Principal.Kind, Name: r.Principal.Name, Team: r.Principal.Team, Key: format.HexKey(r.Key)})
		if err := checkPoP(r.Principal, r.Key, true, format.Hash{}, r.ProofOfPossession); err != nil {
			return nil, fmt.Errorf("registrar %s: %w", r.Principal.ID, err)
		}
		sigs = append(sigs, r.ProofOfPossession)
	}
	if cfg.HeadStore != nil {
		if _, err := cfg.HeadStore.LoadHead(); err == nil {
			return nil, errors.New("the head store already keeps a head, of another log: give a new log a head store of its own")
		} else if !errors.Is(err, ErrNoHead) {
			return nil, fmt.Errorf("failed to read the head store: %w", err)
		}
	}
	j, err := openJournal(cfg.Dir, true)
	if err != nil {
		return nil, err
	}
	c := &Core{cfg: cfg, j: j, dl: newDelivery()}
	chain, line, err := produce.NewChain(body, sigs, c.now(), cfg.LogKey)
	if err != nil {
		j.close()
		return nil, err
	}
	c.chain = chain
	if cfg.HeadStore != nil {
		j.synced = c.keepHead
	}
	if err := j.append(line); err != nil {
		j.close()
		return nil, fmt.Errorf("failed to write the genesis record (remove %s before creating the log again): %w", j.path, err)
	}
	c.st = newState(chain.Genesis())
	c.st.applyGenesis(body)
	return c, nil
}

// Open reopens an existing log. It checks the journal before replaying
// it: the hash chain must link from genesis to the head the head store
// keeps, exactly; records after the kept head (a crash between the
// journal's sync and the head's) must extend it and pass the checks a
// verifier makes of their envelope signatures and statements. The only
// repair is to drop a torn last line, a record whose write never finished
// and so was never acknowledged. Anything else is refused with an error
// wrapping ErrJournalTampered (a *JournalError naming the first record
// refused and its byte offset) or ErrHeadInvalid, and nothing on disk is
// changed.
func Open(cfg Config) (*Core, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	var kept *head
	if cfg.HeadStore != nil {
		raw, err := cfg.HeadStore.LoadHead()
		if errors.Is(err, ErrNoHead) {
			return nil, fmt.Errorf("no head is kept for the journal in %s (%w): open a journal with the head store it was created with; a log whose Create did not return is removed and created again", cfg.Dir, err)
		}
		if err != nil {
			return nil, fmt.Errorf("failed to read the head store: %w", err)
		}
		if kept, err = parseHead(raw); err != nil {
			return nil, err
		}
	}
	j, err := openJournal(cfg.Dir, false)
	if err != nil {
		return nil, err
	}
	c, err := open(cfg, j, kept)
	if err != nil {
		j.close()
		return nil, err
	}
	return c, nil
}

func open(cfg Config, j *journal, kept *head) (*Core, error) {
	ck, err := checkJournal(j.f, kept)
	if err != nil {
		return nil, err
	}
	chain, err := produce.ResumeChain(ck.genesis, ck.last, cfg.LogKey)
	if err != nil {
		return nil, err
	}
	c := &Core{cfg: cfg, j: j, chain: chain, dl: newDelivery()}
	c.st = newState(ck.genesis)
	if err := j.replay(ck, c.st.replay); err != nil {
		return nil, err
	}
	if cfg.HeadStore != nil {
		j.synced = c.keepHead
		if last := int64(len(ck.hashes)) - 1; last > kept.seq {
			// The records after the kept head passed their checks: keep them.
			if err := c.keepHead(ck.last); err != nil {
				return nil, fmt.Errorf("failed to keep the head of records recovered after a crash: %w", err)
			}
		}
	}
	if err := c.resumeAlerts(); err != nil {
		return nil, err
	}
	return c, nil
}

// keepHead signs the head, the record last written, and stores it. It runs
// once the journal has synced the record, before the write is
// acknowledged.
func (c *Core) keepHead(last []byte) error {
	hash := format.RecordHash(last)
	if hash != c.chain.Head() {
		return errors.New("internal error: the record synced is not the head of the chain")
	}
	seq := c.chain.Next() - 1
	h, err := signHead(c.chain.Genesis(), seq, hash, c.cfg.LogKey)
	if err != nil {
		return err
	}
	return c.cfg.HeadStore.StoreHead(seq, h)
}

func checkConfig(cfg *Config) error {
	if cfg.Dir == "" {
		return errors.New("config: Dir is required")
	}
	if cfg.LogKey == nil {
		return errors.New("config: LogKey is required")
	}
	if _, ok := cfg.LogKey.Public().(ed25519.PublicKey); !ok {
		return errors.New("config: LogKey must be an Ed25519 key")
	}
	if cfg.SealEvery == 0 {
		cfg.SealEvery = 1000
	}
	switch {
	case cfg.HeadStore == nil && !cfg.UnsafeNoHeadStore:
		return errors.New("config: HeadStore is required (a store outside Dir that keeps the journal's head), or UnsafeNoHeadStore")
	case cfg.HeadStore != nil && cfg.UnsafeNoHeadStore:
		return errors.New("config: HeadStore and UnsafeNoHeadStore are both set")
	}
	switch {
	case cfg.AlertTimeout == 0:
		cfg.AlertTimeout = DefaultAlertTimeout
	case cfg.AlertTimeout < 0 || cfg.AlertTimeout > MaxAlertTimeout:
		return fmt.Errorf("config: AlertTimeout %s is outside 0 to %s: an alert must be deliverable within 60 seconds", cfg.AlertTimeout, MaxAlertTimeout)
	}
	if fs, ok := cfg.HeadStore.(*FileHeadStore); ok && inside(cfg.Dir, fs.Path()) {
		return fmt.Errorf("config: the head file %s is inside the journal directory %s, where whoever rolls back the journal rolls it back too", fs.Path(), cfg.Dir)
	}
	return nil
}

// inside reports whether path is in dir or below it.
func inside(dir, path string) bool {
	d, err1 := filepath.Abs(dir)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	if r, err := filepath.EvalSymlinks(d); err == nil {
		d = r
	}
	if r, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		p = filepath.Join(r, filepath.Base(p))
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Genesis returns the genesis hash: the fingerprint a relying party pins.
func (c *Core) Genesis() format.Hash { return c.chain.Genesis() }

// Close releases the journal, and the file of a FileHeadStore. It first
// stops alert retries and waits, up to Config.AlertTimeout, for alerter
// calls in flight, recording their answers; alerts still undelivered are
// recorded as failed ("core closing"), to be retried at the next Open.
func (c *Core) Close() error {
	aerr := c.stopAlerts()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.dl.changed)
	err := errors.Join(aerr, c.j.close())
	if fs, ok := c.cfg.HeadStore.(*FileHeadStore); ok {
		err = errors.Join(err, fs.Close())
	}
	return err
}

// write appends records durably, in order. Each entry is built against the
// chain as it stands, so later entries can name earlier ones. It clamps
// a clock that stepped back and notes it, and seals periodically.
func (c *Core) write(entries ...entry) ([]int64, error) {
	return c.writeAt(c.decisionTime(), entries...)
}

// writeAt is write with the clock read at given: a decision judged at a
// time is recorded at that time.
func (c *Core) writeAt(at string, entries ...entry) ([]int64, error) {
	if c.closed {
		return nil, ErrClosed
	}
	var lines [][]byte
	var seqs []int64
	var hashes []format.Hash
	var recs []built
	var alerts []int64
	save := *c.chain
	if at < c.chain.LastTime() {
		l, err := c.chain.Append(c.chain.LastTime(), format.TypeNote, "", &format.Note{Code: "clock-clamped",
			Text: fmt.Sprintf("clock read %s, earlier than the last record's %s; times held at %s", at, c.chain.LastTime(), c.chain.LastTime())}, nil)
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
		at = c.chain.LastTime()
	}
	for _, e := range entries {
		body := e.body
		if e.build != nil {
			body = e.build(written{seqs, hashes})
		}
		l, err := c.chain.Append(at, e.typ, e.actor, body, e.sigs)
		if err != nil {
			*c.chain = save
			return nil, err
		}
		lines = append(lines, l)
		seqs = append(seqs, c.chain.Next()-1)
		hashes = append(hashes, c.chain.Head())
		c.sinceSeal++
		// An alertable refusal is followed by its alert (SPEC.md §6.9).
		recs = append(recs, built{seqs[len(seqs)-1], e.typ, e.actor, body})
		if a := c.alertFor(recs); a != nil {
			more, seq, err := c.appendAlert(at, a)
			if err != nil {
				*c.chain = save
				return nil, err
			}
			lines, alerts = append(lines, more...), append(alerts, seq)
		}
	}
	var seal []byte
	if c.cfg.SealEvery > 0 && c.sinceSeal >= c.cfg.SealEvery {
		l, err := c.chain.AppendSeal(at)
		if err != nil {
			*c.chain = save
			return nil, err
		}
		lines = append(lines, l)
		seal = l
		c.sinceSeal = 0
	}
	// Journal sync, then head sync (inside append), then acknowledgement.
	err := c.j.append(lines...)
	if err != nil && !errors.Is(err, ErrHeadNotKept) {
		*c.chain = save
		return nil, err
	}
	// Records in the journal are applied even when their head was not
	// kept: the journal refuses further writes, and the state stays the
	// journal's.
	for _, l := range lines {
		if rerr := c.st.replay(l); rerr != nil {
			return nil, fmt.Errorf("internal error: record written but not applied: %w", rerr)
		}
	}
	if err != nil {
		return nil, err
	}
	c.handSeal(seal)
	c.startDeliveries(alerts)
	return seqs, nil
}

// handSeal gives a periodic seal, durable and kept, to Config.OnSeal as a
// checkpoint line.
func (c *Core) handSeal(line []byte) {
	if line == nil || c.cfg.OnSeal == nil {
		return
	}
	rec, err := format.ParseRecord(line)
	if err != nil {
		return
	}
	var b format.SealBody
	if err := format.DecodeJSON(rec.Body, &b, format.Strict); err != nil {
		return
	}
	cp := []byte(`{"seal":`)
	cp = strictjson.AppendString(cp, b.Seal)
	cp = append(cp, `,"lkey":"`...)
	cp = append(cp, rec.LKey.String()...)
	cp = append(cp, `","sig":"`...)
	cp = append(cp, b.Sig...)
	cp = append(cp, `"}`...)
	c.cfg.OnSeal(cp)
}

// entry is one record to write; build, when set, makes the body once the
// sequence numbers of the entries before it are known.
type entry struct {
	typ   string
	actor string
	body  any
	build func(w written) any
	sigs  []format.Signed
}

// written is what a write has produced so far: sequence numbers and
// record hashes of the entries before the one being built.
type written struct {
	seqs   []int64
	hashes []format.Hash
}

// Export writes a bundle of every durable record with its final seal.
func (c *Core) Export(w io.Writer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	bw := produce.NewBundleWriter(w)
	if err := c.j.each(bw.WriteRecord); err != nil {
		return fmt.Errorf("failed to export: %w", err)
	}
	trailer, err := c.chain.Trailer(c.now())
	if err != nil {
		return err
	}
	return bw.Finish(trailer)
}

// Seal appends a periodic seal now.
func (c *Core) Seal() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	save := *c.chain
	l, err := c.chain.AppendSeal(c.now())
	if err != nil {
		return err
	}
	if err := c.j.append(l); err != nil {
		if !errors.Is(err, ErrHeadNotKept) {
			*c.chain = save
		}
		return err
	}
	c.sinceSeal = 0
	if err := c.st.replay(l); err != nil {
		return err
	}
	c.handSeal(l)
	return nil
}
