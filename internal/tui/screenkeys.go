package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/dashboards"
)

// onStackKey: select a component, open its page, start or stop the lab.
func (m Model) onStackKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.up):
		m.moveCursor(-1)
	case key.Matches(msg, k.down):
		m.moveCursor(1)
	case key.Matches(msg, k.open):
		rows := m.stackRows()
		if i := m.stackCursor - len(rows); i >= 0 && i < len(m.recent.list) {
			id := m.recent.list[i].TraceID
			if m.deps.Trace == nil {
				return m.grafanaTrace(id, false)
			}
			return m.openTrace(id, tabStack)
		}
		if m.stackCursor < len(rows) {
			r := rows[m.stackCursor]
			if r.url == "" {
				m.notice = &notice{text: r.name + " has no web page."}
				return m, nil
			}
			return m, m.openURL(r.name, r.url, false)
		}
	case key.Matches(msg, k.startLocal), key.Matches(msg, k.startDocker):
		local := key.Matches(msg, k.startLocal)
		switch {
		case m.deps.Lab == nil:
			m.notice = &notice{text: "This TUI cannot start the lab: run 'shoplab up' in another terminal.", bad: true}
		case m.op.running:
			m.notice = &notice{text: "Wait for “" + m.op.title + "” to finish.", bad: true}
		case !local && m.docker == dockerMissing:
			m.notice = &notice{text: "Docker is not installed here: press l to run the lab without it (no Grafana, no traces).", bad: true}
		case !local && m.docker == dockerBroken:
			m.notice = &notice{text: "Docker cannot be used: " + m.dockerDetail + " Press l to run the lab without it.", bad: true}
		case m.polled && m.servicesUp() == len(m.services) && len(m.services) > 0:
			m.notice = &notice{text: "The lab is already running. Press d to stop it first."}
		case local:
			return m, m.startLabOp("Starting the lab (local mode)", []string{"up", "--local", "-d"})
		default:
			return m, m.startLabOp("Starting the lab with Docker", []string{"up", "-d"})
		}
	case key.Matches(msg, k.stop):
		switch {
		case m.deps.Lab == nil:
			m.notice = &notice{text: "This TUI cannot stop the lab: run 'shoplab down' in another terminal.", bad: true}
		case m.op.running:
			m.notice = &notice{text: "Wait for “" + m.op.title + "” to finish.", bad: true}
		case m.run.active():
			m.notice = &notice{text: "A load test is running: stop it first (Load screen, s).", bad: true}
		case m.polled && m.servicesUp() == 0 && !m.containersRunning():
			m.notice = &notice{text: "The lab is not running."}
		case m.containersRunning():
			return m, m.startLabOp("Stopping the lab and its containers", []string{"down"})
		default:
			return m, m.startLabOp("Stopping the lab", []string{"down", "--local"})
		}
	}
	return m, nil
}

// onLoadKey edits the form, or starts and stops the load; while a load
// runs the form is locked, so what is shown is what runs.
func (m Model) onLoadKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.run.active() {
		if key.Matches(msg, k.stopLoad) && m.run.state == runRunning {
			m.run.state = runStopping
			return m, cancelCmd(m.run.cancel)
		}
		if key.Matches(msg, k.up, k.down, k.left, k.right, k.toggle, k.startLoad) {
			m.notice = &notice{text: "A load test is running: press s to stop it before changing it."}
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.startLoad):
		return m.tryStartLoad()
	case key.Matches(msg, k.up):
		m.moveCursor(-1)
	case key.Matches(msg, k.down):
		m.moveCursor(1)
	case key.Matches(msg, k.left):
		m.adjust(-1)
	case key.Matches(msg, k.right):
		m.adjust(1)
	case key.Matches(msg, k.toggle):
		if m.form.field != fieldRegions {
			m.form.field = fieldRegions
			return m, nil
		}
		m.toggleRegion()
	}
	return m, nil
}

// tryStartLoad starts the form's load, unless it cannot run: a broken
// scenario, or a shop known to be down.
func (m Model) tryStartLoad() (tea.Model, tea.Cmd) {
	e, ok := m.selected()
	switch {
	case !ok:
		m.notice = &notice{text: "No scenario to run: shoplab looks for them in " + m.deps.ScenariosDir + "/ (run it from the repository's root).", bad: true}
		return m, nil
	case e.sc == nil:
		m.notice = &notice{text: "Scenario " + e.name + " is broken: " + e.err, bad: true}
		return m, nil
	}
	if gw, p, ok := m.gateway(); ok && p.health == healthDown && strings.TrimSuffix(m.deps.Target, "/") == "http://"+gw.HTTP {
		m.notice = &notice{text: "The shop is not running, so there is nothing to load. Start it on the Stack screen (1, then l).", bad: true}
		return m, nil
	}
	m.notice = nil
	return m, m.startLoad(e.sc)
}

// onTracesKey shows the selected request's trace here, or opens (or
// copies) its link into Grafana; an open trace has keys of its own.
func (m Model) onTracesKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if m.detail.open {
		return m.onTraceKey(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.up):
		m.moveCursor(-1)
	case key.Matches(msg, k.down):
		m.moveCursor(1)
	case key.Matches(msg, k.open), key.Matches(msg, k.grafana), key.Matches(msg, k.copy):
		if m.traceCursor >= len(m.traces) {
			return m, nil
		}
		id := m.traces[m.traceCursor].traceID
		if key.Matches(msg, k.open) && m.deps.Trace != nil {
			return m.openTrace(id, tabTraces)
		}
		return m.grafanaTrace(id, key.Matches(msg, k.copy))
	}
	return m, nil
}

// onDashboardsKey opens the selected dashboard.
func (m Model) onDashboardsKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.up):
		m.moveCursor(-1)
	case key.Matches(msg, k.down):
		m.moveCursor(1)
	case key.Matches(msg, k.open):
		all := dashboards.All()
		if m.dashCursor < len(all) {
			d := all[m.dashCursor]
			return m, m.openURL("the “"+d.Title+"” dashboard", dashboards.URL(m.deps.GrafanaURL, d.UID), true)
		}
	}
	return m, nil
}
