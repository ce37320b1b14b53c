package tui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/topology"
)

func TestTUIScenarioPicked(t *testing.T) {
	m := New(context.Background(), fixtureDeps(t))
	m, _ = apply(m, fixtureScenarios(t), press("2"))

	if m.tab != tabLoad || m.form.scenario != 0 || m.form.rate != 50 || m.form.duration != time.Minute || len(m.form.regions) != 5 {
		t.Fatalf("first scenario not picked with its own settings: %+v", m.form)
	}
	contains(t, screen(m), "browse", "50 journeys/s", "1m0s", "[x] sa-east", "Press s to send browse's traffic")

	m, _ = apply(m, press("right"))
	if e, _ := m.selected(); e.name != "regional-outage" || m.form.rate != 8 || len(m.form.regions) != 2 {
		t.Fatalf("→ on the scenario: picked %q at %g/s with %d regions, want regional-outage at 8/s with 2", e.name, m.form.rate, len(m.form.regions))
	}
	contains(t, screen(m), "regional-outage", "catalog:delay=400ms in ap-south")

	m, _ = apply(m, press("right"))
	contains(t, screen(m), "zz-broken", "broken: zz-broken.yaml: rate: want a number")
	m, cmd := apply(m, press("s"))
	if cmd != nil || m.run.state != runNone || m.notice == nil || !strings.Contains(m.notice.text, "is broken") {
		t.Fatalf("starting a broken scenario: state %v, notice %+v", m.run.state, m.notice)
	}

	// It wraps around; the rate and duration step through round numbers.
	m, _ = apply(m, press("right"), press("down"), press("right"))
	if e, _ := m.selected(); e.name != "browse" || m.form.rate != 75 {
		t.Fatalf("got %s at %g/s, want browse at 75/s", e.name, m.form.rate)
	}
	m, _ = apply(m, press("left"), press("left"), press("down"), press("left"))
	if m.form.rate != 25 || m.form.duration != 45*time.Second {
		t.Fatalf("rate %g, duration %s: want 25 and 45s", m.form.rate, m.form.duration)
	}

	// Regions: → moves between them, space turns one off; the last one
	// cannot be turned off.
	m, _ = apply(m, press("down"), press("right"), press("space"))
	if m.form.regions[1].on {
		t.Fatal("space did not turn us-west off")
	}
	contains(t, screen(m), "[ ] us-west", "[x] us-east")
	for range 4 {
		m, _ = apply(m, press("right"), press("space"))
	}
	on := 0
	for _, r := range m.form.regions {
		if r.on {
			on++
		}
	}
	if on != 1 || m.notice == nil || !strings.Contains(m.notice.text, "At least one region") {
		t.Fatalf("%d regions on (want 1), notice %+v", on, m.notice)
	}
}

// fakeLoad stands in for the load engine: it reports a snapshot every few
// milliseconds until its context ends, then returns an interrupted result.
type fakeLoad struct {
	mu       sync.Mutex
	opts     load.Options
	scenario string
	started  chan struct{}
	returned atomic.Bool
}

func newFakeLoad() *fakeLoad { return &fakeLoad{started: make(chan struct{})} }

func (f *fakeLoad) run(ctx context.Context, sc *load.Scenario, o load.Options) (*load.Result, error) {
	f.mu.Lock()
	f.opts, f.scenario = o, sc.Name
	f.mu.Unlock()
	close(f.started)
	defer f.returned.Store(true)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			res := fixtureResult()
			res.Interrupted, res.ElapsedS = true, float64(i)/10
			return res, nil
		case <-tick.C:
			o.Progress(progressAt(i))
		}
	}
}

func TestTUILoadStartedAndStopped(t *testing.T) {
	fl := newFakeLoad()
	d := fixtureDeps(t)
	d.ScenariosDir = "../../scenarios"
	d.RunLoad = fl.run
	d.ProgressEvery = 250 * time.Millisecond
	dr := newDriver(t, d)
	dr.until("the scenarios", func(m Model) bool { return m.scenariosLoaded })
	if e, ok := dr.m.selected(); !ok || e.name != "browse" || e.sc == nil {
		t.Fatalf("first scenario of scenarios/: %+v, want browse", e)
	}

	dr.send(press("2"), press("down"), press("down"), press("left"))
	dr.send(press("s"))
	if dr.m.run.state != runRunning {
		t.Fatalf("after s: state %v, want running", dr.m.run.state)
	}
	dr.until("the engine to start", func(Model) bool {
		select {
		case <-fl.started:
			return true
		default:
			return false
		}
	})
	fl.mu.Lock()
	o := fl.opts
	fl.mu.Unlock()
	if o.Target != "http://127.0.0.1:8100" || o.Rate != 50 || o.Duration != 45*time.Second || len(o.Regions) != 5 || o.ProgressEvery != 250*time.Millisecond {
		t.Fatalf("engine options: %+v", o)
	}

	dr.until("requests counted", func(m Model) bool { return m.run.progress.Requests >= 270 })
	contains(t, dr.screen(), "running browse", "requests 2", "journeys 4", "(s stops it)")
	if len(dr.m.run.reqRate) < 3 {
		t.Fatalf("request-rate series has %d points", len(dr.m.run.reqRate))
	}

	// The form is locked while the load runs.
	dr.send(press("up"))
	if dr.m.form.field != fieldDuration {
		t.Fatalf("the form moved while the load ran: field %v", dr.m.form.field)
	}

	dr.send(press("s"))
	if dr.m.run.state != runStopping {
		t.Fatalf("after s again: state %v, want stopping", dr.m.run.state)
	}
	dr.until("the run to end", func(m Model) bool { return m.run.state == runDone })
	if !fl.returned.Load() || dr.m.run.result == nil || !dr.m.run.result.Interrupted {
		t.Fatalf("run ended without the engine's interrupted result: %+v", dr.m.run.result)
	}
	contains(t, dr.screen(), "browse stopped after", "requests/s by region", "p99 by endpoint")
	if len(dr.m.traces) != 4 || dr.m.traces[0].latencyMS != 1250 {
		t.Fatalf("traces from the result: %+v", dr.m.traces)
	}
	// Snapshots still queued are not added after the end.
	n := len(dr.m.run.reqRate)
	dr.send(loadProgressMsg{id: dr.m.run.id, p: progressAt(99)})
	if len(dr.m.run.reqRate) != n {
		t.Fatal("a snapshot was added after the run ended")
	}
}

func TestTUIHealthChangesRendered(t *testing.T) {
	var gatewayDown atomic.Bool
	gatewayDown.Store(true)
	d := fixtureDeps(t)
	d.PollEvery = 5 * time.Millisecond
	d.CheckHTTP = func(_ context.Context, url string) error {
		if strings.Contains(url, ":8100/") && gatewayDown.Load() {
			return errors.New("dial tcp 127.0.0.1:8100: connection refused")
		}
		return nil
	}
	d.Dial = func(context.Context, string) error { return nil }
	dr := newDriver(t, d)
	dr.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	dr.until("the gateway down", func(m Model) bool { return m.polled })
	scr := dr.screen()
	if r := row(scr, "gateway"); !strings.Contains(r, "○ down") || !strings.Contains(r, "connection refused") {
		t.Fatalf("gateway row %q: want down, with why", r)
	}
	if r := row(scr, "catalog"); !strings.Contains(r, "● healthy") {
		t.Fatalf("catalog row %q: want healthy", r)
	}
	contains(t, scr, "lab 4/5 up", "Docker is not installed: local mode only")

	gatewayDown.Store(false)
	dr.until("the gateway healthy", func(m Model) bool { return strings.Contains(row(screen(m), "gateway"), "● healthy") })
	contains(t, dr.screen(), "● lab up (local)", "The lab is running")

	// Compose mode: containers appear with their health; the embedded
	// broker, unused, disappears.
	m, _ := apply(dr.m, healthMsg{
		services: dr.m.services, brokers: []probe{{health: healthDown, detail: "refused"}}, askedDocker: true, docker: dockerOK,
		containers: []compose.Container{
			{Service: "grafana", State: "running", Health: "healthy"},
			{Service: "tempo", State: "running", Health: "starting"},
			{Service: "loki", State: "exited"},
		},
	})
	scr = screen(m)
	for name, want := range map[string]string{"grafana": "● healthy", "tempo": "◌ starting", "loki": "○ exited"} {
		if r := row(scr, name); !strings.Contains(r, want) {
			t.Errorf("%s row %q: want %q", name, r, want)
		}
	}
	if !strings.Contains(row(scr, "grafana"), "http://localhost:4000") || strings.Contains(scr, "kafka (embedded)") {
		t.Errorf("compose mode screen:\n%s", scr)
	}
	contains(t, scr, "lab up (Docker)")
}

// TestTUILiveBreakdown shows requests per second by region and p99 by
// endpoint from the engine's snapshots while the run goes on.
func TestTUILiveBreakdown(t *testing.T) {
	m := New(context.Background(), fixtureDeps(t))
	m, _ = apply(m, fixtureScenarios(t), press("2"), press("s"))
	p := progressAt(1)
	p.Regions[3].RequestRate = 99
	p.Endpoints[1].P99 = 432 * time.Millisecond
	m, _ = apply(m, loadProgressMsg{id: m.run.id, p: p}, tea.WindowSizeMsg{Width: 120, Height: 40})
	scr := screen(m)
	contains(t, scr, "requests/s by region", "p99 by endpoint, so far")
	startsWith := func(name string) string {
		for _, l := range strings.Split(scr, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), name+" ") {
				return l
			}
		}
		return ""
	}
	if !strings.Contains(startsWith("ap-south"), "99.0") {
		t.Errorf("ap-south's live rate is not shown:\n%s", scr)
	}
	if !strings.Contains(row(scr, "GET /api/v1/products/{id}"), "432ms") || strings.Contains(startsWith("ap-south"), "432ms") {
		t.Errorf("the endpoint's live p99 is not shown:\n%s", scr)
	}
}

func TestTUISaturationWarningShown(t *testing.T) {
	m := New(context.Background(), fixtureDeps(t))
	m, _ = apply(m, fixtureScenarios(t), press("2"), press("s"))
	id := m.run.id
	m, _ = apply(m, loadProgressMsg{id: id, p: progressAt(1)})
	if strings.Contains(screen(m), "saturated") {
		t.Fatalf("a steady run shows a saturation warning:\n%s", screen(m))
	}

	// The engine judges its saturation in its snapshots; the TUI shows
	// the engine's reasons, with no rule of its own.
	p := progressAt(2)
	p.Dropped = 7
	p.Generator.Saturated, p.Generator.Reasons = true, []string{"7 of 100 arrivals dropped: all 1000 journey slots were busy"}
	m, _ = apply(m, loadProgressMsg{id: id, p: p})
	contains(t, screen(m), "Generator saturated", "7 of 100 arrivals dropped")

	p = progressAt(3)
	p.Late = 5
	p.Generator.Saturated, p.Generator.Reasons = true, []string{"5 of 150 arrivals (3.3%) started more than 100ms after their slot"}
	m, _ = apply(m, loadProgressMsg{id: id, p: p})
	contains(t, screen(m), "Generator saturated", "5 of 150 arrivals")

	res := fixtureResult()
	res.Generator.Saturated, res.Generator.Reasons = true, []string{"12 of 3000 arrivals dropped: all 1000 journey slots were busy"}
	m, _ = apply(m, loadDoneMsg{id: id, res: res})
	contains(t, screen(m), "Generator saturated", "12 of 3000 arrivals dropped", "the generator saturated")
}

func TestTUIQuitStopsLoadFirst(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			fl := newFakeLoad()
			d := fixtureDeps(t)
			d.RunLoad = fl.run
			dr := newDriver(t, d)
			dr.send(fixtureScenarios(t), press("2"), press("s"))
			dr.until("load running", func(m Model) bool { return m.run.seen })

			dr.send(press(k))
			if dr.quit || dr.m.run.state != runStopping || !strings.Contains(dr.m.notice.text, "stopping the load test first") {
				t.Fatalf("%s during a run: quit %v, state %v, notice %+v", k, dr.quit, dr.m.run.state, dr.m.notice)
			}
			for !dr.quit {
				select {
				case msg := <-dr.msgs:
					if _, ok := msg.(tea.QuitMsg); ok && !fl.returned.Load() {
						t.Fatal("quit before the load engine returned")
					}
					dr.handle(msg)
				case <-time.After(10 * time.Second):
					t.Fatal("never quit")
				}
			}
		})
	}

	// Nothing running: q quits at once.
	m := New(context.Background(), fixtureDeps(t))
	if _, cmd := apply(m, press("q")); cmd == nil || cmd() != tea.Quit() {
		t.Fatal("q with nothing running does not quit")
	}
}

func TestTUIStartsAndStopsTheLab(t *testing.T) {
	runner := &fakeRunner{out: []string{"Starting the ShopEase services in the background (pid 42)...", "\x1b[32m  ✓ gateway healthy\x1b[0m"}}
	d := fixtureDeps(t)
	d.Lab = runner
	d.PollEvery = time.Hour // health changes are fed below
	d.CheckHTTP = func(context.Context, string) error { return errors.New("refused") }
	d.Dial = d.CheckHTTP
	dr := newDriver(t, d)
	dr.until("the first poll", func(m Model) bool { return m.polled })
	contains(t, dr.screen(), "lab down", "Press l to start it")

	dr.send(press("u"))
	if dr.m.op.running || len(runner.Calls()) != 0 || !strings.Contains(dr.m.notice.text, "Docker is not installed") {
		t.Fatalf("u without Docker: op %+v, calls %v", dr.m.op, runner.Calls())
	}

	dr.send(press("l"))
	if !dr.m.op.running {
		t.Fatal("l did not start the lab")
	}
	contains(t, dr.screen(), "Starting the lab (local mode)…", "starting…")
	dr.until("the start to end", func(m Model) bool { return !m.op.running && len(m.op.lines) == 2 })
	if got := runner.Calls(); len(got) != 1 || !slices.Equal(got[0], []string{"up", "--local", "-d"}) {
		t.Fatalf("runner calls %v, want [up --local -d]", got)
	}
	if dr.m.op.lines[1] != "  ✓ gateway healthy" {
		t.Fatalf("output line %q: want it without colour codes", dr.m.op.lines[1])
	}
	if !strings.Contains(dr.m.notice.text, "Starting the lab (local mode): done") {
		t.Fatalf("notice %+v", dr.m.notice)
	}

	// Running in local mode: d stops the services only.
	up := allHealthy(d)
	dr.send(up, press("l"))
	if len(runner.Calls()) != 1 || !strings.Contains(dr.m.notice.text, "already running") {
		t.Fatalf("l while running: calls %v, notice %+v", runner.Calls(), dr.m.notice)
	}
	dr.send(press("d"))
	dr.until("the stop to end", func(m Model) bool { return !m.op.running && len(m.op.lines) == 2 })
	// In compose mode, d stops the containers too.
	up.docker, up.containers = dockerOK, []compose.Container{{Service: "grafana", State: "running", Health: "healthy"}}
	runner.mu.Lock()
	runner.err = errors.New("exit status 1")
	runner.mu.Unlock()
	dr.send(up, press("d"))
	dr.until("the second stop to end", func(m Model) bool { return !m.op.running && len(m.op.lines) == 2 })
	calls := runner.Calls()
	if len(calls) != 3 || !slices.Equal(calls[1], []string{"down", "--local"}) || !slices.Equal(calls[2], []string{"down"}) {
		t.Fatalf("runner calls %v, want [down --local] then [down]", calls)
	}
	contains(t, dr.screen(), "Stopping the lab and its containers failed", "exit status 1", "✓ gateway healthy")
}

func TestTUIQuitWhileTheLabStartsCancelsIt(t *testing.T) {
	runner := &fakeRunner{block: true, out: []string{"Starting the containers..."}}
	d := fixtureDeps(t)
	d.Lab = runner
	dr := newDriver(t, d)
	dr.send(press("l"))
	dr.until("its output", func(m Model) bool { return len(m.op.lines) == 1 })
	dr.send(press("q"))
	if dr.quit {
		t.Fatal("quit before the start was stopped")
	}
	dr.until("quit", func(m Model) bool { return dr.quit })
	if dr.m.op.running || !strings.Contains(dr.m.op.err, "context canceled") {
		t.Fatalf("op after quitting: %+v", dr.m.op)
	}
}

func TestTUIOpensTracesAndDashboards(t *testing.T) {
	var mu sync.Mutex
	var opened []string
	grafana := false
	d := fixtureDeps(t)
	d.GrafanaUp = func(context.Context) bool { mu.Lock(); defer mu.Unlock(); return grafana }
	d.Open = func(_ context.Context, u string) error {
		mu.Lock()
		defer mu.Unlock()
		opened = append(opened, u)
		return nil
	}
	dr := newDriver(t, d)
	dr.send(fixtureScenarios(t), press("2"), press("s"))
	dr.send(loadDoneMsg{id: dr.m.run.id, res: fixtureResult()})

	dr.send(press("3"), press("down"), press("g"))
	dr.until("the link shown", func(m Model) bool { return m.notice != nil && m.notice.url != "" })
	want := d.TraceURL("0af7651916cd43dd8448eb211c80319c") // the second slowest
	if dr.m.notice.url != want || !strings.Contains(dr.m.notice.text, "Grafana is not running") || !slices.Contains(dr.m.URLs(), want) {
		t.Fatalf("without Grafana: notice %+v, URLs %v", dr.m.notice, dr.m.URLs())
	}
	contains(t, dr.screen(), "explore?trace=0af7651916cd43dd8448eb211c80319c")

	mu.Lock()
	grafana = true
	mu.Unlock()
	dr.send(press("g"))
	dr.until("the trace opened", func(m Model) bool { return strings.HasPrefix(m.notice.text, "Opened") })
	dr.send(press("4"), press("down"), press("enter"))
	dr.until("the dashboard opened", func(m Model) bool { return strings.Contains(m.notice.text, "Checkout") })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(opened, []string{want, "http://localhost:4000/d/shoplab-checkout"}) {
		t.Fatalf("opened %v", opened)
	}
}

func TestTUITabsByKeyAndMouse(t *testing.T) {
	m := New(context.Background(), fixtureDeps(t))
	for _, tc := range []struct {
		key  string
		want tab
	}{{"2", tabLoad}, {"4", tabDashboards}, {"tab", tabLessons}, {"tab", tabStack}, {"3", tabTraces}, {"5", tabLessons}, {"1", tabStack}} {
		if m, _ = apply(m, press(tc.key)); m.tab != tc.want {
			t.Fatalf("%s: tab %v, want %v", tc.key, m.tab, tc.want)
		}
	}
	m, _ = apply(m, tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift})
	if m.tab != tabLessons {
		t.Fatalf("shift+tab from Stack: %v", m.tab)
	}
	// A click anywhere on a tab's label selects it: the spans and the
	// drawing agree.
	for i, span := range tabSpans() {
		for _, x := range []int{span[0], span[1] - 1} {
			m, _ = apply(m, tea.MouseClickMsg{X: x, Y: 0, Button: tea.MouseLeft})
			if m.tab != tab(i) {
				t.Fatalf("click at x=%d: tab %v, want %v", x, m.tab, tab(i))
			}
			header := []rune(strings.Split(screen(m), "\n")[0])
			if got, want := string(header[span[0]:span[1]]), "["+string(rune('1'+i))+" "+tab(i).String()+"]"; got != want {
				t.Fatalf("header at %v is %q, want %q", span, got, want)
			}
		}
	}
	if m, _ = apply(m, tea.MouseClickMsg{X: 3, Y: 5, Button: tea.MouseLeft}); m.tab != tabLessons {
		t.Fatal("a click below the tab bar switched tabs")
	}
	m, _ = apply(m, press("4"))
	m, _ = apply(m, tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m.dashCursor != 1 {
		t.Fatalf("wheel down: cursor %d", m.dashCursor)
	}
	m, _ = apply(m, press("?"))
	contains(t, screen(m), "next screen", "previous screen", "hide message")
}

func TestTUIStartNeedsTheShop(t *testing.T) {
	d := fixtureDeps(t)
	m := New(context.Background(), d)
	down := allHealthy(d)
	for i, e := range d.Services {
		if e.Service == topology.Gateway {
			down.services[i] = probe{health: healthDown}
		}
	}
	m, cmd := apply(m, fixtureScenarios(t), down, press("2"), press("s"))
	if cmd != nil || m.run.state != runNone || !strings.Contains(m.notice.text, "The shop is not running") {
		t.Fatalf("start with the gateway down: state %v, notice %+v", m.run.state, m.notice)
	}
	// No scenarios at all.
	m = New(context.Background(), d)
	m, _ = apply(m, scenariosMsg{err: errors.New("open scenarios: no such file or directory")}, press("2"))
	contains(t, screen(m), "No load scenarios found in scenarios/", "no such file")
}

func TestTUIEveryScreenFits(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {60, 16}, {100, 30}, {120, 40}, {200, 60}, {40, 10}} {
		for name, m := range goldenStates(t) {
			m, _ = apply(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			checkFits(t, name, screen(m), size[0], size[1])
		}
	}
}

func checkFits(t *testing.T, name, scr string, w, h int) {
	t.Helper()
	lines := strings.Split(scr, "\n")
	if len(lines) != h {
		t.Errorf("%s at %dx%d: %d lines", name, w, h, len(lines))
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("%s at %dx%d: line %d is %d wide: %q", name, w, h, i, n, l)
		}
	}
}

func TestTUILineWriter(t *testing.T) {
	lines := make(chan string, 10)
	w := &lineWriter{lines: lines}
	w.Write([]byte("one\r\ntw"))
	w.Write([]byte("o\n\x1b[1mthree\x1b[0m   \rfour"))
	w.flush()
	close(lines)
	var got []string
	for l := range lines {
		got = append(got, l)
	}
	if want := []string{"one", "two", "three", "four"}; !slices.Equal(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
}

func TestTUIPollingStaysOneChain(t *testing.T) {
	d := fixtureDeps(t)
	m := New(context.Background(), d)
	m, cmd := apply(m, allHealthy(d))
	if cmd == nil {
		t.Fatal("a poll's answer does not schedule the next poll")
	}
	// A finished start polls at once, in a new chain...
	m.op = labOp{id: 1, running: true}
	m, cmd = apply(m, labDoneMsg{id: 1})
	if cmd == nil || m.pollGen != 1 {
		t.Fatalf("after a lab operation: poll %v, generation %d", cmd != nil, m.pollGen)
	}
	// ...and the old chain ends: its tick polls no more, its answer is
	// shown but schedules nothing.
	if _, cmd := apply(m, pollTickMsg{gen: 0}); cmd != nil {
		t.Error("the old chain's tick still polls")
	}
	old := allHealthy(d)
	old.services[0] = probe{health: healthDown}
	m2, cmd := apply(m, old)
	if cmd != nil || m2.services[0].health != healthDown {
		t.Errorf("the old chain's answer: scheduled %v, applied %v", cmd != nil, m2.services[0].health == healthDown)
	}
	cur := allHealthy(d)
	cur.gen = 1
	if _, cmd := apply(m, cur); cmd == nil {
		t.Error("the new chain does not go on")
	}
}
