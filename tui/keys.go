package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the browser answers to. DefaultKeyMap makes one; the
// model holds its own copy.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back                              key.Binding
	Filter, Jump                            key.Binding
	Prev, Next                              key.Binding // previous and next record, or change in the register
	Time                                    key.Binding
	NextScreen, PrevScreen                  key.Binding
	Overview, Records, Runs, Principals     key.Binding
	Controls, Findings                      key.Binding
	Help, Quit                              key.Binding
}

// DefaultKeyMap returns the browser's keys. A screen's digit also answers
// as alt+digit: a terminal reads esc typed just before a digit as one
// alt+digit key, and over a slow link that is how esc then 3 arrives.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:         b("↑/k", "up", "up", "k"),
		Down:       b("↓/j", "down", "down", "j"),
		PageUp:     b("pgup", "page up", "pgup", "b"),
		PageDown:   b("pgdn", "page down", "pgdown", "space", "f"),
		Top:        b("g", "first", "g", "home"),
		Bottom:     b("G", "last", "G", "end"),
		Open:       b("enter", "open", "enter"),
		Back:       b("esc", "back", "esc"),
		Filter:     b("/", "filter", "/"),
		Jump:       b(":", "jump to seq", ":"),
		Prev:       b("[", "previous", "["),
		Next:       b("]", "next", "]"),
		Time:       b("t", "as of time", "t"),
		NextScreen: b("tab", "next screen", "tab"),
		PrevScreen: b("shift+tab", "previous screen", "shift+tab"),
		Overview:   b("1", "overview", "1", "alt+1"),
		Records:    b("2", "records", "2", "alt+2"),
		Runs:       b("3", "runs", "3", "alt+3"),
		Principals: b("4", "principals", "4", "alt+4"),
		Controls:   b("5", "controls", "5", "alt+5"),
		Findings:   b("6", "findings", "6", "alt+6"),
		Help:       b("?", "help", "?"),
		Quit:       b("q", "quit", "q", "ctrl+c"),
	}
}

// screenKeys is the help.KeyMap of one screen: its own keys first, then
// the keys every screen has.
type screenKeys struct {
	own []key.Binding
	k   *KeyMap
}

func (s screenKeys) ShortHelp() []key.Binding {
	// The tabs show the screens' digits; help and quit are never cut off.
	return append(append([]key.Binding{}, s.own...), s.k.Help, s.k.Quit)
}

func (s screenKeys) FullHelp() [][]key.Binding {
	k := s.k
	moves := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
	var own []key.Binding
	for _, b := range s.own {
		dup := false
		for _, mv := range moves {
			dup = dup || b.Help() == mv.Help()
		}
		if !dup {
			own = append(own, b)
		}
	}
	screens := key.NewBinding(key.WithKeys("1"), key.WithHelp("1-6", "go to screen"))
	return [][]key.Binding{own, moves, {screens, k.NextScreen, k.PrevScreen, k.Back, k.Help, k.Quit}}
}
