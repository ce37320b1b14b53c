package lesson

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/topology"
)

// Errors the Engine's methods unwrap to.
var (
	ErrUnknownLesson = errors.New("no such lesson")
	ErrNoLesson      = errors.New("no lesson is on")
	ErrActive        = errors.New("a lesson is already on")
	ErrLabDown       = errors.New("the lab is not running")
	ErrNeedsCompose  = errors.New("the lesson needs the compose stack")
	// ErrTrafficLost: the lesson's traffic process was found dead, so the
	// lesson was ended and its incidents cleared.
	ErrTrafficLost = errors.New("the lesson's traffic process is gone")
)

// trafficLost is ErrTrafficLost with the notice that says what was done.
type trafficLost struct{ notice string }

func (e *trafficLost) Error() string        { return e.notice }
func (e *trafficLost) Is(target error) bool { return target == ErrTrafficLost }

// Control switches incidents through the services' control surfaces;
// incident.Client is one.
type Control interface {
	Set(ctx context.Context, adminURL, name string, params incident.Params) error
	Clear(ctx context.Context, adminURL string) error
	List(ctx context.Context, adminURL string) ([]incident.Active, error)
}

// Containers stops and starts the compose stack's containers (a lesson
// that breaks a pipeline hop).
type Containers interface {
	Stop(ctx context.Context, services ...string) error
	Start(ctx context.Context, services ...string) error
}

// Deps connect the Engine to the lab.
type Deps struct {
	// DataDir holds the progress file.
	DataDir string
	// Services are the lab's services; their HTTP address is the admin
	// URL of their control surface.
	Services []topology.Endpoint
	Control  Control
	// Health fails when the lab is not running; nil checks every
	// service's health URL.
	Health func(ctx context.Context) error
	// Mode tells local mode from compose mode; nil is local mode.
	Mode func(ctx context.Context) (Mode, error)
	// Traffic runs the lessons' traffic; nil runs none.
	Traffic Traffic
	// Containers stops and starts containers; nil makes the lessons that
	// need it refuse to start.
	Containers Containers
	// Evidence reads the debrief's evidence; its Services and Since are
	// filled in by the Engine.
	Evidence Evidence
	// Grafana is where the compose-mode links point.
	Grafana Grafana
	// Lessons replaces All() (tests).
	Lessons []*Lesson
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// Engine runs the lessons. Its state is the progress file, so several
// Engines (a CLI command, the TUI) share one lesson; within a process its
// methods are safe for concurrent use.
type Engine struct {
	d  Deps
	mu sync.Mutex
}

// New returns an Engine over d.
func New(d Deps) *Engine {
	if d.Lessons == nil {
		d.Lessons = All()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Engine{d: d}
}

// List returns the lessons, in teaching order.
func (e *Engine) List() []*Lesson { return slices.Clone(e.d.Lessons) }

// Lesson finds a lesson by name.
func (e *Engine) Lesson(name string) (*Lesson, bool) {
	for _, l := range e.d.Lessons {
		if l.Name == name {
			return l, true
		}
	}
	return nil, false
}

// StartOptions tune Start.
type StartOptions struct {
	// Seed picks the hidden choice; 0 draws one at random.
	Seed uint64
	// NoTraffic starts no traffic process: the caller drives the shop
	// itself (the solver tests).
	NoTraffic bool
}

// Status is what a learner may know of the lesson: everything but the
// hidden choice.
type Status struct {
	// Active: a lesson is on. Lesson is nil when none was ever started.
	Active     bool
	Lesson     *Lesson
	Seed       uint64
	Mode       Mode
	HintsUsed  int
	Attempts   int
	TrafficPID int
	Started    time.Time
	Finished   time.Time
	Outcome    string
	// Hints are the hints given so far, in order.
	Hints []HintView
	// IncidentsLost: the services no longer have the lesson's incidents
	// (the lab was restarted, which clears them).
	IncidentsLost bool
	// Notice says what the Engine did on its own, such as clearing the
	// incidents of a lesson whose traffic process died.
	Notice string
}

// Start breaks the shop for lesson name: it checks that the lab runs (and
// is in compose mode if the lesson needs it), draws the hidden choice,
// switches the incidents on, stops containers, and starts the traffic.
// Whatever fails is undone.
func (e *Engine) Start(ctx context.Context, name string, o StartOptions) (Status, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	l, ok := e.Lesson(name)
	if !ok {
		return Status{}, fmt.Errorf("%w %q: the lessons are %s", ErrUnknownLesson, name, strings.Join(e.names(), ", "))
	}
	p, notice, err := e.current(ctx)
	if err != nil {
		return Status{}, err
	}
	if p.Active() {
		return Status{}, fmt.Errorf("%w (%s): stop it first with shoplab lesson stop", ErrActive, p.Lesson)
	}
	if err := e.health(ctx); err != nil {
		return Status{}, fmt.Errorf("%w (%v): start it with shoplab up, or shoplab up --local", ErrLabDown, err)
	}
	mode := ModeLocal
	if e.d.Mode != nil {
		if mode, err = e.d.Mode(ctx); err != nil {
			return Status{}, err
		}
	}
	if l.NeedsCompose && (mode != ModeCompose || e.d.Containers == nil) {
		return Status{}, fmt.Errorf("%w: %s breaks a hop of the pipeline that only compose mode has, and the lab runs in local mode; start it with shoplab up (Docker), or pick another lesson", ErrNeedsCompose, l.Name)
	}
	seed := o.Seed
	for seed == 0 {
		seed = rand.Uint64()
	}
	p = &Progress{
		Lesson: l.Name, Seed: seed, Mode: mode, Choice: l.Choose(seed),
		Traffic: !o.NoTraffic && e.d.Traffic != nil, Started: e.d.Now().UTC(),
	}
	// Saved before anything breaks, so that a crash from here on leaves a
	// record of what to mend.
	if err := SaveProgress(e.d.DataDir, p); err != nil {
		return Status{}, err
	}
	if err := e.breakShop(ctx, l, p); err != nil {
		return Status{}, errors.Join(err, e.abandon(ctx, p))
	}
	st := e.status(p)
	st.Notice = notice
	return st, nil
}

// breakShop switches p's incidents on, stops its containers and starts
// its traffic, saving the traffic's pid.
func (e *Engine) breakShop(ctx context.Context, l *Lesson, p *Progress) error {
	for _, inc := range p.Choice.Incidents {
		url, err := e.adminURL(inc.Service)
		if err != nil {
			return err
		}
		if err := e.d.Control.Set(ctx, url, inc.Name, inc.Params); err != nil {
			return fmt.Errorf("switch the lesson's incident on in %s: %w", inc.Service, err)
		}
	}
	if len(p.Choice.StopContainers) > 0 {
		if err := e.d.Containers.Stop(ctx, p.Choice.StopContainers...); err != nil {
			return fmt.Errorf("stop %s: %w", strings.Join(p.Choice.StopContainers, ", "), err)
		}
	}
	if !p.Traffic {
		return nil
	}
	pid, err := e.d.Traffic.Start(ctx, TrafficSpec{Scenario: l.Scenario, Rate: l.Rate, Seed: p.Seed})
	if err != nil {
		return err
	}
	p.TrafficPID = pid
	return SaveProgress(e.d.DataDir, p)
}

// Stop ends the lesson: the traffic stops, the containers start again and
// every incident of every service is cleared.
func (e *Engine) Stop(ctx context.Context) (Status, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, notice, err := e.current(ctx)
	if err != nil {
		return Status{}, err
	}
	if !p.Active() {
		if notice != "" {
			st := e.status(p)
			st.Notice = notice
			return st, nil
		}
		// Nothing is on, but a stop must leave no incident behind
		// whatever happened before.
		return e.status(p), e.mend(ctx, &Progress{})
	}
	err = e.finish(ctx, p, OutcomeStopped)
	return e.status(p), err
}

// Status reports the lesson's state. A lesson whose traffic process died
// is ended first, its incidents cleared (Status.Notice says so).
func (e *Engine) Status(ctx context.Context) (Status, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, notice, err := e.current(ctx)
	if err != nil {
		return Status{}, err
	}
	st := e.status(p)
	st.Notice = notice
	if p.Active() {
		st.IncidentsLost = e.incidentsLost(ctx, p)
	}
	return st, nil
}

// Progress returns the progress file's content, hidden choice included:
// for tests and tools, never for the learner's eyes. None is nil.
func (e *Engine) Progress() (*Progress, error) { return LoadProgress(e.d.DataDir) }

// current loads the progress and, when its lesson is on but its traffic
// process is gone, ends it (notice says so). The returned progress is
// never nil.
func (e *Engine) current(ctx context.Context) (*Progress, string, error) {
	p, err := LoadProgress(e.d.DataDir)
	if err != nil {
		return nil, "", err
	}
	if p == nil {
		return &Progress{}, "", nil
	}
	if !p.Active() || !p.Traffic || e.traffic().Alive(p.TrafficPID) {
		return p, "", nil
	}
	notice := fmt.Sprintf("The traffic process of lesson %s (pid %d) is gone (a crashed or killed shoplab?): its incidents were cleared and the lesson ended. Start it again with: shoplab lesson start %s --seed %d",
		p.Lesson, p.TrafficPID, p.Lesson, p.Seed)
	if err := e.finish(ctx, p, OutcomeTrafficLost); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrTrafficLost, err)
	}
	return p, notice, nil
}

// finish mends the shop and records the lesson as ended with outcome. A
// mend that fails leaves the lesson on, so that a later stop retries it.
func (e *Engine) finish(ctx context.Context, p *Progress, outcome string) error {
	if err := e.mend(ctx, p); err != nil {
		return err
	}
	p.Finished, p.Outcome = e.d.Now().UTC(), outcome
	return SaveProgress(e.d.DataDir, p)
}

// abandon undoes a failed start. The lesson ends even when the mend
// fails: nothing of it is left to answer, and a stop retries the mend.
func (e *Engine) abandon(ctx context.Context, p *Progress) error {
	err := e.mend(ctx, p)
	if err != nil {
		err = fmt.Errorf("undoing the start: %w; run shoplab lesson stop to retry", err)
	}
	p.Finished, p.Outcome = e.d.Now().UTC(), OutcomeStartFailed
	return errors.Join(err, SaveProgress(e.d.DataDir, p))
}

// mend stops p's traffic, starts its containers again and clears every
// incident of every service. A service that refuses the connection has
// none: incidents live in memory only.
func (e *Engine) mend(ctx context.Context, p *Progress) error {
	var errs []error
	if p.TrafficPID != 0 {
		if err := e.traffic().Stop(ctx, p.TrafficPID); err != nil {
			errs = append(errs, err)
		}
	}
	if len(p.Choice.StopContainers) > 0 {
		if e.d.Containers == nil {
			errs = append(errs, fmt.Errorf("start %s again yourself: docker compose start %s", strings.Join(p.Choice.StopContainers, ", "), strings.Join(p.Choice.StopContainers, " ")))
		} else if err := e.d.Containers.Start(ctx, p.Choice.StopContainers...); err != nil {
			errs = append(errs, fmt.Errorf("start %s again: %w", strings.Join(p.Choice.StopContainers, ", "), err))
		}
	}
	if e.d.Control != nil {
		for _, s := range e.d.Services {
			// A service that is down, or refuses incidents altogether
			// (SHOPLAB_FAULTS=off), has none.
			err := e.d.Control.Clear(ctx, "http://"+s.HTTP)
			if err != nil && !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, incident.ErrForbidden) {
				errs = append(errs, fmt.Errorf("clear the incidents of %s: %w", s.Service, err))
			}
		}
	}
	return errors.Join(errs...)
}

// traffic is Deps.Traffic, or without one the default process check, so
// that an Engine that starts no traffic (the TUI without the binary's
// path) still sees, and stops, the traffic another one started.
func (e *Engine) traffic() Traffic {
	if e.d.Traffic != nil {
		return e.d.Traffic
	}
	return Process{}
}

func (e *Engine) incidentsLost(ctx context.Context, p *Progress) bool {
	for _, inc := range p.Choice.Incidents {
		url, err := e.adminURL(inc.Service)
		if err != nil {
			return true
		}
		on, err := e.d.Control.List(ctx, url)
		if err != nil || !slices.ContainsFunc(on, func(a incident.Active) bool { return a.Name == inc.Name }) {
			return true
		}
	}
	return false
}

func (e *Engine) status(p *Progress) Status {
	st := Status{
		Active: p.Active(), Seed: p.Seed, Mode: p.Mode, HintsUsed: p.HintsUsed, Attempts: p.Attempts,
		TrafficPID: p.TrafficPID, Started: p.Started, Finished: p.Finished, Outcome: p.Outcome,
	}
	if l, ok := e.Lesson(p.Lesson); ok {
		st.Lesson = l
		for i := range min(p.HintsUsed, len(l.Hints)) {
			st.Hints = append(st.Hints, e.hintView(l, p.Mode, i))
		}
	}
	return st
}

func (e *Engine) health(ctx context.Context) error {
	if e.d.Health != nil {
		return e.d.Health(ctx)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	var down []string
	for _, s := range e.d.Services {
		if err := topology.CheckHTTP(ctx, client, s.HealthURL); err != nil {
			down = append(down, s.Service)
		}
	}
	if len(down) > 0 {
		return fmt.Errorf("%s not healthy", strings.Join(down, ", "))
	}
	return nil
}

func (e *Engine) adminURL(service string) (string, error) {
	for _, s := range e.d.Services {
		if s.Service == service {
			return "http://" + s.HTTP, nil
		}
	}
	return "", fmt.Errorf("no service %s in the lab", service)
}

func (e *Engine) names() []string {
	out := make([]string, len(e.d.Lessons))
	for i, l := range e.d.Lessons {
		out[i] = l.Name
	}
	return out
}
