package tui

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"time"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/stack"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

// Deps is everything the TUI reaches outside itself. The model never does
// I/O: it returns commands that call these, so a test can replace each one.
type Deps struct {
	// Services are the shop's services, polled for health.
	Services []topology.Endpoint
	// Brokers are the Kafka addresses the services use, dialled for health.
	Brokers []Broker
	// CheckHTTP reports whether url answers 200 (default: topology.CheckHTTP).
	CheckHTTP func(ctx context.Context, url string) error
	// Dial reports whether a TCP address accepts connections.
	Dial func(ctx context.Context, addr string) error
	// Containers lists the compose stack's containers. An error wrapping
	// compose.ErrNoDocker means Docker is not installed, and it is not
	// asked again; nil means the same.
	Containers func(ctx context.Context) ([]compose.Container, error)
	// Lab runs shoplab's own subcommands (up -d, down) to start and stop
	// the lab; nil disables starting and stopping.
	Lab Runner
	// ScenariosDir holds the load scenarios (scenarios/*.yaml).
	ScenariosDir string
	// Target is the gateway the load runs against.
	Target string
	// RunLoad runs one load test (default: RunEngine).
	RunLoad LoadFunc
	// Open opens url in a browser; an error means the user has to open
	// it, so the TUI shows it. nil always shows the URL.
	Open func(ctx context.Context, url string) error
	// GrafanaUp reports whether Grafana answers; when it does not, links
	// into it are shown rather than opened.
	GrafanaUp func(ctx context.Context) bool
	// GrafanaURL is Grafana's base URL (default stack.GrafanaURL).
	GrafanaURL string
	// TraceURL links a trace ID to Grafana Explore; nil shows the ID only.
	TraceURL func(traceID string) string
	// Trace fetches a trace and lays it out, for the Traces screen to
	// show; nil leaves enter to open the trace in Grafana.
	Trace func(ctx context.Context, traceID string) (*traceview.View, error)
	// RecentTraces lists the newest requests' traces, newest first, at
	// most n, for the Stack screen; nil lists none.
	RecentTraces func(ctx context.Context, n int) ([]traceview.Summary, error)
	// Alerts lists Alertmanager's firing alerts, for the Stack screen
	// while the compose stack runs; nil shows none.
	Alerts func(ctx context.Context) ([]Alert, error)
	// Lessons runs the guided lessons; nil leaves the Lessons screen
	// empty.
	Lessons LessonEngine
	// PollEvery is how often health is polled (default 2s).
	PollEvery time.Duration
	// ProgressEvery is how often the load engine reports (default 500ms).
	ProgressEvery time.Duration
}

// Broker is a Kafka address and what to call it.
type Broker struct {
	Name string
	Addr string
	// Embedded marks local mode's broker, which compose mode replaces
	// with its own Kafka container.
	Embedded bool
}

// Runner runs a shoplab subcommand to completion, writing its output to
// out.
type Runner interface {
	Run(ctx context.Context, args []string, out io.Writer) error
}

// ExecRunner runs the shoplab executable at Path.
type ExecRunner struct {
	Path string
}

// Run runs Path with args. Cancelling ctx sends SIGTERM rather than
// SIGKILL, so that `up -d` still stops what it started in the background.
func (r ExecRunner) Run(ctx context.Context, args []string, out io.Writer) error {
	cmd := exec.CommandContext(ctx, r.Path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	// A grandchild holding the output pipe must not keep the TUI waiting.
	cmd.WaitDelay = 10 * time.Second
	return cmd.Run()
}

// LoadFunc runs one load test of sc; o.Progress hears its snapshots.
type LoadFunc func(ctx context.Context, sc *load.Scenario, o load.Options) (*load.Result, error)

// RunEngine is the load engine itself: the TUI shows its numbers, never a
// measurement of its own.
func RunEngine(ctx context.Context, sc *load.Scenario, o load.Options) (*load.Result, error) {
	e, err := load.New(sc, o)
	if err != nil {
		return nil, err
	}
	return e.Run(ctx)
}

func (d Deps) withDefaults() Deps {
	if d.CheckHTTP == nil {
		client := &http.Client{Timeout: time.Second}
		d.CheckHTTP = func(ctx context.Context, url string) error { return topology.CheckHTTP(ctx, client, url) }
	}
	if d.Dial == nil {
		d.Dial = func(ctx context.Context, addr string) error {
			dl := net.Dialer{Timeout: time.Second}
			c, err := dl.DialContext(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			return c.Close()
		}
	}
	if d.RunLoad == nil {
		d.RunLoad = RunEngine
	}
	if d.GrafanaUp == nil {
		d.GrafanaUp = func(context.Context) bool { return false }
	}
	if d.GrafanaURL == "" {
		d.GrafanaURL = stack.GrafanaURL
	}
	if d.ScenariosDir == "" {
		d.ScenariosDir = "scenarios"
	}
	if d.PollEvery <= 0 {
		d.PollEvery = 2 * time.Second
	}
	if d.ProgressEvery <= 0 {
		d.ProgressEvery = 500 * time.Millisecond
	}
	return d
}
