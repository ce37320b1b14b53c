package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/traceview"
)

// traceAsker stands in for Deps.Trace: it records the IDs asked for and
// answers with view, or err.
type traceAsker struct {
	mu    sync.Mutex
	asked []string
	view  *traceview.View
	err   error
}

func (a *traceAsker) Trace(_ context.Context, id string) (*traceview.View, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, id)
	return a.view, a.err
}

func (a *traceAsker) Asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.asked...)
}

// tracesListed is the Traces screen after a load test, at 80×24, its
// second slowest request selected.
func tracesListed(t *testing.T, d Deps) Model {
	t.Helper()
	m := New(context.Background(), d)
	m, _ = apply(m, allHealthy(d), loadDoneMsg{res: fixtureResult()}, press("3"), press("down"), tea.WindowSizeMsg{Width: 80, Height: 24})
	return m
}

// openLoaded presses enter and feeds the load's answer back.
func openLoaded(t *testing.T, m Model) Model {
	t.Helper()
	m, cmd := apply(m, press("enter"))
	if cmd == nil {
		t.Fatal("enter started no load")
	}
	m, _ = apply(m, cmd())
	return m
}

// selectedLine is the screen's line that marks the selected span.
func selectedLine(scr string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.HasPrefix(l, "›") {
			return l
		}
	}
	return ""
}

func TestTUITraceEnterLoadsAndEscReturns(t *testing.T) {
	asker := &traceAsker{view: fixtureTraceView()}
	d := fixtureDeps(t)
	d.Trace = asker.Trace
	m := tracesListed(t, d)

	m, cmd := apply(m, press("enter"))
	if !m.detail.open || !m.detail.loading || cmd == nil {
		t.Fatalf("enter: open %v, loading %v, command %v", m.detail.open, m.detail.loading, cmd != nil)
	}
	if len(asker.Asked()) != 0 {
		t.Fatal("Update fetched the trace itself: I/O belongs in the command")
	}
	contains(t, screen(m), "Trace 0af7651916cd43dd8448eb211c80319c", "Loading the trace")
	m, _ = apply(m, cmd())
	if got := asker.Asked(); len(got) != 1 || got[0] != "0af7651916cd43dd8448eb211c80319c" {
		t.Fatalf("asked for %v, want the selected request's trace", got)
	}
	scr := screen(m)
	contains(t, scr, "Trace "+fixtureTraceID+": POST /api/v1/orders", "13 spans in 5 services",
		"span 1 of 13", "attributes: http.request.method=POST", "│ +211ms INFO  request served duration_ms=211 status=201")
	if l := selectedLine(scr); !strings.Contains(l, "POST /api/v1/orders") {
		t.Errorf("selected line %q, want the root span's", l)
	}

	m, _ = apply(m, press("esc"))
	if m.detail.open || m.tab != tabTraces {
		t.Fatalf("esc: open %v, tab %v", m.detail.open, m.tab)
	}
	contains(t, screen(m), "Slowest requests of the last load test")

	// From the Stack screen's recent traces, esc goes back there.
	d.RecentTraces = func(context.Context, int) ([]traceview.Summary, error) { return fixtureRecent().list, nil }
	m = New(context.Background(), d)
	m, _ = apply(m, allHealthy(d), fixtureRecent())
	for range len(m.stackRows()) + 2 {
		m, _ = apply(m, press("down"))
	}
	m = openLoaded(t, m)
	if got := asker.Asked(); m.tab != tabTraces || !m.detail.open || got[len(got)-1] != fixtureRecent().list[2].TraceID {
		t.Fatalf("enter on the third recent trace: tab %v, open %v, asked %v", m.tab, m.detail.open, got)
	}
	if m, _ = apply(m, press("esc")); m.tab != tabStack || m.detail.open {
		t.Fatalf("esc: tab %v, open %v, want back on the Stack screen", m.tab, m.detail.open)
	}
}

func TestTUITraceSelectionMovesAndScrolls(t *testing.T) {
	m := openLoaded(t, tracesListed(t, anyTraceDeps(t)))
	v := m.detail.view
	n := len(v.Spans)

	m, _ = apply(m, press("down"))
	if m.detail.span != 1 || !strings.Contains(selectedLine(screen(m)), "Auth/Verify") {
		t.Fatalf("down: span %d, line %q", m.detail.span, selectedLine(screen(m)))
	}
	contains(t, screen(m), "span 2 of 13", "── gateway · shop.v1.Auth/Verify")
	m, _ = apply(m, press("k"))
	if m.detail.span != 0 {
		t.Fatalf("k: span %d", m.detail.span)
	}
	// Walking down every span, the selected one is always on screen,
	// its details below.
	for i := 1; i < n+2; i++ {
		m, _ = apply(m, press("j"))
		want := min(i, n-1)
		scr := screen(m)
		if m.detail.span != want || selectedLine(scr) == "" {
			t.Fatalf("j ×%d: span %d (want %d), selected line %q:\n%s", i, m.detail.span, want, selectedLine(scr), scr)
		}
		contains(t, scr, "── "+v.Spans[want].Service+" · "+v.Spans[want].Name)
	}
	if m.detail.top == 0 {
		t.Fatal("the last span selected, the waterfall has not scrolled")
	}
	m, _ = apply(m, tea.KeyPressMsg{Code: tea.KeyHome})
	if m.detail.span != 0 || m.detail.top != 0 {
		t.Fatalf("home: span %d, top %d", m.detail.span, m.detail.top)
	}
	m, _ = apply(m, tea.KeyPressMsg{Code: tea.KeyPgDown})
	if m.detail.top == 0 || selectedLine(screen(m)) == "" {
		t.Fatalf("pgdn: top %d, the selection left the screen:\n%s", m.detail.top, screen(m))
	}
	m, _ = apply(m, tea.KeyPressMsg{Code: tea.KeyPgUp})
	if m.detail.top != 0 || selectedLine(screen(m)) == "" {
		t.Fatalf("pgup: top %d", m.detail.top)
	}
	m, _ = apply(m, tea.KeyPressMsg{Code: tea.KeyEnd})
	if m.detail.span != n-1 {
		t.Fatalf("end: span %d", m.detail.span)
	}
	top := m.detail.top
	m, _ = apply(m, tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if m.detail.top != top-3 || selectedLine(screen(m)) == "" {
		t.Fatalf("wheel up: top %d, want %d, the selection on screen", m.detail.top, top-3)
	}
}

// anyTraceDeps are fixtureDeps whose Trace answers any ID with the
// fixture's trace.
func anyTraceDeps(t *testing.T) Deps {
	d := fixtureDeps(t)
	d.Trace = func(context.Context, string) (*traceview.View, error) { return fixtureTraceView(), nil }
	return d
}

func TestTUITraceErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"not arrived", notFoundErr("0af7651916cd43dd8448eb211c80319c"), "is not there (yet)."},
		{"stores down", errors.Join(
			fmt.Errorf("%w: no span files in logs/spans", traceview.ErrUnavailable),
			fmt.Errorf("%w: Tempo at http://localhost:3200 is unreachable (is the stack up?)", traceview.ErrUnavailable)),
			"No trace store can be read."},
		{"malformed", fmt.Errorf("%w \"0af7\": want 32 hex digits, got 4 characters", traceview.ErrMalformedID), "is not a trace ID."},
		{"other", errors.New("span file logs/spans/orders.jsonl: permission denied"), "could not be loaded."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asker := &traceAsker{err: tt.err}
			d := fixtureDeps(t)
			d.Trace = asker.Trace
			m := openLoaded(t, tracesListed(t, d))
			scr := screen(m)
			contains(t, scr, tt.want, "r tries again", "esc back")
			for _, l := range strings.Split(tt.err.Error(), "\n") {
				contains(t, strings.Join(strings.Fields(scr), " "), strings.Join(strings.Fields(l), " "))
			}
			// r asks again; an answer to the first ask is too late.
			seq := m.detail.seq
			m, cmd := apply(m, press("r"))
			if cmd == nil || !m.detail.loading || m.detail.seq == seq {
				t.Fatalf("r: command %v, loading %v", cmd != nil, m.detail.loading)
			}
			m, _ = apply(m, traceLoadedMsg{seq: seq, view: fixtureTraceView()})
			if !m.detail.loading || m.detail.view != nil {
				t.Fatal("a stale answer was shown")
			}
			if m, _ = apply(m, cmd()); len(asker.Asked()) != 2 || m.detail.err == nil {
				t.Fatalf("asked %v, error %v", asker.Asked(), m.detail.err)
			}
		})
	}
}

func TestTUITraceGrafanaOneKeyAway(t *testing.T) {
	d := anyTraceDeps(t)
	m := openLoaded(t, tracesListed(t, d))

	// Grafana is not running: g shows the link.
	m, cmd := apply(m, press("g"))
	if cmd == nil {
		t.Fatal("g: no command")
	}
	m, _ = apply(m, cmd())
	want := d.TraceURL("0af7651916cd43dd8448eb211c80319c")
	if m.notice == nil || m.notice.url != want || !strings.Contains(m.notice.text, "Grafana is not running") {
		t.Fatalf("g without Grafana: notice %+v", m.notice)
	}
	// esc hides the message first, then leaves the trace.
	if m, _ = apply(m, press("esc")); m.notice != nil || !m.detail.open {
		t.Fatalf("first esc: notice %+v, open %v", m.notice, m.detail.open)
	}
	// y copies the link.
	m, cmd = apply(m, press("y"))
	if cmd == nil || m.notice == nil || m.notice.url != want {
		t.Fatalf("y: notice %+v", m.notice)
	}

	// In compose mode, g opens it.
	var opened []string
	d.GrafanaUp = func(context.Context) bool { return true }
	d.Open = func(_ context.Context, u string) error { opened = append(opened, u); return nil }
	m = openLoaded(t, tracesListed(t, d))
	m, cmd = apply(m, press("g"))
	m, _ = apply(m, cmd())
	if len(opened) != 1 || opened[0] != want || !strings.HasPrefix(m.notice.text, "Opened") {
		t.Fatalf("g with Grafana: opened %v, notice %+v", opened, m.notice)
	}
	// From the list, g opens the selected request's trace in Grafana too.
	m, _ = apply(m, press("esc"), press("esc"))
	m, cmd = apply(m, press("g"))
	if m.detail.open || cmd == nil {
		t.Fatalf("g on the list: open %v", m.detail.open)
	}
	cmd()
	if len(opened) != 2 || opened[1] != want {
		t.Fatalf("opened %v", opened)
	}
}

func TestTUITraceWithoutAStoreOpensGrafana(t *testing.T) {
	d := fixtureDeps(t)
	d.Trace = nil
	m, cmd := apply(tracesListed(t, d), press("enter"))
	if m.detail.open || cmd == nil {
		t.Fatalf("enter without Deps.Trace: open %v", m.detail.open)
	}
	if msg, ok := cmd().(openedMsg); !ok || msg.url != d.TraceURL("0af7651916cd43dd8448eb211c80319c") {
		t.Fatalf("enter opened %+v, want the trace's Grafana link", msg)
	}
}

func TestTUIRecentTraces(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	d := fixtureDeps(t)
	d.RecentTraces = func(_ context.Context, n int) ([]traceview.Summary, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if n != recentShown {
			t.Errorf("asked for %d traces, want %d", n, recentShown)
		}
		return fixtureRecent().list, nil
	}

	m := New(context.Background(), d)
	contains(t, screen(m), "Recent traces — looking…")
	m, _ = apply(m, allHealthy(d))
	if !m.recent.busy {
		t.Fatal("a poll on the Stack screen did not list the recent traces")
	}
	m, _ = apply(m, allHealthy(d))
	mu.Lock()
	if calls != 0 {
		t.Error("Update listed the traces itself: I/O belongs in the command")
	}
	mu.Unlock()
	m, _ = apply(m, fixtureRecent())
	if m.recent.busy {
		t.Fatal("still busy after the answer")
	}
	scr := screen(m)
	contains(t, scr, "Recent traces (newest first; enter shows one)")
	for _, s := range fixtureRecent().list {
		if r := row(scr, s.Name); !strings.Contains(r, s.TraceID) {
			t.Errorf("no row for %s: %q", s.Name, r)
		}
	}
	if r := row(scr, "POST /api/v1/orders"); !strings.Contains(r, "212ms ✗") {
		t.Errorf("failed trace row %q lacks its duration and ✗", r)
	}
	// The cursor goes past the components onto the traces, no further.
	for range 20 {
		m, _ = apply(m, press("down"))
	}
	if want := len(m.stackRows()) + 2; m.stackCursor != want {
		t.Fatalf("cursor %d, want %d (the last trace)", m.stackCursor, want)
	}
	if !strings.HasPrefix(row(screen(m), "GET /api/v1/products/{id}"), "›") {
		t.Errorf("the last trace is not marked selected:\n%s", screen(m))
	}

	// Other screens do not list them.
	m, _ = apply(m, press("2"), allHealthy(d))
	if m.recent.busy {
		t.Error("listed the recent traces while the Load screen shows")
	}

	for _, tt := range []struct {
		name string
		msg  recentMsg
		want string
	}{
		{"none yet", recentMsg{}, "none yet: they appear as the shop serves requests"},
		{"no store", recentMsg{err: errors.Join(traceview.ErrUnavailable, traceview.ErrUnavailable)}, "none yet"},
		{"store fails", recentMsg{err: errors.New("span file: read logs/spans/gateway.jsonl: input/output error")}, "Recent traces: input/output error"},
	} {
		got, _ := apply(m, press("1"), tt.msg)
		contains(t, screen(got), tt.want)
		if got.stackCursor >= got.stackItems() {
			t.Errorf("%s: cursor %d beyond the %d items", tt.name, got.stackCursor, got.stackItems())
		}
	}
}

func TestTUIRecentTracesArrive(t *testing.T) {
	d := fixtureDeps(t)
	d.RecentTraces = func(context.Context, int) ([]traceview.Summary, error) { return fixtureRecent().list, nil }
	dr := newDriver(t, d)
	dr.until("the recent traces listed", func(m Model) bool { return len(m.recent.list) == 3 })
	contains(t, dr.screen(), fixtureTraceID, "GET /api/v1/products/{id}")
}
