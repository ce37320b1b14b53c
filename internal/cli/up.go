package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/topology"
)

type upOptions struct {
	local        bool
	servicesOnly bool
	detach       bool
	verbose      bool
	waitTime     time.Duration
	stackWait    time.Duration
}

// NewCmdUp builds `shoplab up`.
func NewCmdUp(app *App) *cobra.Command {
	var o upOptions
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the lab",
		Long: `Start the lab.

By default the infrastructure (Prometheus, Alertmanager, Loki, Tempo,
Grafana, Kafka, kafka-ui, the log shipper and Mailpit) runs with docker
compose, and the five ShopEase services run on this machine, pointed at it.

With --local the shop runs without Docker, with an embedded Kafka-protocol
broker (unless KAFKA_BROKERS names a real one).

The lab stays in the foreground; Ctrl-C stops the services gracefully (the
containers keep running: 'shoplab down' stops them). With -d the services run
in the background and 'shoplab down' stops everything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if o.local && o.servicesOnly {
				return errors.New("--local and --services-only exclude each other")
			}
			if err := makeRuntimeDirs(app.Getenv); err != nil {
				return err
			}
			getenv := app.Getenv
			if !o.local && !o.servicesOnly {
				if err := upStack(ctx, app, o); err != nil {
					return err
				}
			}
			if _, set := config.Lookup(app.Getenv, "SHOPLAB_BIND_HOST"); !o.local && !o.detach && !set {
				getenv = lab.WithDefaults(app.Getenv, lab.ComposeDefaults(discoverBindHosts(ctx, app)))
			} else if !o.local {
				// A detached start discovers the addresses in its child.
				getenv = lab.WithDefaults(app.Getenv, lab.ComposeDefaults(loopback))
			}
			childArgs := []string{"up", "--services-only"}
			if o.local {
				childArgs = []string{"up", "--local"}
			}
			if o.detach {
				return upDetached(ctx, app, getenv, append(childArgs, "--wait", o.waitTime.String()), o.waitTime)
			}
			return runServices(ctx, app, getenv, o)
		},
	}
	cmd.Flags().BoolVar(&o.local, "local", false, "run without Docker: the services plus an embedded Kafka broker")
	cmd.Flags().BoolVar(&o.servicesOnly, "services-only", false, "start only the services, pointed at an already running compose stack")
	cmd.Flags().BoolVarP(&o.detach, "detach", "d", false, "run the services in the background; stop with 'shoplab down'")
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "also print every service's log lines (they always go to logs/<service>.log)")
	cmd.Flags().DurationVar(&o.waitTime, "wait", 60*time.Second, "how long to wait for the services to become healthy")
	cmd.Flags().DurationVar(&o.stackWait, "stack-wait", 5*time.Minute, "how long to wait for the containers to become healthy (the first run downloads images)")
	return cmd
}

// upStack starts the compose stack and waits until every container is
// healthy, showing progress while it waits.
func upStack(ctx context.Context, app *App, o upOptions) error {
	file := composeFile(app.Getenv)
	c, err := compose.New(ctx, file, app.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, "Starting the containers (the first run downloads the images; this can take a few minutes)...")
	if err := c.Up(ctx); err != nil {
		return err
	}
	cs, err := c.PS(ctx)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		return fmt.Errorf("docker compose started no containers: check %s", composeFile(app.Getenv))
	}
	services := make([]string, len(cs))
	for i, ct := range cs {
		services[i] = ct.Service
	}
	wctx, cancel := context.WithTimeout(ctx, o.stackWait)
	defer cancel()
	err = c.WaitHealthy(wctx, services, time.Second, func(ct compose.Container, after time.Duration) {
		fmt.Fprintf(app.Stdout, "  ✓ %-13s %s after %s\n", ct.Service, ct.Status(), after.Round(time.Second))
	})
	if err != nil {
		return fmt.Errorf("%w\nthe containers keep running; stop them with: shoplab down", err)
	}
	return nil
}

// runServices runs the five services in the foreground until ctx ends.
func runServices(ctx context.Context, app *App, getenv func(string) string, o upOptions) error {
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	if err := lab.CheckNotRunning(s.cfg.DataDir); err != nil {
		return err
	}
	var logs io.Writer
	if o.verbose {
		logs = app.Stdout
	}
	mode := "compose mode"
	if o.local {
		mode = "local mode"
	}
	fmt.Fprintf(app.Stdout, "Starting the ShopEase services (%s)...\n", mode)
	l, err := lab.Start(ctx, lab.Options{Config: s.cfg, OTLP: s.otlp, LogLevel: s.logLevel, Stdout: logs})
	if err != nil {
		return err
	}
	if err := lab.WritePID(s.cfg.DataDir); err != nil {
		return errors.Join(fmt.Errorf("write pid file: %w", err), l.Stop(context.WithoutCancel(ctx)))
	}
	defer lab.RemovePID(s.cfg.DataDir)

	wctx, cancel := context.WithTimeout(ctx, o.waitTime)
	err = topology.WaitHealthy(wctx, l.Endpoints(), func(e topology.Endpoint) {
		fmt.Fprintf(app.Stdout, "  ✓ %s healthy\n", e.Service)
	})
	cancel()
	if err != nil {
		return errors.Join(err, l.Stop(context.WithoutCancel(ctx)))
	}
	printEndpoints(app.Stdout, s.cfg, l, !o.local)
	fmt.Fprintln(app.Stdout, "\nPress Ctrl-C to stop.")

	failed := false
	select {
	case <-ctx.Done():
		fmt.Fprintf(app.Stdout, "\nStopping: letting in-flight requests finish (at most %s)...\n", s.cfg.ShutdownTimeout)
	case <-l.Failed():
		failed = true
		fmt.Fprintln(app.Stderr, "A service stopped unexpectedly; stopping the lab.")
	}
	// Without a deadline of its own, Stop takes at most ShutdownTimeout,
	// the budget 'shoplab down' also waits for (lab.StopTimeout).
	err = l.Stop(context.WithoutCancel(ctx))
	if failed {
		return errors.Join(errors.New("a service stopped unexpectedly"), err)
	}
	if err != nil {
		// The user asked for this stop and got it: what did not go as
		// planned (requests cut at the end of the budget, say) is worth
		// reading, not a failure of the command.
		fmt.Fprintf(app.Stderr, "shoplab: stopped, with problems: %v\n", err)
	}
	fmt.Fprintln(app.Stdout, "Stopped.")
	return nil
}
