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
		return m, tea.Batch(pollAfter(every, m.pollGen), m.listRecent(), m.listAlerts())
	case alertsMsg:
		m.alertsListed(msg)
		return m, nil
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
		if m.quitting {
			return m.quitStep()
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
		return m.quitStep()

	case openedMsg:
		m.opened(msg)
		return m, nil

	case lessonStatusMsg:
		m.lessonStatus(msg)
		return m, nil
	case lessonStartedMsg:
		m.lessonStarted(msg)
		return m.quitStep()
	case lessonHintMsg:
		cmd := m.lessonHint(msg)
		next, quit := m.quitStep()
		return next, tea.Batch(cmd, quit)
	case lessonAnsweredMsg:
		cmd := m.lessonAnswered(msg)
		next, quit := m.quitStep()
		return next, tea.Batch(cmd, quit)
	case lessonStoppedMsg:
		m.lessonStopped(msg)
		if m.quitting {
			m.lessons.stopTried = true
		}
		return m.quitStep()
	}
	if m.lessons.answering {
		// A paste, or the input's own messages.
		var cmd tea.Cmd
		m.lessons.input, cmd = m.lessons.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m Model) onKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if m.tab == tabLessons && m.lessons.answering {
		return m.onAnswerKey(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.quit):
		return m.quit()
	case key.Matches(msg, k.help):
		m.help.ShowAll = !m.help.ShowAll
		return m, nil
	case key.Matches(msg, k.tab1):
		return m.switchTab(tabStack)
	case key.Matches(msg, k.tab2):
		return m.switchTab(tabLoad)
	case key.Matches(msg, k.tab3):
		return m.switchTab(tabTraces)
	case key.Matches(msg, k.tab4):
		return m.switchTab(tabDashboards)
	case key.Matches(msg, k.tab5):
		return m.switchTab(tabLessons)
	case key.Matches(msg, k.next):
		return m.switchTab((m.tab + 1) % numTabs)
	case key.Matches(msg, k.prev):
		return m.switchTab((m.tab + numTabs - 1) % numTabs)
	case key.Matches(msg, k.dismiss):
		// Esc hides a message or the help first, then leaves a trace, or
		// a lesson's page for the list.
		if m.notice == nil && !m.help.ShowAll && m.tab == tabTraces && m.detail.open {
			m.closeTrace()
			return m, nil
		}
		if m.notice == nil && !m.help.ShowAll && m.tab == tabLessons && m.lessons.page != pageList {
			m.lessons.page, m.lessons.debrief = pageList, nil
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
	case tabDashboards:
		return m.onDashboardsKey(msg)
	default:
		return m.onLessonsKey(msg)
	}
}

// switchTab shows screen t; entering the Lessons screen asks the engine
// for the lesson's state, which `shoplab lesson` may have changed.
func (m Model) switchTab(t tab) (Model, tea.Cmd) {
	entering := t == tabLessons && m.tab != tabLessons
	m.tab = t
	if entering {
		return m, m.refreshLessons()
	}
	return m, nil
}

// quit stops a running load test (and a lab start or stop in progress)
// first, and a lesson started here, and quits when they have returned. A
// second q quits at once (Run still stops the lesson).
func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.quitting || (!m.busy() && !m.mustStopLesson()) {
		m.quitting = true
		return m, tea.Quit
	}
	m.quitting = true
	var cmds []tea.Cmd
	what := []string{}
	switch on := m.lessonOn(); {
	case m.mustStopLesson() || m.lessons.op.kind == opStart:
		if on == "" {
			on = "the lesson being started"
		} else {
			on = "lesson " + on
		}
		what = append(what, "stopping "+on+" and clearing its incidents")
		if !m.lessons.op.running() {
			m.lessons.stopTried = true
			cmds = append(cmds, m.stopLesson())
		}
	case m.lessons.op.running():
		what = append(what, "finishing “"+strings.TrimSuffix(m.lessons.op.what, "…")+"”")
	}
	if m.run.active() {
		m.run.state = runStopping
		cmds = append(cmds, cancelCmd(m.run.cancel))
		what = append(what, "stopping the load test")
	}
	if m.op.running {
		cmds = append(cmds, cancelCmd(m.op.cancel))
		what = append(what, "stopping “"+m.op.title+"”")
	}
	m.notice = &notice{text: "Quitting: " + strings.Join(what, " and ") + " first… (q again quits at once)"}
	return m, tea.Batch(cmds...)
}

// quitStep goes on quitting once something has returned: a lesson
// started here is stopped (once) when no other lesson call runs, and the
// TUI quits when nothing is left.
func (m Model) quitStep() (Model, tea.Cmd) {
	if !m.quitting {
		return m, nil
	}
	if m.mustStopLesson() && !m.lessons.op.running() && !m.lessons.stopTried {
		m.lessons.stopTried = true
		return m, m.stopLesson()
	}
	if m.busy() {
		return m, nil
	}
	return m, tea.Quit
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
	case tabLessons:
		m.moveLessons(d)
	}
}

// onClick switches screens from the tab bar.
func (m Model) onClick(ms tea.Mouse) (tea.Model, tea.Cmd) {
	if ms.Button != tea.MouseLeft || ms.Y != 0 {
		return m, nil
	}
	for t, r := range tabSpans() {
		if ms.X >= r[0] && ms.X < r[1] {
			return m.switchTab(tab(t))
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
	if !m.showsAlerts() {
		// Without the stack an old answer is stale: ask afresh once it is back.
		m.alerts = firingAlerts{busy: m.alerts.busy}
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
