package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/dashboards"
)

// maxOpLines is how much of a lab operation's output is kept.
const maxOpLines = 200

// Update applies one message to the model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseClickMsg:
		return m.onClick(msg.Mouse())
	case tea.MouseWheelMsg:
		step := 1
		if m.tab == tabTraces && m.detail.open {
			// The wheel scrolls a trace's waterfall, a few lines a notch.
			step = 3
		}
		switch msg.Mouse().Button {
		case tea.MouseWheelUp:
			m.moveCursor(-step)
		case tea.MouseWheelDown:
			m.moveCursor(step)
		}
		return m, nil
	case spinner.TickMsg:
		if !m.busy() {
			m.spinning = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd

	case scenariosMsg:
		m.scenariosLoaded = true
		if msg.err != nil {
			m.scenariosErr = msg.err.Error()
			return m, nil
		}
		m.scenarios = msg.entries
		m.pickScenario(0)
		return m, nil

	case pollTickMsg:
		if msg.gen != m.pollGen {
			return m, nil
		}
		return m, m.poll()
	case healthMsg:
		m.applyHealth(msg)
		every := m.deps.PollEvery
		if m.op.running && every > time.Second {
			every = time.Second
		}
		if msg.gen != m.pollGen {
			return m, nil
		}
		return m, tea.Batch(pollAfter(every, m.pollGen), m.listRecent())
	case recentMsg:
		m.recentListed(msg)
		return m, nil
	case traceLoadedMsg:
		m.traceLoaded(msg)
		return m, nil

	case labLineMsg:
		if msg.id != m.op.id {
			return m, nil
		}
		m.op.lines = append(m.op.lines, msg.line)
		if len(m.op.lines) > maxOpLines {
			m.op.lines = m.op.lines[len(m.op.lines)-maxOpLines:]
		}
		return m, waitLine(m.op.id, m.op.output)
	case labDoneMsg:
		if msg.id != m.op.id {
			return m, nil
		}
		m.op.running = false
		m.op.cancel = nil
		if msg.err != nil {
			m.op.err = msg.err.Error()
			m.notice = &notice{text: m.op.title + " failed: " + firstLine(m.op.err) + " (its output is on the Stack screen)", bad: true}
		} else {
			m.notice = &notice{text: m.op.title + ": done."}
		}
		if m.quitting && !m.busy() {
			return m, tea.Quit
		}
		// Show the lab as it is now, not at the next tick.
		m.pollGen++
		return m, m.poll()

	case loadProgressMsg:
		if msg.id != m.run.id || !m.run.active() {
			return m, nil
		}
		m.observe(msg.p)
		return m, waitProgress(m.run.id, m.run.snapshots)
	case loadDoneMsg:
		if msg.id != m.run.id {
			return m, nil
		}
		m.finishRun(msg.res, msg.err)
		if m.quitting && !m.busy() {
			return m, tea.Quit
		}
		return m, nil

	case openedMsg:
		m.opened(msg)
		return m, nil
	}
	return m, nil
}

func (m Model) onKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.quit):
		return m.quit()
	case key.Matches(msg, k.help):
		m.help.ShowAll = !m.help.ShowAll
		return m, nil
	case key.Matches(msg, k.tab1):
		m.tab = tabStack
		return m, nil
	case key.Matches(msg, k.tab2):
		m.tab = tabLoad
		return m, nil
	case key.Matches(msg, k.tab3):
		m.tab = tabTraces
		return m, nil
	case key.Matches(msg, k.tab4):
		m.tab = tabDashboards
		return m, nil
	case key.Matches(msg, k.next):
		m.tab = (m.tab + 1) % numTabs
		return m, nil
	case key.Matches(msg, k.prev):
		m.tab = (m.tab + numTabs - 1) % numTabs
		return m, nil
	case key.Matches(msg, k.dismiss):
		// Esc hides a message or the help first, then leaves a trace.
		if m.notice == nil && !m.help.ShowAll && m.tab == tabTraces && m.detail.open {
			m.closeTrace()
			return m, nil
		}
		m.notice = nil
		m.help.ShowAll = false
		return m, nil
	case key.Matches(msg, k.copy) && m.notice != nil && m.notice.url != "":
		u := m.notice.url
		m.notice = &notice{text: "Copied the URL to the clipboard (if your terminal allows it): " + u, url: u}
		return m, tea.SetClipboard(u)
	}
	switch m.tab {
	case tabStack:
		return m.onStackKey(msg)
	case tabLoad:
		return m.onLoadKey(msg)
	case tabTraces:
		return m.onTracesKey(msg)
	default:
		return m.onDashboardsKey(msg)
	}
}

// quit stops a running load test (and a lab start or stop in progress)
// first, and quits when they have returned. A second q quits at once.
func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.quitting || !m.busy() {
		m.quitting = true
		return m, tea.Quit
	}
	m.quitting = true
	var cmds []tea.Cmd
	what := []string{}
	if m.run.active() {
		m.run.state = runStopping
		cmds = append(cmds, cancelCmd(m.run.cancel))
		what = append(what, "the load test")
	}
	if m.op.running {
		cmds = append(cmds, cancelCmd(m.op.cancel))
		what = append(what, "“"+m.op.title+"”")
	}
	m.notice = &notice{text: "Quitting: stopping " + strings.Join(what, " and ") + " first… (q again quits at once)"}
	return m, tea.Batch(cmds...)
}

func (m *Model) moveCursor(d int) {
	clamp := func(v, n int) int {
		if v >= n {
			v = n - 1
		}
		if v < 0 {
			v = 0
		}
		return v
	}
	switch m.tab {
	case tabStack:
		m.stackCursor = clamp(m.stackCursor+d, m.stackItems())
	case tabTraces:
		if m.detail.open {
			m.scrollTrace(d)
			return
		}
		m.traceCursor = clamp(m.traceCursor+d, len(m.traces))
	case tabLoad:
		if !m.run.active() {
			m.form.field = formField(clamp(int(m.form.field)+d, int(numFields)))
		}
	case tabDashboards:
		m.dashCursor = clamp(m.dashCursor+d, len(dashboards.All()))
	}
}

// onClick switches screens from the tab bar.
func (m Model) onClick(ms tea.Mouse) (tea.Model, tea.Cmd) {
	if ms.Button != tea.MouseLeft || ms.Y != 0 {
		return m, nil
	}
	for t, r := range tabSpans() {
		if ms.X >= r[0] && ms.X < r[1] {
			m.tab = tab(t)
		}
	}
	return m, nil
}

func (m *Model) applyHealth(msg healthMsg) {
	m.polled = true
	m.services, m.brokers = msg.services, msg.brokers
	if msg.askedDocker {
		m.docker, m.dockerDetail, m.containers = msg.docker, msg.dockerDetail, msg.containers
	}
	if n := m.stackItems(); m.stackCursor >= n {
		m.stackCursor = max(n-1, 0)
	}
}

func (m *Model) opened(msg openedMsg) {
	switch {
	case msg.noGrafana:
		m.unopened = append(m.unopened, msg.url)
		m.notice = &notice{
			text: "Grafana is not running, so " + msg.label + " cannot be shown. It runs with the Docker stack (Stack screen, u). The link (y copies it):",
			url:  msg.url, bad: true,
		}
	case msg.err != nil:
		m.unopened = append(m.unopened, msg.url)
		m.notice = &notice{text: "No browser to open " + msg.label + " here; open this link yourself (y copies it):", url: msg.url}
	default:
		m.notice = &notice{text: "Opened " + msg.label + " in your browser."}
	}
}
