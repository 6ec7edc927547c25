package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles are every style the browser draws with, made once by
// DefaultStyles and handed to the screens.
type Styles struct {
	Tab, ActiveTab lipgloss.Style
	// Banner is for the warnings that stay on screen (unauthenticated,
	// the linear reading); Pass and Fail for the verdict.
	Banner, Pass, Fail   lipgloss.Style
	OK, Finding, Pending lipgloss.Style
	Selected             lipgloss.Style
	Label, Dim, Heading  lipgloss.Style
	Conflict, Excepted   lipgloss.Style
	Bar, BarEmpty        lipgloss.Style
	Input                lipgloss.Style
	Help                 help.Styles
}

// DefaultStyles returns the browser's styles. With noColor (NO_COLOR is
// set) no colour is used: emphasis is bold, reverse or underline only, and
// every status also has its own character, so nothing is told by colour
// alone.
func DefaultStyles(noColor bool) Styles {
	plain := lipgloss.NewStyle()
	if noColor {
		hs := help.Styles{Ellipsis: plain, ShortKey: plain.Bold(true), ShortDesc: plain, ShortSeparator: plain,
			FullKey: plain.Bold(true), FullDesc: plain, FullSeparator: plain}
		return Styles{
			Tab: plain, ActiveTab: plain.Reverse(true),
			Banner: plain.Reverse(true).Bold(true), Pass: plain.Bold(true), Fail: plain.Bold(true).Reverse(true),
			OK: plain, Finding: plain.Bold(true), Pending: plain,
			Selected: plain.Reverse(true),
			Label:    plain, Dim: plain, Heading: plain.Bold(true).Underline(true),
			Conflict: plain.Bold(true), Excepted: plain.Underline(true),
			Bar: plain, BarEmpty: plain, Input: plain.Bold(true),
			Help: hs,
		}
	}
	red, green, yellow, grey := lipgloss.Color("1"), lipgloss.Color("2"), lipgloss.Color("3"), lipgloss.Color("8")
	return Styles{
		Tab: plain.Foreground(grey), ActiveTab: plain.Bold(true).Reverse(true),
		Banner: plain.Bold(true).Foreground(lipgloss.Color("0")).Background(yellow),
		Pass:   plain.Bold(true).Foreground(green), Fail: plain.Bold(true).Foreground(red),
		OK: plain.Foreground(green), Finding: plain.Bold(true).Foreground(red), Pending: plain.Foreground(grey),
		Selected: plain.Reverse(true),
		Label:    plain.Foreground(lipgloss.Color("6")), Dim: plain.Foreground(grey), Heading: plain.Bold(true),
		Conflict: plain.Bold(true).Foreground(red), Excepted: plain.Foreground(yellow),
		Bar: plain.Foreground(green), BarEmpty: plain.Foreground(grey), Input: plain.Bold(true),
		Help: help.DefaultStyles(true),
	}
}
