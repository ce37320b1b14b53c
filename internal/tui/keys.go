package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
)

// keyMap holds every key binding; the help footer is generated from it,
// so a key and its help text can never disagree.
type keyMap struct {
	tab1, tab2, tab3, tab4, tab5 key.Binding
	next, prev                   key.Binding
	help, quit, dismiss          key.Binding
	copy                         key.Binding

	up, down, open key.Binding

	grafana, reload, pageUp, pageDown, first, last key.Binding

	startLocal, startDocker, stop key.Binding

	left, right, toggle, startLoad, stopLoad key.Binding

	hint, answer, stopLesson key.Binding
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
		tab5:    b([]string{"5"}, "5", "lessons"),
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

		hint:       b([]string{"h"}, "h", "next hint"),
		answer:     b([]string{"a", "/"}, "a", "answer"),
		stopLesson: b([]string{"s"}, "s", "stop"),
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
	if m.tab == tabLessons && m.lessons.answering {
		// Every other key types into the answer.
		return m.answerHelp()
	}
	nav := []key.Binding{k.tab1, k.tab2, k.tab3, k.tab4, k.tab5, k.next, k.prev}
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
	case tabLessons:
		screen = m.lessonsHelp()
	}
	short := append([]key.Binding{}, screen...)
	limit := 3
	switch m.tab {
	case tabLoad:
		limit = len(short)
	case tabLessons:
		limit = 4
	}
	short = short[:min(limit, len(short))]
	switches := k.next
	switches.SetHelp(fmt.Sprintf("1-%d", numTabs), "screens")
	short = append(short, switches, k.help, k.quit)
	return helpMap{short: short, full: [][]key.Binding{screen, nav, general}}
}

// lessonsHelp lists the Lessons screen's keys on its current page.
func (m Model) lessonsHelp() []key.Binding {
	k, ls := m.keys, m.lessons
	if m.deps.Lessons == nil {
		return nil
	}
	back := k.dismiss
	back.SetHelp("esc", "back")
	scroll := k.up
	scroll.SetHelp("↑/↓", "scroll")
	stop := k.stopLesson
	on := m.lessonOn() != ""
	var out []key.Binding
	switch ls.page {
	case pageList:
		start := k.open
		start.SetHelp("enter", "start")
		if on && ls.cursor < len(ls.list) && ls.list[ls.cursor].Name == m.lessonOn() {
			start.SetHelp("enter", "show task")
		}
		lessonKey := k.up
		lessonKey.SetHelp("↑/↓", "lesson")
		out = []key.Binding{start, lessonKey}
		if on {
			out = append(out, stop)
		}
	case pageTask:
		out = []key.Binding{k.hint, k.answer}
		if u, _ := m.lessonLink(); u != "" {
			g := k.grafana
			g.SetHelp("g", "open query")
			out = append(out, g)
		}
		out = append(out, stop, back, scroll)
	case pageDebrief:
		out = []key.Binding{back, scroll}
		if u, _ := m.lessonLink(); u != "" {
			g := k.grafana
			g.SetHelp("g", "open link")
			out = append(out, g)
		}
		if on {
			out = append(out, stop)
		}
	}
	return out
}

// answerHelp is the help while the answer is typed.
func (m Model) answerHelp() helpMap {
	submit := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "check the answer"))
	cancel := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	quit := key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit"))
	keys := []key.Binding{submit, cancel, quit}
	return helpMap{short: keys, full: [][]key.Binding{keys}}
}
