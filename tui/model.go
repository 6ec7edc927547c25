package tui

import (
	"context"
	"errors"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/verifier"
)

// screenID names a screen.
type screenID int

const (
	scrOverview screenID = iota
	scrRecords
	scrRuns
	scrPrincipals
	scrControls
	scrFindings
	scrDetail // record detail, opened from another screen
)

// screenNames are the tabs, in order.
var screenNames = []string{"overview", "records", "runs", "principals", "controls", "findings"}

// screen is one screen of the browser.
type screen interface {
	// update handles a key the screen owns; it reports whether it did.
	update(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd)
	// view draws the screen's body in w columns and h rows.
	view(m *Model, w, h int) []string
	// keys are the screen's own keys, for the help line.
	keys(k *KeyMap) []key.Binding
}

// inputMode is what the input line is asking for.
type inputMode int

const (
	inputNone inputMode = iota
	inputFilter
	inputJump
	inputTime
)

// Model is the browser: the shared store and source, and the screens.
type Model struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	st     *Store
	src    *Source
	notify <-chan tea.Msg
	keys   KeyMap
	styles Styles
	help   help.Model

	width, height int
	cur           screenID
	back          screenID // where esc from the detail returns to
	screens       map[screenID]screen
	records       *recordsScreen
	detail        *detailScreen

	input     lineInput
	inputMode inputMode
	message   string // a one-line note after an action (a bad jump)
	quitting  bool
	started   time.Time
}

// New makes the browser and starts the verification in the background.
func New(ctx context.Context, cfg Config) *Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &Model{cfg: cfg, ctx: ctx, cancel: cancel, keys: DefaultKeyMap(), styles: DefaultStyles(cfg.NoColor), help: help.New(),
		width: 80, height: 24, started: cfg.Now()}
	m.help.Styles = m.styles.Help
	m.st = newStore(cfg.Size)
	m.src = NewSource(cfg.File, cfg.Size)
	m.records = &recordsScreen{}
	m.detail = &detailScreen{}
	m.screens = map[screenID]screen{
		scrOverview:   &overviewScreen{},
		scrRecords:    m.records,
		scrRuns:       &runsScreen{},
		scrPrincipals: &principalsScreen{},
		scrControls:   &controlsScreen{},
		scrFindings:   &findingsScreen{},
		scrDetail:     m.detail,
	}
	m.notify = startVerification(ctx, cfg.File, cfg.Size, cfg.Trust, m.st, m.src, cfg.Now)
	return m
}

// Close stops the background work.
func (m *Model) Close() {
	m.cancel()
	m.records.stopFilter()
	m.src.Close()
}

// ExitCode is the exit code of the verification as it stands, the one
// verify would give: 0 only when it finished and passed; 1 when it failed,
// or did not finish; 3 when the file turned out not to be a bundle, or
// could not be read.
func (m *Model) ExitCode() int {
	m.st.mu.RLock()
	defer m.st.mu.RUnlock()
	switch {
	case !m.st.done:
		return 1
	case m.st.err != nil && !errors.Is(m.st.err, context.Canceled):
		return 3
	case m.st.err == nil && m.st.result != nil && m.st.result.Verdict == verifier.VerdictPass:
		return 0
	}
	return 1
}

// Init waits for the verification's first news.
func (m *Model) Init() tea.Cmd { return m.wait() }

func (m *Model) wait() tea.Cmd {
	ch := m.notify
	return func() tea.Msg { return <-ch }
}
