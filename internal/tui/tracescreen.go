package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/traceview"
)

// traceTimeout bounds loading one trace: Tempo, then Loki, in compose
// mode.
const traceTimeout = 30 * time.Second

// traceScreen is the trace the Traces screen shows in place of its list,
// loaded by a command, then read span by span.
type traceScreen struct {
	open bool
	id   string
	// seq tells the answer to this load from one the user left behind.
	seq     int
	loading bool
	view    *traceview.View
	err     error
	// span is the selected span, an index into view.Spans; top is the
	// first line of the waterfall shown.
	span, top int
	// back is the screen the trace was opened from, which esc returns to.
	back tab
}

type traceLoadedMsg struct {
	seq  int
	view *traceview.View
	err  error
}

// openTrace shows trace id on the Traces screen and loads it.
func (m Model) openTrace(id string, back tab) (Model, tea.Cmd) {
	m.traceSeq++
	m.tab = tabTraces
	m.notice = nil
	m.detail = traceScreen{open: true, id: id, seq: m.traceSeq, loading: true, back: back}
	load, ctx, seq := m.deps.Trace, m.ctx, m.traceSeq
	return m, func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, traceTimeout)
		defer cancel()
		v, err := load(cctx, id)
		return traceLoadedMsg{seq: seq, view: v, err: err}
	}
}

func (m *Model) traceLoaded(msg traceLoadedMsg) {
	if !m.detail.open || msg.seq != m.detail.seq {
		return
	}
	m.detail.loading, m.detail.view, m.detail.err = false, msg.view, msg.err
	if msg.err == nil && msg.view == nil {
		m.detail.view = &traceview.View{TraceID: m.detail.id}
	}
}

// closeTrace goes back to where the trace was opened from.
func (m *Model) closeTrace() {
	m.tab = m.detail.back
	m.detail = traceScreen{}
}

// onTraceKey moves through the open trace's spans and lines.
func (m Model) onTraceKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k, d := m.keys, m.detail
	switch {
	case key.Matches(msg, k.up):
		m.selectSpan(d.span - 1)
	case key.Matches(msg, k.down):
		m.selectSpan(d.span + 1)
	case key.Matches(msg, k.first):
		m.selectSpan(0)
	case key.Matches(msg, k.last):
		m.selectSpan(1 << 30)
	case key.Matches(msg, k.pageUp):
		m.scrollTrace(-max(m.waterfall().height-1, 1))
	case key.Matches(msg, k.pageDown):
		m.scrollTrace(max(m.waterfall().height-1, 1))
	case key.Matches(msg, k.reload):
		return m.openTrace(d.id, d.back)
	case key.Matches(msg, k.grafana), key.Matches(msg, k.copy):
		return m.grafanaTrace(d.id, key.Matches(msg, k.copy))
	}
	return m, nil
}

// grafanaTrace opens trace id in Grafana, or copies the link.
func (m Model) grafanaTrace(id string, copyLink bool) (tea.Model, tea.Cmd) {
	if m.deps.TraceURL == nil {
		m.notice = &notice{text: "Trace " + id + ": see it with 'shoplab trace " + id + "'."}
		return m, nil
	}
	u := m.deps.TraceURL(id)
	if copyLink {
		m.notice = &notice{text: "Copied the link to trace " + id + " (if your terminal allows it).", url: u}
		return m, tea.SetClipboard(u)
	}
	return m, m.openURL("trace "+id, u, true)
}

// waterfallLayout is the open trace's waterfall at the screen's width and
// the lines of screen it has.
type waterfallLayout struct {
	lines  []string
	spanAt []int
	height int
}

// traceWidth is the width the waterfall is laid out for: the screen less
// the column that marks the selected span.
func (m Model) traceWidth() int { return m.width - 1 }

// tracePanes splits the body's h lines between the waterfall and the
// selected span's details.
func tracePanes(h int) (waterfall, details int) {
	details = max(h*2/5, 4)
	return max(h-details, 1), details
}

func (m Model) waterfall() waterfallLayout {
	if m.detail.view == nil {
		return waterfallLayout{height: 1}
	}
	lines, at := m.detail.view.SpanLines(m.traceWidth())
	h, _ := tracePanes(m.bodyHeight())
	return waterfallLayout{lines: lines, spanAt: at, height: h}
}

// selectSpan selects span i (clamped) and scrolls the waterfall to show
// it with the lines under it when they fit.
func (m *Model) selectSpan(i int) {
	wf := m.waterfall()
	d := &m.detail
	if len(wf.spanAt) == 0 {
		return
	}
	d.span = min(max(i, 0), len(wf.spanAt)-1)
	at := wf.spanAt[d.span]
	end := len(wf.lines) - 1
	if d.span+1 < len(wf.spanAt) {
		end = wf.spanAt[d.span+1] - 1
	}
	switch {
	case d.span == 0:
		d.top = 0
	case at < d.top:
		d.top = at
	case end >= d.top+wf.height:
		d.top = min(end-wf.height+1, at)
	}
}

// scrollTrace moves the waterfall by n lines, and the selection with it
// when its span leaves the screen.
func (m *Model) scrollTrace(n int) {
	wf := m.waterfall()
	d := &m.detail
	if len(wf.spanAt) == 0 {
		return
	}
	d.top = min(max(d.top+n, 0), max(len(wf.lines)-wf.height, 0))
	switch at := wf.spanAt[d.span]; {
	case at < d.top:
		for i, a := range wf.spanAt {
			if a >= d.top {
				d.span = i
				return
			}
		}
	case at >= d.top+wf.height:
		for i := len(wf.spanAt) - 1; i >= 0; i-- {
			if wf.spanAt[i] < d.top+wf.height {
				d.span = i
				return
			}
		}
	}
}

// recentTraces is the Stack screen's list of the newest traces.
type recentTraces struct {
	// answered: a listing came back; busy: one is under way.
	answered, busy bool
	list           []traceview.Summary
	err            error
}

// recentShown is how many recent traces the Stack screen lists.
const recentShown = 5

type recentMsg struct {
	list []traceview.Summary
	err  error
}

// listRecent asks for the newest traces while the Stack screen shows
// them, one listing at a time.
func (m *Model) listRecent() tea.Cmd {
	if m.deps.RecentTraces == nil || m.tab != tabStack || m.recent.busy {
		return nil
	}
	m.recent.busy = true
	list, ctx := m.deps.RecentTraces, m.ctx
	return func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		l, err := list(cctx, recentShown)
		return recentMsg{list: l, err: err}
	}
}

func (m *Model) recentListed(msg recentMsg) {
	m.recent = recentTraces{answered: true, list: msg.list, err: msg.err}
	if len(m.recent.list) > recentShown {
		m.recent.list = m.recent.list[:recentShown]
	}
	if n := m.stackItems(); m.stackCursor >= n {
		m.stackCursor = max(n-1, 0)
	}
}

// stackItems counts what the Stack screen's cursor moves over: its
// components, then the recent traces.
func (m Model) stackItems() int {
	return len(m.stackRows()) + len(m.recent.list)
}

// tracesHelp lists the Traces screen's keys: the open trace's, or the
// list's.
func (m Model) tracesHelp() []key.Binding {
	k := m.keys
	grafana := k.grafana
	grafana.SetHelp("g", "Grafana")
	if m.detail.open {
		span := k.up
		span.SetHelp("↑/↓", "span")
		back := k.dismiss
		back.SetHelp("esc", "back")
		page := k.pageDown
		page.SetHelp("pgup/pgdn", "scroll")
		ends := k.first
		ends.SetHelp("home/end", "first/last span")
		copyLink := k.copy
		copyLink.SetHelp("y", "copy Grafana link")
		if m.detail.view == nil {
			// Loading, or failed: nothing to move through yet.
			return []key.Binding{back, k.reload, grafana, copyLink}
		}
		return []key.Binding{span, back, grafana, page, ends, k.reload, copyLink}
	}
	open := k.open
	if m.deps.Trace == nil {
		open.SetHelp("enter", "open trace")
		return []key.Binding{open, k.up, k.down, k.copy}
	}
	open.SetHelp("enter", "show trace")
	return []key.Binding{open, grafana, k.up, k.down, k.copy}
}
