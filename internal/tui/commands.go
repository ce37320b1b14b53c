package tui

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/load"
)

// Messages the commands send back to Update.
type (
	scenariosMsg struct {
		entries []scenarioEntry
		err     error
	}
	// pollTickMsg and healthMsg carry the generation of the polling
	// chain that sent them: a poll asked for out of turn starts a new
	// chain, and the old one ends instead of doubling the polling.
	pollTickMsg struct{ gen int }
	healthMsg   struct {
		gen               int
		services, brokers []probe
		// askedDocker is false when Docker was not asked (known missing).
		askedDocker  bool
		containers   []compose.Container
		docker       dockerState
		dockerDetail string
	}
	labLineMsg struct {
		id   int
		line string
	}
	labDoneMsg struct {
		id  int
		err error
	}
	loadProgressMsg struct {
		id int
		p  load.Progress
	}
	loadDoneMsg struct {
		id  int
		res *load.Result
		err error
	}
	openedMsg struct {
		label, url string
		// noGrafana: the link leads into a Grafana that does not answer.
		noGrafana bool
		err       error
	}
)

// loadScenarios reads every scenario in dir; a broken file is listed with
// its error rather than hiding the others.
func loadScenarios(dir string) tea.Cmd {
	return func() tea.Msg {
		names, err := load.List(dir)
		if err != nil {
			return scenariosMsg{err: err}
		}
		entries := make([]scenarioEntry, 0, len(names))
		for _, n := range names {
			sc, err := load.LoadFile(filepath.Join(dir, n+".yaml"))
			e := scenarioEntry{name: n, sc: sc}
			if err != nil {
				e.err = err.Error()
			}
			entries = append(entries, e)
		}
		return scenariosMsg{entries: entries}
	}
}

// poll checks every service, broker and (unless Docker is known to be
// missing) container at once.
func (m Model) poll() tea.Cmd {
	d := m.deps
	askDocker := d.Containers != nil && m.docker != dockerMissing
	ctx, gen := m.ctx, m.pollGen
	return func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		msg := healthMsg{gen: gen, services: make([]probe, len(d.Services)), brokers: make([]probe, len(d.Brokers)), askedDocker: askDocker}
		var wg sync.WaitGroup
		for i, e := range d.Services {
			wg.Go(func() { msg.services[i] = probeOf(d.CheckHTTP(cctx, e.HealthURL)) })
		}
		for i, b := range d.Brokers {
			wg.Go(func() { msg.brokers[i] = probeOf(d.Dial(cctx, b.Addr)) })
		}
		if askDocker {
			wg.Go(func() {
				dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
				defer dcancel()
				cs, err := d.Containers(dctx)
				switch {
				case errors.Is(err, compose.ErrNoDocker):
					msg.docker = dockerMissing
				case err != nil:
					msg.docker, msg.dockerDetail = dockerBroken, firstLine(err.Error())
				default:
					msg.docker, msg.containers = dockerOK, cs
				}
			})
		}
		wg.Wait()
		return msg
	}
}

func probeOf(err error) probe {
	if err != nil {
		return probe{health: healthDown, detail: firstLine(err.Error())}
	}
	return probe{health: healthUp}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func pollAfter(d time.Duration, gen int) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return pollTickMsg{gen: gen} })
}

// startLabOp runs a shoplab subcommand; its output arrives line by line
// (labLineMsg), then labDoneMsg.
func (m *Model) startLabOp(title string, args []string) tea.Cmd {
	m.opSeq++
	ctx, cancel := context.WithCancel(m.ctx)
	finished := make(chan struct{})
	lines := make(chan string, 256)
	verb := "stopping"
	if args[0] == "up" {
		verb = "starting"
	}
	m.op = labOp{id: m.opSeq, title: title, verb: verb, running: true, cancel: cancel, finished: finished, output: lines}
	id, runner := m.op.id, m.deps.Lab
	run := func() tea.Msg {
		defer close(finished)
		defer cancel()
		w := &lineWriter{lines: lines}
		err := runner.Run(ctx, args, w)
		w.flush()
		close(lines)
		return labDoneMsg{id: id, err: err}
	}
	return tea.Batch(run, waitLine(id, lines), m.startSpinner())
}

func waitLine(id int, lines <-chan string) tea.Cmd {
	return func() tea.Msg {
		line, ok := <-lines
		if !ok {
			return nil
		}
		return labLineMsg{id: id, line: line}
	}
}

// lineWriter turns a subcommand's output into lines. It never blocks the
// subcommand: when the TUI falls behind, lines are dropped.
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	lines chan<- string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexAny(w.buf, "\r\n")
		if i < 0 {
			return len(p), nil
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emit(string(w.buf))
	w.buf = nil
}

func (w *lineWriter) emit(line string) {
	line = strings.TrimRight(ansi.Strip(line), " \t")
	if strings.TrimSpace(line) == "" {
		return
	}
	select {
	case w.lines <- line:
	default:
	}
}

// startLoad runs the load engine in a command of its own; its snapshots
// arrive as loadProgressMsg, its result as loadDoneMsg.
func (m *Model) startLoad(sc *load.Scenario) tea.Cmd {
	m.runSeq++
	f := m.form
	var regions []string
	for _, r := range f.regions {
		if r.on {
			regions = append(regions, r.name)
		}
	}
	ctx, cancel := context.WithCancel(m.ctx)
	finished := make(chan struct{})
	snapshots := make(chan load.Progress, 16)
	m.run = loadRun{
		id: m.runSeq, state: runRunning, scenario: sc.Name, rate: f.rate, duration: f.duration,
		regions: regions, cancel: cancel, finished: finished, snapshots: snapshots,
	}
	opts := load.Options{
		Target: m.deps.Target, Rate: f.rate, Duration: f.duration, Regions: regions,
		// The engine's reporter must never wait for the screen: a
		// snapshot the TUI has no room for is skipped.
		Progress: func(p load.Progress) {
			select {
			case snapshots <- p:
			default:
			}
		},
		ProgressEvery: m.deps.ProgressEvery,
	}
	id, runLoad := m.run.id, m.deps.RunLoad
	run := func() tea.Msg {
		defer close(finished)
		defer cancel()
		res, err := runLoad(ctx, sc, opts)
		// Progress is never called after the run returns.
		close(snapshots)
		return loadDoneMsg{id: id, res: res, err: err}
	}
	return tea.Batch(run, waitProgress(id, snapshots), m.startSpinner())
}

func waitProgress(id int, snapshots <-chan load.Progress) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-snapshots
		if !ok {
			return nil
		}
		return loadProgressMsg{id: id, p: p}
	}
}

// cancelCmd stops a run or a lab operation; its end arrives as its done
// message.
func cancelCmd(cancel context.CancelFunc) tea.Cmd {
	return func() tea.Msg {
		if cancel != nil {
			cancel()
		}
		return nil
	}
}

// openURL opens url in the browser; grafana says the link leads into
// Grafana, which must answer first.
func (m Model) openURL(label, url string, grafana bool) tea.Cmd {
	d, ctx := m.deps, m.ctx
	return func() tea.Msg {
		if grafana && !d.GrafanaUp(ctx) {
			return openedMsg{label: label, url: url, noGrafana: true}
		}
		if d.Open == nil {
			return openedMsg{label: label, url: url, err: errors.New("no browser")}
		}
		return openedMsg{label: label, url: url, err: d.Open(ctx, url)}
	}
}

// startSpinner starts the spinner's ticks unless they already run; they
// stop once nothing is busy.
func (m *Model) startSpinner() tea.Cmd {
	if m.spinning {
		return nil
	}
	m.spinning = true
	return m.spin.Tick
}
