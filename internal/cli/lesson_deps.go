package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

// lessonHooks are the parts of a lesson's surroundings that tests replace:
// how the lab's mode is told and how containers are stopped.
type lessonHooks struct {
	// mode tells compose mode (the stack's containers run) from local
	// mode.
	mode func(ctx context.Context, composeFile string) (lesson.Mode, error)
	// containers stops and starts the stack's containers.
	containers func(composeFile string, stderr io.Writer) lesson.Containers
	// scenariosDir is where the lessons' traffic finds its scenarios.
	scenariosDir string
}

func defaultLessonHooks() lessonHooks {
	// Relative to the repository root where shoplab runs, as for shoplab
	// load.
	return lessonHooks{mode: composeMode, containers: composeContainers, scenariosDir: "scenarios"}
}

// newLessonEngine is lessonEngine for the configuration app's environment
// describes.
func newLessonEngine(app *App, hooks lessonHooks) (*lesson.Engine, error) {
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return nil, err
	}
	return lessonEngine(app, s.cfg, hooks)
}

// lessonEngine connects a lesson.Engine to the lab cfg describes: its
// services and their control surfaces, the compose stack, the traffic
// process (this binary, run again), the log files and the trace stores.
// The TUI builds its Engine here too.
func lessonEngine(app *App, cfg config.Config, hooks lessonHooks) (*lesson.Engine, error) {
	file := composeFile(app.Getenv)
	d := lesson.Deps{
		DataDir:  cfg.DataDir,
		Services: topology.Endpoints(cfg),
		Control:  tokenControl{dataDir: cfg.DataDir, http: &http.Client{Timeout: 5 * time.Second}},
		Mode:     func(ctx context.Context) (lesson.Mode, error) { return hooks.mode(ctx, file) },
		Evidence: lesson.Evidence{
			LogDir: cfg.LogDir, DataDir: cfg.DataDir, LokiURL: cfg.Stack.LokiURL,
			Traces: traceSources{traceview.NewLocal(cfg.LogDir), traceview.NewCompose(cfg.Stack.TempoURL, cfg.Stack.LokiURL)},
		},
		Grafana:    lesson.Grafana{Base: cfg.Stack.GrafanaURL, Prometheus: cfg.Stack.PrometheusURL},
		Containers: hooks.containers(file, app.Stderr),
	}
	if exe, err := app.Executable(); err == nil {
		dir, err := filepath.Abs(hooks.scenariosDir)
		if err != nil {
			return nil, err
		}
		d.Traffic = checkedTraffic{dir: dir, Process: lesson.Process{
			Executable: exe,
			Args:       []string{"lesson", lesson.TrafficCommand, "--scenarios-dir", dir, "--target", cfg.Target, "--data-dir", cfg.DataDir},
			OutPath:    filepath.Join(cfg.LogDir, "lesson-traffic.out"),
		}}
	}
	return lesson.New(d), nil
}

// checkedTraffic refuses to start traffic whose scenario does not load,
// so that start says why instead of a child dying alone.
type checkedTraffic struct {
	lesson.Process
	dir string
}

func (c checkedTraffic) Start(ctx context.Context, s lesson.TrafficSpec) (int, error) {
	if _, err := load.Find(c.dir, s.Scenario); err != nil {
		return 0, fmt.Errorf("the lesson's traffic: %w (run shoplab from the repository's root)", err)
	}
	return c.Process.Start(ctx, s)
}

// tokenControl is incident.Client with the token read from the data
// directory at each call: the lab writes it when it starts.
type tokenControl struct {
	dataDir string
	http    *http.Client
}

func (t tokenControl) client() (incident.Client, error) {
	tok, err := incident.LoadToken(t.dataDir)
	if err != nil {
		return incident.Client{}, fmt.Errorf("%w: the lab writes it when it starts; restart the lab (shoplab down, then shoplab up) if it is older than the lessons", err)
	}
	return incident.Client{Token: tok, HTTP: t.http}, nil
}

func (t tokenControl) Set(ctx context.Context, adminURL, name string, params incident.Params) error {
	c, err := t.client()
	if err != nil {
		return err
	}
	return c.Set(ctx, adminURL, name, params)
}

// Clear without a token has nothing to do: no incident can have been
// switched on without one.
func (t tokenControl) Clear(ctx context.Context, adminURL string) error {
	c, err := t.client()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return c.Clear(ctx, adminURL)
}

func (t tokenControl) List(ctx context.Context, adminURL string) ([]incident.Active, error) {
	c, err := t.client()
	if err != nil {
		return nil, err
	}
	return c.List(ctx, adminURL)
}

// traceSources asks each trace store in turn, as shoplab trace does.
type traceSources []traceview.Source

func (s traceSources) Trace(ctx context.Context, id string) (*traceview.Trace, error) {
	return firstFound(ctx, id, s...)
}

// composeMode is compose mode when the stack has a running container;
// no Docker, or no stack, is local mode.
func composeMode(ctx context.Context, file string) (lesson.Mode, error) {
	c, err := compose.New(ctx, file, io.Discard)
	if err != nil {
		return lesson.ModeLocal, nil
	}
	cs, err := c.PS(ctx)
	if err != nil {
		return lesson.ModeLocal, nil
	}
	for _, ct := range cs {
		if ct.Ready() {
			return lesson.ModeCompose, nil
		}
	}
	return lesson.ModeLocal, nil
}

// composeContainers stops and starts containers with docker compose,
// finding Docker at the first use.
func composeContainers(file string, stderr io.Writer) lesson.Containers {
	return &lazyCompose{file: file, stderr: stderr}
}

// lazyCompose is a Compose client made at its first use, once it can be:
// making one asks Docker for its version twice.
type lazyCompose struct {
	file   string
	stderr io.Writer
	mu     sync.Mutex
	c      *compose.Compose
}

func (l *lazyCompose) get(ctx context.Context) (*compose.Compose, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		c, err := compose.New(ctx, l.file, l.stderr)
		if err != nil {
			return nil, err
		}
		l.c = c
	}
	return l.c, nil
}

func (l *lazyCompose) Stop(ctx context.Context, services ...string) error {
	c, err := l.get(ctx)
	if err != nil {
		return err
	}
	return c.Stop(ctx, services...)
}

func (l *lazyCompose) Start(ctx context.Context, services ...string) error {
	c, err := l.get(ctx)
	if err != nil {
		return err
	}
	return c.Start(ctx, services...)
}

// PS lists the stack's containers.
func (l *lazyCompose) PS(ctx context.Context) ([]compose.Container, error) {
	c, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return c.PS(ctx)
}
