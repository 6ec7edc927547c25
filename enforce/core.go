package enforce

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/countersign/countersign/format"
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
}

// Genesis describes a new log.
type Genesis struct {
	BundleID string
	Org      string
	TimeZone string
	// Registrars are the initial registrars, with their public keys. Each
	// must have signed an enrol-self statement (see EnrolSelfStatement).
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
	chain     *format.Chain
	st        *state
	sinceSeal int
	closed    bool
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
	j, _, err := openJournal(cfg.Dir, true)
	if err != nil {
		return nil, err
	}
	c := &Core{cfg: cfg, j: j}
	chain, line, err := format.NewChain(body, sigs, c.now(), cfg.LogKey)
	if err != nil {
		j.close()
		return nil, err
	}
	if err := j.append(line); err != nil {
		j.close()
		return nil, err
	}
	c.chain = chain
	c.st = newState(chain.Genesis())
	c.st.applyGenesis(body)
	return c, nil
}

// Open reopens an existing log, recovering from a crash: a torn last
// record (never acknowledged) is dropped, and the state is rebuilt by
// replaying the journal.
func Open(cfg Config) (*Core, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	j, lines, err := openJournal(cfg.Dir, false)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		j.close()
		return nil, errors.New("journal has no genesis record")
	}
	c := &Core{cfg: cfg, j: j}
	genesis := format.RecordHash(lines[0])
	c.st = newState(genesis)
	for i, l := range lines {
		if err := c.st.replay(l); err != nil {
			j.close()
			return nil, fmt.Errorf("failed to replay journal record %d: %w", i, err)
		}
	}
	chain, err := format.ResumeChain(genesis, lines[len(lines)-1], cfg.LogKey)
	if err != nil {
		j.close()
		return nil, err
	}
	c.chain = chain
	return c, nil
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
	return nil
}

// Genesis returns the genesis hash: the fingerprint a relying party pins.
func (c *Core) Genesis() format.Hash { return c.chain.Genesis() }

// Close releases the journal.
func (c *Core) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.j.close()
}

// write appends records durably, in order. Each entry is built against the
// chain as it stands, so later entries can name earlier ones. It clamps
// a clock that stepped back and notes it, and seals periodically.
func (c *Core) write(entries ...entry) ([]int64, error) {
	if c.closed {
		return nil, errors.New("core is closed")
	}
	at := c.now()
	var lines [][]byte
	var seqs []int64
	var hashes []format.Hash
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
	}
	if c.cfg.SealEvery > 0 && c.sinceSeal >= c.cfg.SealEvery {
		l, err := c.chain.AppendSeal(at)
		if err != nil {
			*c.chain = save
			return nil, err
		}
		lines = append(lines, l)
		c.sinceSeal = 0
	}
	if err := c.j.append(lines...); err != nil {
		*c.chain = save
		return nil, err
	}
	for _, l := range lines {
		if err := c.st.replay(l); err != nil {
			return nil, fmt.Errorf("internal error: record written but not applied: %w", err)
		}
	}
	return seqs, nil
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
	bw := format.NewBundleWriter(w)
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
	l, err := c.chain.AppendSeal(c.now())
	if err != nil {
		return err
	}
	if err := c.j.append(l); err != nil {
		return err
	}
	c.sinceSeal = 0
	return c.st.replay(l)
}
