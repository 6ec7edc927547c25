package tui

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// shiftSeekTable rewrites the bundle's seek table so that the first frame
// claims one record fewer and the second one more: consistent in itself,
// wrong about the file.
func shiftSeekTable(t *testing.T, bundle []byte) []byte {
	t.Helper()
	out := append([]byte(nil), bundle...)
	n := int(binary.LittleEndian.Uint32(out[len(out)-16:]))
	start := len(out) - 16 - n*28
	e0, e1 := out[start:start+28], out[start+28:start+56]
	binary.LittleEndian.PutUint32(e0[24:], binary.LittleEndian.Uint32(e0[24:])-1)
	binary.LittleEndian.PutUint64(e1[16:], binary.LittleEndian.Uint64(e1[16:])-1)
	binary.LittleEndian.PutUint32(e1[24:], binary.LittleEndian.Uint32(e1[24:])+1)
	if _, err := format.OpenIndex(strings.NewReader(string(out)), int64(len(out))); err != nil {
		t.Fatalf("the shifted table should still open: %v", err)
	}
	return out
}

// A seek table that opens but disagrees with the file: the browser shows
// records through it until the disagreement is found, then switches to
// the linear reading with a banner, and every record is still shown as
// the verifier read it.
func TestSeekTableDisagreementSwitchesToLinear(t *testing.T) {
	bundle, genesis := sampleBundle()
	bad := shiftSeekTable(t, bundle)
	m := testModel(t, bad, pinned(t, genesis), TrustPinned)
	lin, why := m.src.Linear()
	if !lin || !strings.Contains(why, "seek table") {
		t.Fatalf("linear %v (%q): want the linear reading after the disagreement", lin, why)
	}
	press(m, "2")
	s := screenText(m)
	if !strings.Contains(s, "LINEAR READING") {
		t.Errorf("no banner:\n%s", s)
	}
	checkGolden(t, "linear-records", s)
	good := New(t.Context(), Config{File: strings.NewReader(string(bundle)), Size: int64(len(bundle)), Trust: pinned(t, genesis), TrustMode: TrustPinned})
	defer good.Close()
	for seq := int64(0); seq < 113; seq++ {
		got, err := m.src.Line(seq)
		if err != nil {
			t.Fatalf("record %d: %v", seq, err)
		}
		want, _ := good.src.Line(seq)
		if string(got) != string(want) {
			t.Fatalf("record %d reads differently in the linear reading", seq)
		}
	}
}

// A bundle whose seek table does not open at all (a vector): the linear
// reading from the start, with the reason in the banner.
func TestNoUsableSeekTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "fixtures", "vectors", "seek-table-disagrees.csb"))
	if err != nil {
		t.Fatal(err)
	}
	m := testModel(t, b, verifier.UnsafeNoTrust(), TrustUnsafe)
	press(m, "2")
	s := screenText(m)
	if !strings.Contains(s, "LINEAR READING: no usable seek table") {
		t.Errorf("no banner:\n%s", s)
	}
	if n := m.src.Count(); n != 5 {
		t.Errorf("%d records shown, want 5", n)
	}
	checkGolden(t, "no-seek-table", s)
}

// Resizing redraws at the new size, down to a small terminal.
func TestResize(t *testing.T) {
	bundle, genesis := sampleBundle()
	m := testModel(t, bundle, pinned(t, genesis), TrustPinned)
	for _, sz := range [][2]int{{120, 40}, {80, 24}, {60, 15}, {40, 10}} {
		m.Update(sizeMsg(sz[0], sz[1]))
		for _, k := range []string{"1", "2", "3", "4", "5", "6"} {
			press(m, k)
			checkSize(t, screenText(m), sz[0], sz[1])
		}
	}
	m.Update(sizeMsg(120, 40))
	press(m, "2")
	checkGolden(t, "records-120x40", screenText(m))
}

// Without colour (NO_COLOR) no screen carries a colour: only bold,
// underline and reverse.
func TestNoColor(t *testing.T) {
	bundle, genesis := sampleBundle()
	m := testModel(t, bundle, pinned(t, genesis), TrustPinned)
	for _, k := range []string{"1", "2", "3", "4", "5", "6"} {
		press(m, k)
		for _, seq := range sgr.FindAllString(m.render(), -1) {
			for _, p := range strings.Split(strings.Trim(seq, "\x1b[m"), ";") {
				switch p {
				case "", "0", "1", "4", "7", "22", "24", "27":
				default:
					t.Errorf("screen %s: %q sets a colour", k, seq)
				}
			}
		}
	}
	c := DefaultStyles(false).Finding.Render("x")
	if ansi.Strip(c) == c {
		t.Error("with colour, a finding is not styled: the test above would prove nothing")
	}
}

// gatedReader holds every read of the file's first bytes until open is
// closed: the verifier cannot start, while the seek table (at the end)
// reads at once.
type gatedReader struct {
	r    *strings.Reader
	open chan struct{}
}

func (g *gatedReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 64 {
		<-g.open
	}
	return g.r.ReadAt(p, off)
}

// Quitting before the verification ends exits 1, whatever the bundle: the
// browser never hides a verdict it has not reached.
func TestQuitBeforeVerified(t *testing.T) {
	bundle, genesis := sampleBundle()
	g := &gatedReader{r: strings.NewReader(string(bundle)), open: make(chan struct{})}
	m := New(t.Context(), Config{File: g, Size: int64(len(bundle)), Name: "sample.csb", Trust: pinned(t, genesis), TrustMode: TrustPinned, NoColor: true})
	defer m.Close()
	m.Update(sizeMsg(80, 24))
	s := screenText(m)
	if !strings.Contains(s, "verifying") || !strings.Contains(s, "pending") {
		t.Errorf("no progress while verifying:\n%s", s)
	}
	checkGolden(t, "verifying-overview", s)
	m.Update(keyMsg("q"))
	if code := m.ExitCode(); code != 1 {
		t.Errorf("exit code %d after quitting before verification ended, want 1", code)
	}
	close(g.open)
	// The same bundle verified to the end passes.
	done := testModel(t, bundle, pinned(t, genesis), TrustPinned)
	if code := done.ExitCode(); code != 1 {
		t.Errorf("the sample bundle (with findings) exits %d, want 1", code)
	}
	vb, err := os.ReadFile(filepath.Join("..", "fixtures", "vectors", "log-key-rotation-valid.csb"))
	if err != nil {
		t.Fatal(err)
	}
	ej, err := os.ReadFile(filepath.Join("..", "fixtures", "vectors", "log-key-rotation-valid.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Trust string `json:"trust"`
	}
	if err := json.Unmarshal(ej, &exp); err != nil {
		t.Fatal(err)
	}
	pass := testModel(t, vb, pinned(t, exp.Trust), TrustPinned)
	if code := pass.ExitCode(); code != 0 {
		t.Errorf("a passing vector exits %d, want 0", code)
	}
}

// The demonstration's tampered bundle, as the vector of the same shape: an
// altered sign-off. The findings screen puts integrity first and says the
// quorum finding may follow from it; the altered record says it is not
// intact.
func TestTamperedFindings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "fixtures", "vectors", "deleted-record.csb"))
	if err != nil {
		t.Fatal(err)
	}
	m := testModel(t, b, verifier.UnsafeNoTrust(), TrustUnsafe)
	press(m, "6")
	s := screenText(m)
	if i, j := strings.Index(s, "integrity ("), strings.Index(s, "rules ("); i < 0 || j >= 0 && j < i {
		t.Errorf("integrity findings are not first:\n%s", s)
	}
	checkGolden(t, "findings-deleted-record", s)
	press(m, "enter", "enter")
	checkGolden(t, "detail-deleted-record", screenText(m))
}

// A rule finding on a record that failed integrity says it is a
// consequence, as verify does.
func TestConsequenceNote(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "fixtures", "vectors", "sod-execute-unbound.csb"))
	if err != nil {
		t.Fatal(err)
	}
	m := testModel(t, b, verifier.UnsafeNoTrust(), TrustUnsafe)
	m.Update(sizeMsg(80, 40))
	press(m, "6")
	s := screenText(m)
	if strings.Count(s, "(consequence of record 27 failing integrity)") != 2 {
		t.Errorf("the two SOD-ATTEMPT-OUTCOME findings do not both say they follow from record 27:\n%s", s)
	}
}
