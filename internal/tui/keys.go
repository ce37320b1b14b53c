package tui

import (
	"charm.land/bubbles/v2/key"
)

// keyMap holds every key binding; the help footer is generated from it,
// so a key and its help text can never disagree.
type keyMap struct {
	tab1, tab2, tab3, tab4 key.Binding
	next, prev             key.Binding
	help, quit, dismiss    key.Binding
	copy                   key.Binding

	up, down, open key.Binding

	grafana, reload, pageUp, pageDown, first, last key.Binding

	startLocal, startDocker, stop key.Binding

	left, right, toggle, startLoad, stopLoad key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		tab1:    b([]string{"1"}, "1", "stack"),
		tab2:    b([]string{"2"}, "2", "load"),
		tab3:    b([]string{"3"}, "3", "traces"),
		tab4:    b([]string{"4"}, "4", "dashboards"),
		next:    b([]string{"tab"}, "tab", "next screen"),
		prev:    b([]string{"shift+tab"}, "shift+tab", "previous screen"),
		help:    b([]string{"?"}, "?", "help"),
		quit:    b([]string{"q", "ctrl+c"}, "q", "quit"),
		dismiss: b([]string{"esc"}, "esc", "hide message/help"),
		copy:    b([]string{"y"}, "y", "copy URL"),

		up:   b([]string{"up", "k"}, "↑/k", "up"),
		down: b([]string{"down", "j"}, "↓/j", "down"),
		open: b([]string{"enter"}, "enter", "open"),

		grafana:  b([]string{"g"}, "g", "open in Grafana"),
		reload:   b([]string{"r"}, "r", "load again"),
		pageUp:   b([]string{"pgup"}, "pgup", "page up"),
		pageDown: b([]string{"pgdown"}, "pgdn", "page down"),
		first:    b([]string{"home"}, "home", "first span"),
		last:     b([]string{"end"}, "end", "last span"),

		startLocal:  b([]string{"l"}, "l", "start local"),
		startDocker: b([]string{"u"}, "u", "start with Docker"),
		stop:        b([]string{"d"}, "d", "stop"),

		left:      b([]string{"left", "h", "-"}, "←/→", "change"),
		right:     b([]string{"right", "l", "+"}, "→", "change"),
		toggle:    b([]string{"space", "x"}, "space", "region"),
		startLoad: b([]string{"s", "enter"}, "s", "start"),
		stopLoad:  b([]string{"s"}, "s", "stop the load"),
	}
}

// helpMap is the help for one screen in one state.
type helpMap struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpMap) ShortHelp() []key.Binding  { return h.short }
func (h helpMap) FullHelp() [][]key.Binding { return h.full }

// helpFor lists the keys that work now, the most useful first: the short
// form must fit 80 columns.
func (m Model) helpFor() helpMap {
	k := m.keys
	nav := []key.Binding{k.tab1, k.tab2, k.tab3, k.tab4, k.next, k.prev}
	general := []key.Binding{k.help, k.quit, k.dismiss, k.copy}
	var screen []key.Binding
	switch m.tab {
	case tabStack:
		screen = []key.Binding{k.startLocal, k.startDocker, k.stop, k.up, k.down, k.open}
	case tabLoad:
		field := k.up
		field.SetHelp("↑/↓", "field")
		if m.run.active() {
			screen = []key.Binding{k.stopLoad}
		} else {
			screen = []key.Binding{k.startLoad, field, k.left, k.toggle}
		}
	case tabTraces:
		screen = m.tracesHelp()
	case tabDashboards:
		open := k.open
		open.SetHelp("enter", "open dashboard")
		screen = []key.Binding{open, k.up, k.down}
	}
	short := append([]key.Binding{}, screen...)
	if m.tab != tabLoad && len(short) > 3 {
		short = short[:3]
	}
	switches := k.next
	switches.SetHelp("1-4", "screens")
	short = append(short, switches, k.help, k.quit)
	return helpMap{short: short, full: [][]key.Binding{screen, nav, general}}
}
