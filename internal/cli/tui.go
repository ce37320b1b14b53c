package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"time"

	"golang.org/x/term"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/stack"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
	"github.com/shoplab/shoplab/internal/tui"
)

// wantsTUI reports whether shoplab without arguments should open the TUI:
// a person is at a terminal (standard input and output both are one, and
// it is not a dumb one). Otherwise it prints the help.
func wantsTUI(app *App) bool {
	in, ok := app.Stdin.(*os.File)
	if !ok {
		return false
	}
	out, ok := app.Stdout.(*os.File)
	if !ok {
		return false
	}
	if app.Getenv != nil && config.LoadDesktop(app.Getenv).Term == "dumb" {
		return false
	}
	return term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd()))
}

// runTUI runs the terminal UI until the user quits.
func runTUI(ctx context.Context, app *App) error {
	d, err := tuiDeps(app)
	if err != nil {
		return err
	}
	return tui.Run(ctx, d, app.Stdin, app.Stdout)
}

// tuiDeps connects the TUI to the lab this configuration describes, to
// Docker, to the load engine and to the browser.
func tuiDeps(app *App) (tui.Deps, error) {
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return tui.Deps{}, err
	}
	endpoints := topology.Endpoints(s.cfg)
	d := tui.Deps{
		Services:     endpoints,
		Containers:   (&lazyCompose{file: s.cfg.Stack.ComposeFile, stderr: io.Discard}).PS,
		ScenariosDir: "scenarios",
		RunLoad:      annotatedLoad(s.cfg.Stack.AnnotationURL, s.cfg.DataDir),
		Open:         browserOpener(app),
		GrafanaUp:    grafanaUp,
		GrafanaURL:   stack.GrafanaURL,
		TraceURL:     TraceURL,
	}
	if len(s.cfg.KafkaBrokers) > 0 {
		for _, b := range s.cfg.KafkaBrokers {
			d.Brokers = append(d.Brokers, tui.Broker{Name: "kafka", Addr: b})
		}
	} else {
		d.Brokers = []tui.Broker{{Name: "kafka (embedded)", Addr: s.cfg.EmbeddedKafkaAddr(), Embedded: true}}
	}
	d.Target = s.cfg.Target
	// Traces come from where shoplab trace looks by default: local mode's
	// span files first, then Tempo and Loki.
	local := traceview.NewLocal(s.cfg.LogDir)
	tempo := traceview.NewCompose(s.cfg.Stack.TempoURL, s.cfg.Stack.LokiURL)
	d.Trace = func(ctx context.Context, id string) (*traceview.View, error) {
		id, err := traceview.ParseTraceID(id)
		if err != nil {
			return nil, err
		}
		t, err := firstFound(ctx, id, local, tempo)
		if err != nil {
			return nil, err
		}
		return traceview.Analyze(t), nil
	}
	d.RecentTraces = func(ctx context.Context, n int) ([]traceview.Summary, error) {
		return traceview.RecentOf(ctx, n, local, tempo)
	}
	d.Alerts = tuiAlerts(s.cfg.Stack.AlertmanagerURL)
	if exe, err := app.Executable(); err == nil {
		d.Lab = tui.ExecRunner{Path: exe}
	}
	// The same engine as shoplab lesson's, over the same progress file;
	// docker compose's output (a lesson that stops a container) would
	// garble the screen, so it is dropped.
	hooks := defaultLessonHooks()
	hooks.containers = func(file string, _ io.Writer) lesson.Containers { return composeContainers(file, io.Discard) }
	lessons, err := lessonEngine(app, s.cfg, hooks)
	if err != nil {
		return tui.Deps{}, err
	}
	d.Lessons = lessons
	return d, nil
}

// tuiAlerts asks Alertmanager at base for the alerts `shoplab status`
// lists, in the TUI's terms.
func tuiAlerts(base string) func(context.Context) ([]tui.Alert, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	return func(ctx context.Context) ([]tui.Alert, error) {
		firing, err := firingAlerts(ctx, client, base)
		if err != nil {
			return nil, err
		}
		alerts := make([]tui.Alert, 0, len(firing))
		for _, a := range firing {
			alerts = append(alerts, tui.Alert{
				Name: a.Labels["alertname"], Severity: a.Labels["severity"], Region: a.Labels["region"], Since: a.StartsAt,
			})
		}
		return alerts, nil
	}
}

// annotatedLoad is the load engine, marking the run's start and end in the
// Loki at lokiURL when it answers and keeping the result in dataDir, as
// `shoplab load` does. The TUI has no place to print what could not be
// written: it is skipped.
func annotatedLoad(lokiURL, dataDir string) tui.LoadFunc {
	return func(ctx context.Context, sc *load.Scenario, o load.Options) (*load.Result, error) {
		e, err := load.New(sc, o)
		if err != nil {
			return nil, err
		}
		return runAnnotated(ctx, lokiURL, dataDir, e, o.Target, func(error) {})
	}
}

// browserOpener opens a URL the way `shoplab open` does, but quietly: the
// opener's output would garble the TUI, and an opener that fails at once
// (no desktop) is reported so that the TUI shows the URL instead.
func browserOpener(app *App) func(context.Context, string) error {
	return func(ctx context.Context, u string) error {
		desktop := config.LoadDesktop(app.Getenv)
		if runtime.GOOS != "darwin" && runtime.GOOS != "windows" && !desktop.CanOpenBrowser() {
			// xdg-open would fall back to a text browser in this very
			// terminal.
			return errors.New("no graphical display")
		}
		path, args, err := browserCommand(desktop.Browser)
		if err != nil {
			return fmt.Errorf("no browser opener: %w", err)
		}
		// Not tied to ctx: the browser outlives the TUI.
		cmd := exec.Command(path, append(args, u)...)
		if err := cmd.Start(); err != nil {
			return err
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			return err
		case <-time.After(3 * time.Second):
			return nil // still starting a browser: it works
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
