package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// scroll is a cursor over n rows shown h at a time.
type scroll struct {
	cur, top int64
}

// move handles the movement keys over n rows, h of them on screen; it
// reports whether the key was one.
func (s *scroll) move(k *KeyMap, msg tea.KeyPressMsg, n int64, h int) bool {
	page := int64(max(h-1, 1))
	switch {
	case key.Matches(msg, k.Up):
		s.cur--
	case key.Matches(msg, k.Down):
		s.cur++
	case key.Matches(msg, k.PageUp):
		s.cur -= page
		s.top -= page
	case key.Matches(msg, k.PageDown):
		s.cur += page
		s.top += page
	case key.Matches(msg, k.Top):
		s.cur = 0
	case key.Matches(msg, k.Bottom):
		s.cur = n - 1
	default:
		return false
	}
	s.clamp(n, h)
	return true
}

// clamp keeps the cursor within the rows and on screen.
func (s *scroll) clamp(n int64, h int) {
	if s.cur >= n {
		s.cur = n - 1
	}
	if s.cur < 0 {
		s.cur = 0
	}
	hh := int64(max(h, 1))
	if s.top > s.cur {
		s.top = s.cur
	}
	if s.cur >= s.top+hh {
		s.top = s.cur - hh + 1
	}
	if s.top > n-hh {
		s.top = n - hh
	}
	if s.top < 0 {
		s.top = 0
	}
}

// textView scrolls lines of text without a cursor.
type textView struct {
	top int
}

func (t *textView) move(k *KeyMap, msg tea.KeyPressMsg, n, h int) bool {
	page := max(h-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		t.top--
	case key.Matches(msg, k.Down):
		t.top++
	case key.Matches(msg, k.PageUp):
		t.top -= page
	case key.Matches(msg, k.PageDown):
		t.top += page
	case key.Matches(msg, k.Top):
		t.top = 0
	case key.Matches(msg, k.Bottom):
		t.top = n - h
	default:
		return false
	}
	t.clamp(n, h)
	return true
}

func (t *textView) clamp(n, h int) {
	if t.top > n-h {
		t.top = n - h
	}
	if t.top < 0 {
		t.top = 0
	}
}

func (t *textView) window(lines []string, h int) []string {
	t.clamp(len(lines), h)
	end := min(t.top+h, len(lines))
	return lines[t.top:end]
}

func movementKeys(k *KeyMap) []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageDown, k.Top, k.Bottom}
}
