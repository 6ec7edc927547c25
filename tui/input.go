package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/internal/display"
)

// lineInput is the one-line input of a filter, a jump or a time: printable
// text typed at the end, backspace and ctrl+u to erase. Nothing is pasted
// from a clipboard.
type lineInput struct {
	value []rune
}

const maxInput = 256

func (l *lineInput) set(s string) { l.value = []rune(s) }

func (l *lineInput) String() string { return string(l.value) }

func (l *lineInput) key(msg tea.KeyPressMsg) {
	switch msg.String() {
	case "backspace", "ctrl+h":
		if len(l.value) > 0 {
			l.value = l.value[:len(l.value)-1]
		}
		return
	case "ctrl+u":
		l.value = nil
		return
	}
	for _, r := range msg.Text {
		if len(l.value) < maxInput {
			l.value = append(l.value, r)
		}
	}
}

// view shows what was typed, escaped, with a cursor block.
func (l *lineInput) view() string { return display.Escape(string(l.value)) + "█" }
