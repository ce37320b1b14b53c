package tui

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/topology"
)

// press is the message a key sends: "q", "enter", "down", "space",
// "ctrl+c", "?".
func press(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// apply feeds msgs to Update in order and returns the model and the last command.
func apply(m Model, msgs ...tea.Msg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	for _, msg := range msgs {
		var next tea.Model
		next, cmd = m.Update(msg)
		m = next.(Model)
	}
	return m, cmd
}

// screen is the model's screen as plain text.
func screen(m Model) string { return ansi.Strip(m.View().Content) }

// defaultEndpoints are the services at their default ports.
func defaultEndpoints(t *testing.T) []topology.Endpoint {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return topology.Endpoints(cfg)
}

// fixtureDeps describe a healthy lab at the default ports, without
// Docker; nothing real is reached, even when a test runs the commands.
func fixtureDeps(t *testing.T) Deps {
	return Deps{
		Services:   defaultEndpoints(t),
		Brokers:    []Broker{{Name: "kafka (embedded)", Addr: "127.0.0.1:19092", Embedded: true}},
		Containers: func(context.Context) ([]compose.Container, error) { return nil, compose.ErrNoDocker },
		Lab:        &fakeRunner{},
		CheckHTTP:  func(context.Context, string) error { return nil },
		Dial:       func(context.Context, string) error { return nil },
		Target:     "http://127.0.0.1:8100",
		TraceURL:   func(id string) string { return "http://localhost:4000/explore?trace=" + id },
		Trace:      fixtureTrace,
	}
}

// allHealthy is a poll that found every service and the broker up.
func allHealthy(d Deps) healthMsg {
	msg := healthMsg{services: make([]probe, len(d.Services)), brokers: make([]probe, len(d.Brokers)), askedDocker: true, docker: dockerMissing}
	for i := range msg.services {
		msg.services[i] = probe{health: healthUp}
	}
	for i := range msg.brokers {
		msg.brokers[i] = probe{health: healthUp}
	}
	return msg
}

const browseYAML = `name: browse
description: Read-heavy — list products and look at them.
rate: 50
duration: 60s
regions:
  us-east: 30
  us-west: 20
  eu-west: 25
  ap-south: 15
  sa-east: 10
thresholds:
  - errors<1%
journeys:
  - name: list
    weight: 3
    steps:
      - method: GET
        route: /api/v1/products
  - name: direct link
    weight: 2
    steps:
      - method: GET
        route: /api/v1/products/{id}
        params: {id: "{{randomInt 1 12}}"}
`

const outageYAML = `name: regional-outage
description: ap-south's orders fail (503) and its catalogue reads are slow.
rate: 8
duration: 60s
regions:
  us-east: 50
  ap-south: 50
faults:
  - inject: catalog:delay=400ms
    regions: [ap-south]
journeys:
  - name: browse
    weight: 1
    steps:
      - method: GET
        route: /api/v1/products
`

// fixtureScenarios are two scenarios and a broken file, as
// loadScenarios would report them.
func fixtureScenarios(t *testing.T) scenariosMsg {
	t.Helper()
	var entries []scenarioEntry
	for _, y := range []string{browseYAML, outageYAML} {
		sc, err := load.Parse("fixture.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, scenarioEntry{name: sc.Name, sc: sc})
	}
	entries = append(entries, scenarioEntry{name: "zz-broken", err: "zz-broken.yaml: rate: want a number"})
	return scenariosMsg{entries: entries}
}

// fixtureResult is a finished browse run.
func fixtureResult() *load.Result {
	stats := func(rate, p99 float64) load.Stats {
		return load.Stats{Requests: int64(rate * 60), Rate: rate, Latency: load.Latency{P99: p99}}
	}
	return &load.Result{
		Scenario: "browse", TargetRate: 50, DurationS: 60, ElapsedS: 61.2,
		Regions:   []string{"us-east", "us-west", "eu-west", "ap-south", "sa-east"},
		Generator: load.Generator{Scheduled: 3000, Started: 3000},
		Total:     load.Stats{Requests: 5400, Errors: 3, ErrorRatio: 3.0 / 5400, Latency: load.Latency{P99: 12.5}},
		Endpoints: []load.EndpointResult{
			{Method: "GET", Route: "/api/v1/products", Region: "us-east", Stats: stats(27, 9.5)},
			{Method: "GET", Route: "/api/v1/products", Region: "ap-south", Stats: stats(13, 14.25)},
			{Method: "GET", Route: "/api/v1/products/{id}", Region: "us-east", Stats: stats(18, 6)},
			{Method: "GET", Route: "/api/v1/products/{id}", Region: "us-west", Stats: stats(18, 5.5)},
			{Method: "GET", Route: "/api/v1/products/{id}", Region: "eu-west", Stats: stats(22.5, 7)},
			{Method: "GET", Route: "/api/v1/products/{id}", Region: "sa-east", Stats: stats(9, 4)},
		},
		Slowest: []load.SlowEndpoint{
			{Method: "GET", Route: "/api/v1/products", Requests: []load.SlowRequest{
				{TraceID: "0af7651916cd43dd8448eb211c80319c", LatencyMS: 48.2, Region: "ap-south", Status: 200},
				{TraceID: "1bf7651916cd43dd8448eb211c80319d", LatencyMS: 20.1, Region: "us-east", Status: 200},
			}},
			{Method: "GET", Route: "/api/v1/products/{id}", Requests: []load.SlowRequest{
				{TraceID: "2cf7651916cd43dd8448eb211c80319e", LatencyMS: 1250, Region: "eu-west", Status: 0, Failed: true},
				{TraceID: "3df7651916cd43dd8448eb211c80319f", LatencyMS: 9.75, Region: "sa-east", Status: 404, Failed: true},
			}},
		},
		Passed: true,
	}
}

// progressAt is a snapshot i seconds into a steady run.
func progressAt(i int) load.Progress {
	return load.Progress{
		Elapsed: time.Duration(i) * time.Second, TargetRate: 50, JourneyRate: 48 + float64(i%3),
		RequestRate: 80 + float64(i%5)*4, Scheduled: int64(50 * i), Requests: int64(90 * i), Errors: int64(i / 4),
		InFlight: 12, P99: time.Duration(8+i%4) * time.Millisecond,
		Regions: []load.RegionProgress{
			{Region: "us-east", Requests: int64(30 * i), RequestRate: 30},
			{Region: "us-west", Requests: int64(20 * i), RequestRate: 20},
			{Region: "eu-west", Requests: int64(20 * i), RequestRate: 20 + float64(i%3)},
			{Region: "ap-south", Requests: int64(12 * i), RequestRate: 12},
			{Region: "sa-east", Requests: int64(8 * i), RequestRate: 8},
		},
		Endpoints: []load.EndpointProgress{
			{Method: "GET", Route: "/api/v1/products", Requests: int64(40 * i), RequestRate: 40, P99: 9 * time.Millisecond},
			{Method: "GET", Route: "/api/v1/products/{id}", Requests: int64(50 * i), RequestRate: 50, P99: time.Duration(6+i%3) * time.Millisecond},
		},
	}
}

// fakeRunner records the shoplab subcommands it was asked to run and
// writes lines as their output.
type fakeRunner struct {
	mu    sync.Mutex
	calls [][]string
	out   []string
	err   error
	// block, when set, makes Run wait for ctx (a long start).
	block bool
}

func (f *fakeRunner) Run(ctx context.Context, args []string, out io.Writer) error {
	f.mu.Lock()
	f.calls = append(f.calls, args)
	lines, err, block := f.out, f.err, f.block
	f.mu.Unlock()
	for _, l := range lines {
		io.WriteString(out, l+"\n")
	}
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (f *fakeRunner) Calls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.calls...)
}

// driver runs a model as Bubble Tea does, without a terminal: each
// command runs in a goroutine of its own, and their messages are fed to
// Update one at a time, in the test's goroutine.
type driver struct {
	t    *testing.T
	m    Model
	msgs chan tea.Msg
	quit bool
}

func newDriver(t *testing.T, d Deps) *driver {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dr := &driver{t: t, m: New(ctx, d), msgs: make(chan tea.Msg, 1024)}
	dr.exec(dr.m.Init())
	return dr
}

func (d *driver) send(msgs ...tea.Msg) {
	for _, msg := range msgs {
		next, cmd := d.m.Update(msg)
		d.m = next.(Model)
		d.exec(cmd)
	}
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() { d.msgs <- cmd() }()
}

func (d *driver) handle(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			d.exec(c)
		}
	case tea.QuitMsg:
		d.quit = true
	default:
		d.send(msg)
	}
}

// until handles messages until cond holds of the model.
func (d *driver) until(what string, cond func(m Model) bool) {
	d.t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond(d.m) {
		select {
		case msg := <-d.msgs:
			d.handle(msg)
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; the screen:\n%s", what, screen(d.m))
		}
	}
}

func (d *driver) screen() string { return screen(d.m) }

// contains fails unless the screen shows every one of want.
func contains(t *testing.T, scr string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(scr, w) {
			t.Errorf("the screen does not show %q:\n%s", w, scr)
		}
	}
}

// row is the first line of scr that shows name as a word.
func row(scr, name string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, " "+name+" ") {
			return l
		}
	}
	return ""
}
