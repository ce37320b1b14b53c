package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Smallest screen the layout is made for; below it the TUI says so.
const (
	minWidth  = 60
	minHeight = 16
)

// maxNoticeLines bounds the message above the footer (a long URL wraps).
const maxNoticeLines = 8

// View draws the whole screen in the alternate screen, with the mouse on.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "ShopLab"
	return v
}

// render is the screen as text: exactly height lines, none wider than
// width.
func (m Model) render() string {
	w, h := m.width, m.height
	if w < minWidth || h < minHeight {
		msg := fmt.Sprintf("ShopLab needs a terminal of at least %d×%d (this one is %d×%d). q quits.", minWidth, minHeight, w, h)
		return strings.Join(fit(wrap(msg, w), h, w), "\n")
	}
	header := m.viewHeader(w)
	footer := indent(strings.Split(m.help.View(m.helpFor()), "\n"))
	note := m.viewNotice(w)
	bodyH := m.bodyHeight()
	var body []string
	switch m.tab {
	case tabStack:
		body = m.viewStack(w, bodyH)
	case tabLoad:
		body = m.viewLoad(w, bodyH)
	case tabTraces:
		body = m.viewTraces(w, bodyH)
	case tabDashboards:
		body = m.viewDashboards(w, bodyH)
	default:
		body = m.viewLessons(w, bodyH)
	}
	lines := append(append(append(header, fit(body, bodyH, w)...), note...), footer...)
	return strings.Join(fit(lines, h, w), "\n")
}

// bodyHeight is how many lines the screen's body has, between the header
// above it and the message and help below it.
func (m Model) bodyHeight() int {
	footer := strings.Split(m.help.View(m.helpFor()), "\n")
	return m.height - len(m.viewHeader(m.width)) - len(footer) - len(m.viewNotice(m.width))
}

// tabSpans are the columns each tab's label covers on the first line,
// for mouse clicks; viewHeader draws them there.
func tabSpans() [][2]int {
	x := len(" ShopLab  ")
	spans := make([][2]int, numTabs)
	for t := range numTabs {
		n := len(fmt.Sprintf("[%d %s]", t+1, t))
		spans[t] = [2]int{x, x + n}
		x += n
	}
	return spans
}

func (m Model) viewHeader(w int) []string {
	s := styles()
	var b strings.Builder
	b.WriteString(" " + s.title.Render("ShopLab") + "  ")
	for t := range numTabs {
		label := fmt.Sprintf("%d %s", t+1, t)
		if t == m.tab {
			b.WriteString(s.activeTab.Render("[" + label + "]"))
		} else {
			b.WriteString(s.tab.Render(" " + label + " "))
		}
	}
	left := b.String()
	right := m.labStatus(max(w-ansi.StringWidth(left)-2, 0)) + " "
	line := left + strings.Repeat(" ", max(w-ansi.StringWidth(left)-ansi.StringWidth(right), 0)) + right
	return []string{line, s.dim.Render(strings.Repeat("─", w))}
}

// labStatus is the header's summary of the lab, the load and the
// lesson in at most w cells: in words when they fit, else in short.
func (m Model) labStatus(w int) string {
	long, short := m.statusParts()
	if full := strings.Join(long, "  "); ansi.StringWidth(full) <= w {
		return full
	}
	return ansi.Truncate(strings.Join(short, " "), w, "…")
}

// statusParts are the header's facts, in words and in short.
func (m Model) statusParts() (long, short []string) {
	s := styles()
	add := func(l, sh string) {
		long, short = append(long, l), append(short, sh)
	}
	switch n, all := m.servicesUp(), len(m.services); {
	case m.op.running:
		add(m.spin.View()+" "+m.op.verb+" the lab…", m.spin.View()+" "+m.op.verb+"…")
	case !m.polled:
		add(s.dim.Render("◌ checking the lab…"), s.dim.Render("◌ checking…"))
	case all > 0 && n == all:
		mode := "local"
		if m.containersRunning() {
			mode = "Docker"
		}
		add(s.ok.Render("●")+" lab up ("+mode+")", s.ok.Render("●")+" "+mode)
	case n == 0:
		add(s.bad.Render("○")+" lab down", s.bad.Render("○")+" lab down")
	default:
		add(s.warn.Render("◐")+fmt.Sprintf(" lab %d/%d up", n, all), s.warn.Render("◐")+fmt.Sprintf(" %d/%d up", n, all))
	}
	if m.run.active() {
		add(s.accent.Render("▶")+" load", s.accent.Render("▶")+" load")
	}
	if m.lessonOn() != "" {
		add(s.accent.Render("◆")+" lesson", s.accent.Render("◆")+" lesson")
	}
	return long, short
}

func (m Model) viewNotice(w int) []string {
	if m.notice == nil {
		return nil
	}
	s := styles()
	st := s.accent
	if m.notice.bad {
		st = s.warn
	}
	lines := wrap(m.notice.text, w-2)
	if m.notice.url != "" {
		lines = append(lines, strings.Split(ansi.Hardwrap(m.notice.url, w-2, false), "\n")...)
	}
	if len(lines) > maxNoticeLines {
		lines = append(lines[:maxNoticeLines-1], "… (y copies the whole link; it is also printed when you quit)")
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = " " + st.Render(l)
	}
	return out
}

// wrap breaks text into lines of at most w cells, at spaces where it can.
func wrap(text string, w int) []string {
	return strings.Split(ansi.Wrap(text, max(w, 1), " "), "\n")
}

// fit makes lines exactly n lines of at most w cells.
func fit(lines []string, n, w int) []string {
	out := make([]string, n)
	for i := range min(n, len(lines)) {
		out[i] = ansi.Truncate(lines[i], w, "…")
	}
	return out
}

// cell pads or truncates s to exactly w cells.
func cell(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = ansi.Truncate(s, w, "…")
	return s + strings.Repeat(" ", w-ansi.StringWidth(s))
}

// cursor marks the selected row of a list.
func cursor(selected bool) string {
	if selected {
		return styles().accent.Render("›") + " "
	}
	return "  "
}
