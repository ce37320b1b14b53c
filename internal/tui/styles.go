package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// palette is the TUI's styles. The colours are the terminal's own sixteen,
// so that they follow its theme, light or dark; nothing depends on colour
// alone (the active tab is bracketed, health is a word as well as a dot).
type palette struct {
	title, tab, activeTab lipgloss.Style
	dim, bold, accent     lipgloss.Style
	ok, bad, warn         lipgloss.Style
	selected, header      lipgloss.Style
	chart                 lipgloss.Style
}

func styles() palette {
	c := lipgloss.Color
	return palette{
		title:     lipgloss.NewStyle().Bold(true).Foreground(c("5")),
		tab:       lipgloss.NewStyle().Foreground(c("8")),
		activeTab: lipgloss.NewStyle().Bold(true).Reverse(true),
		dim:       lipgloss.NewStyle().Foreground(c("8")),
		bold:      lipgloss.NewStyle().Bold(true),
		accent:    lipgloss.NewStyle().Foreground(c("6")),
		ok:        lipgloss.NewStyle().Foreground(c("2")),
		bad:       lipgloss.NewStyle().Foreground(c("1")),
		warn:      lipgloss.NewStyle().Bold(true).Foreground(c("3")),
		selected:  lipgloss.NewStyle().Bold(true),
		header:    lipgloss.NewStyle().Bold(true).Underline(true),
		chart:     lipgloss.NewStyle().Foreground(c("6")),
	}
}

func helpStyles() help.Styles {
	s := help.DefaultDarkStyles()
	key := lipgloss.NewStyle().Bold(true)
	desc := lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	s.ShortKey, s.FullKey = key, key
	s.ShortDesc, s.FullDesc = desc, desc
	s.ShortSeparator, s.FullSeparator, s.Ellipsis = desc, desc, desc
	return s
}
