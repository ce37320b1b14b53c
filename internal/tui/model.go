package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/topology"
)

// tab is one of the TUI's screens.
type tab int

const (
	tabStack tab = iota
	tabLoad
	tabTraces
	tabDashboards
	tabLessons
	numTabs
)

func (t tab) String() string {
	switch t {
	case tabStack:
		return "Stack"
	case tabLoad:
		return "Load"
	case tabTraces:
		return "Traces"
	case tabDashboards:
		return "Dashboards"
	default:
		return "Lessons"
	}
}

// health is what the last poll found out about a component.
type health int

const (
	healthUnknown health = iota
	healthUp
	healthDown
)

// probe is one component's health and, when it is down, why.
type probe struct {
	health health
	detail string
}

// dockerState is what the last poll learned about Docker.
type dockerState int

const (
	dockerUnknown dockerState = iota
	dockerOK
	// dockerMissing: not installed; the lab can only run in local mode.
	dockerMissing
	// dockerBroken: installed but not usable (engine stopped, no Compose
	// v2); dockerDetail says why.
	dockerBroken
)

// labOp is a start or stop of the lab: a shoplab subcommand and its
// output, line by line.
type labOp struct {
	id int
	// title says what it does; verb is "starting" or "stopping".
	title    string
	verb     string
	running  bool
	cancel   context.CancelFunc
	finished <-chan struct{}
	// output delivers the subcommand's lines; lines keeps the last ones.
	output <-chan string
	lines  []string
	err    string
}

// runState is where a load test is.
type runState int

const (
	runNone runState = iota
	runRunning
	runStopping
	runDone
	runFailed
)

// loadRun is one load test: what was asked, the engine's snapshots so
// far, and its result once it ends.
type loadRun struct {
	id        int
	state     runState
	scenario  string
	rate      float64
	duration  time.Duration
	regions   []string
	cancel    context.CancelFunc
	finished  <-chan struct{}
	snapshots <-chan load.Progress

	// progress is the engine's latest snapshot; the series are built from
	// its snapshots, oldest first.
	progress load.Progress
	seen     bool
	reqRate  series
	p99      series
	journeys series

	result *load.Result
	err    string
}

func (r loadRun) active() bool { return r.state == runRunning || r.state == runStopping }

// scenarioEntry is one file of the scenarios directory.
type scenarioEntry struct {
	name string
	sc   *load.Scenario
	err  string
}

// formField is a row of the load form.
type formField int

const (
	fieldScenario formField = iota
	fieldRate
	fieldDuration
	fieldRegions
	numFields
)

// regionChoice is a region of the chosen scenario, sent from or not.
type regionChoice struct {
	name string
	on   bool
}

// loadForm is what the next load test will run.
type loadForm struct {
	field        formField
	scenario     int
	rate         float64
	duration     time.Duration
	regions      []regionChoice
	regionCursor int
}

// traceRow is one of the slowest requests of the last run.
type traceRow struct {
	endpoint  string
	region    string
	latencyMS float64
	status    int
	failed    bool
	traceID   string
}

// notice is a message above the footer: a result, a hint, or a URL the
// user has to open.
type notice struct {
	text string
	url  string
	bad  bool
}

// Model is the TUI's state. Update is pure: every effect is a tea.Cmd
// built from Deps, so tests drive the model with messages alone.
type Model struct {
	ctx  context.Context
	deps Deps

	width, height int
	tab           tab
	keys          keyMap
	help          help.Model
	spin          spinner.Model
	spinning      bool

	// Stack.
	pollGen      int
	polled       bool
	services     []probe
	brokers      []probe
	containers   []compose.Container
	docker       dockerState
	dockerDetail string
	stackCursor  int
	op           labOp
	opSeq        int
	alerts       firingAlerts

	// Load.
	scenariosLoaded bool
	scenariosErr    string
	scenarios       []scenarioEntry
	form            loadForm
	run             loadRun
	runSeq          int

	// Traces.
	traces      []traceRow
	traceCursor int
	detail      traceScreen
	traceSeq    int
	recent      recentTraces

	// Dashboards.
	dashCursor int

	// Lessons.
	lessons lessonsState

	notice   *notice
	unopened []string
	quitting bool
}

// New builds the TUI's model. ctx bounds every command it starts.
func New(ctx context.Context, d Deps) Model {
	d = d.withDefaults()
	h := help.New()
	h.Styles = helpStyles()
	m := Model{
		ctx:      ctx,
		deps:     d,
		width:    80,
		height:   24,
		keys:     newKeyMap(),
		help:     h,
		spin:     spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(styles().accent)),
		services: make([]probe, len(d.Services)),
		brokers:  make([]probe, len(d.Brokers)),
	}
	if d.Lessons != nil {
		m.lessons.list = d.Lessons.List()
	}
	return m
}

// Init loads the scenarios and polls the lab's health.
func (m Model) Init() tea.Cmd {
	return tea.Batch(loadScenarios(m.deps.ScenariosDir), m.poll())
}

// busy reports whether something is in progress that the spinner shows.
func (m Model) busy() bool { return m.op.running || m.run.active() || m.lessons.op.running() }

// gateway returns the gateway's endpoint and its last health.
func (m Model) gateway() (topology.Endpoint, probe, bool) {
	for i, e := range m.deps.Services {
		if e.Service == topology.Gateway {
			return e, m.services[i], true
		}
	}
	return topology.Endpoint{}, probe{}, false
}

// servicesUp counts the services the last poll found healthy.
func (m Model) servicesUp() int {
	n := 0
	for _, p := range m.services {
		if p.health == healthUp {
			n++
		}
	}
	return n
}

// containersRunning reports whether the compose stack has any container
// up.
func (m Model) containersRunning() bool {
	for _, c := range m.containers {
		if c.State == "running" || c.State == "restarting" {
			return true
		}
	}
	return false
}

// URLs returns the links the user asked for but the TUI could not open,
// for printing once the terminal is back to normal.
func (m Model) URLs() []string { return append([]string(nil), m.unopened...) }
