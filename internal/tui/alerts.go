package tui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Alert is one of Alertmanager's firing alerts, for the Stack screen.
type Alert struct {
	Name     string
	Severity string
	Region   string
	// Since is when it started firing.
	Since time.Time
}

// alertsShown is how many firing alerts the Stack screen lists.
const alertsShown = 5

// firingAlerts is the Stack screen's view of Alertmanager, asked only
// while the compose stack (which runs it) has containers up.
type firingAlerts struct {
	// answered: an answer came back; busy: a question is under way.
	answered, busy bool
	list           []Alert
	err            error
	// at is when the answer came, so that how long each alert has fired
	// is drawn without reading the clock.
	at time.Time
}

type alertsMsg struct {
	list []Alert
	err  error
	at   time.Time
}

// showsAlerts reports whether the Stack screen has a firing-alerts
// section: Alertmanager runs with the compose stack only.
func (m Model) showsAlerts() bool {
	return m.deps.Alerts != nil && m.containersRunning()
}

// listAlerts asks Alertmanager for the firing alerts while the Stack
// screen shows them, one question at a time.
func (m *Model) listAlerts() tea.Cmd {
	if !m.showsAlerts() || m.tab != tabStack || m.alerts.busy {
		return nil
	}
	m.alerts.busy = true
	list, ctx := m.deps.Alerts, m.ctx
	return func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		l, err := list(cctx)
		return alertsMsg{list: l, err: err, at: time.Now()}
	}
}

func (m *Model) alertsListed(msg alertsMsg) {
	m.alerts = firingAlerts{answered: true, list: msg.list, err: msg.err, at: msg.at}
}

// viewAlerts is the firing alerts in at most h lines: up to alertsShown
// rows, or why there are none. When the rows do not fit (a small
// terminal in compose mode), one line names the first alert and counts
// the rest.
func (m Model) viewAlerts(w, h int) []string {
	if h <= 0 {
		return nil
	}
	s := styles()
	a := m.alerts
	head := " " + s.bold.Render("Firing alerts")
	switch {
	case !a.answered:
		return []string{head + s.dim.Render(" — asking Alertmanager…")}
	case a.err != nil:
		return []string{head + ": " + s.warn.Render("cannot ask Alertmanager ("+shortErr(firstLine(a.err.Error()))+")")}
	case len(a.list) == 0:
		return []string{head + s.dim.Render(" — none firing.")}
	}
	rows := min(len(a.list), alertsShown)
	more := len(a.list) - rows
	if need := 1 + rows + min(more, 1); need > h {
		first := a.list[0]
		line := fmt.Sprintf("%s: %d — %s (%s", head, len(a.list), first.Name, severityStyle(first.Severity).Render(first.Severity))
		if first.Region != "" {
			line += ", " + first.Region
		}
		line += ")"
		if len(a.list) > 1 {
			line += s.dim.Render(fmt.Sprintf(" and %d more", len(a.list)-1))
		}
		return []string{line}
	}
	out := []string{head + s.dim.Render(fmt.Sprintf(" (%d; for how long)", len(a.list)))}
	const sevW, regionW = 8, 10
	nameW := min(w-2-sevW-regionW-9-3, 34)
	for _, al := range a.list[:rows] {
		region := al.Region
		if region == "" {
			region = "-"
		}
		since := "-"
		if !al.Since.IsZero() && !a.at.IsZero() {
			since = max(a.at.Sub(al.Since), 0).Round(time.Second).String()
		}
		out = append(out, "  "+cell(al.Name, nameW)+" "+severityStyle(al.Severity).Render(cell(al.Severity, sevW))+" "+cell(region, regionW)+" "+since)
	}
	if more > 0 {
		out = append(out, s.dim.Render(fmt.Sprintf("  … and %d more (shoplab status lists them all)", more)))
	}
	return out
}

// severityStyle marks an alert that pages someone as bad, any other as a
// warning.
func severityStyle(severity string) lipgloss.Style {
	if severity == "page" || severity == "critical" {
		return styles().bad
	}
	return styles().warn
}
