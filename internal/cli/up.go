package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplab/shoplab/internal/lab"
)

type upOptions struct {
	local    bool
	detach   bool
	verbose  bool
	waitTime time.Duration
}

// NewCmdUp builds `shoplab up`.
func NewCmdUp(app *App) *cobra.Command {
	var o upOptions
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the lab",
		Long: `Start the lab: the five ShopEase services on this machine on fixed ports.

With --local the shop runs without Docker, with an embedded Kafka-protocol
broker (unless KAFKA_BROKERS names a real one). It stays in the foreground;
Ctrl-C stops it gracefully. With -d it runs in the background and
'shoplab down' stops it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !o.local {
				return errors.New("compose mode is not available yet: run 'shoplab up --local' (no Docker needed)")
			}
			if o.detach {
				return upDetached(cmd.Context(), app, o)
			}
			return upLocal(cmd.Context(), app, o)
		},
	}
	cmd.Flags().BoolVar(&o.local, "local", false, "run without Docker: services plus an embedded Kafka broker")
	cmd.Flags().BoolVarP(&o.detach, "detach", "d", false, "run in the background; stop with 'shoplab down'")
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "also print every service's log lines (they always go to logs/<service>.log)")
	cmd.Flags().DurationVar(&o.waitTime, "wait", 60*time.Second, "how long to wait for the services to become healthy")
	return cmd
}

func upLocal(ctx context.Context, app *App, o upOptions) error {
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return err
	}
	if pid, err := readPID(s.cfg.DataDir); err != nil {
		return err
	} else if pid != 0 {
		return fmt.Errorf("a lab is already running (pid %d): stop it with 'shoplab down'", pid)
	}
	var logs io.Writer
	if o.verbose {
		logs = app.Stdout
	}
	fmt.Fprintln(app.Stdout, "Starting ShopLab (local mode)...")
	l, err := lab.Start(ctx, lab.Options{Config: s.cfg, OTLP: s.otlp, LogLevel: s.logLevel, Stdout: logs})
	if err != nil {
		return err
	}
	if err := writePID(s.cfg.DataDir); err != nil {
		return errors.Join(fmt.Errorf("write pid file: %w", err), l.Stop(context.WithoutCancel(ctx)))
	}
	defer removePID(s.cfg.DataDir)

	wctx, cancel := context.WithTimeout(ctx, o.waitTime)
	err = lab.WaitHealthy(wctx, l.Endpoints(), func(e lab.Endpoint) {
		fmt.Fprintf(app.Stdout, "  ✓ %s healthy\n", e.Service)
	})
	cancel()
	if err != nil {
		return errors.Join(err, l.Stop(context.WithoutCancel(ctx)))
	}
	printEndpoints(app.Stdout, s.cfg.LogDir, l)
	fmt.Fprintln(app.Stdout, "\nPress Ctrl-C to stop.")

	select {
	case <-ctx.Done():
		fmt.Fprintln(app.Stdout, "\nStopping: letting in-flight requests finish...")
	case <-l.Failed():
		fmt.Fprintln(app.Stderr, "A service stopped unexpectedly; stopping the lab.")
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout+5*time.Second)
	defer scancel()
	if err := l.Stop(sctx); err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, "Stopped.")
	return nil
}

// upDetached starts `shoplab up --local` again as a background process in
// its own session, waits for it to be healthy and returns.
func upDetached(ctx context.Context, app *App, o upOptions) error {
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return err
	}
	if pid, err := readPID(s.cfg.DataDir); err != nil {
		return err
	} else if pid != 0 {
		return fmt.Errorf("a lab is already running (pid %d): stop it with 'shoplab down'", pid)
	}
	exe, err := app.Executable()
	if err != nil {
		return fmt.Errorf("find the shoplab binary: %w", err)
	}
	if err := os.MkdirAll(s.cfg.LogDir, 0o755); err != nil {
		return err
	}
	// Not *.log: the log shipper tails logs/*.log and expects JSON lines.
	outPath := filepath.Join(s.cfg.LogDir, "shoplab-up.out")
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	child := exec.Command(exe, "up", "--local", "--wait", o.waitTime.String())
	child.Stdout, child.Stderr = out, out
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := child.Start(); err != nil {
		return fmt.Errorf("start the lab in the background: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	fmt.Fprintf(app.Stdout, "Starting ShopLab in the background (pid %d, output in %s)...\n", child.Process.Pid, outPath)
	wctx, cancel := context.WithTimeout(ctx, o.waitTime)
	defer cancel()
	healthy := make(chan error, 1)
	go func() {
		healthy <- lab.WaitHealthy(wctx, lab.Endpoints(s.cfg), func(e lab.Endpoint) {
			fmt.Fprintf(app.Stdout, "  ✓ %s healthy\n", e.Service)
		})
	}()
	select {
	case err := <-exited:
		cancel()
		return fmt.Errorf("the lab exited during start (%v); see %s", err, outPath)
	case err := <-healthy:
		if err != nil {
			child.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("%w; see %s", err, outPath)
		}
	}
	fmt.Fprintln(app.Stdout, "ShopLab is running in the background. Stop it with: shoplab down")
	return nil
}

func printEndpoints(w io.Writer, logDir string, l *lab.Lab) {
	kafka := fmt.Sprintf("Kafka at %v", l.Brokers())
	if l.Embedded() {
		kafka = fmt.Sprintf("embedded Kafka-protocol broker at %v", l.Brokers())
	}
	fmt.Fprintf(w, "\nShopLab is running (%s).\n\n", kafka)
	fmt.Fprintf(w, "  %-13s %-28s %-17s %s\n", "SERVICE", "HTTP (/healthz, /metrics)", "gRPC", "LOG FILE")
	for _, e := range l.Endpoints() {
		grpc := e.GRPC
		if grpc == "" {
			grpc = "-"
		}
		fmt.Fprintf(w, "  %-13s %-28s %-17s %s\n", e.Service, "http://"+e.HTTP, grpc, filepath.Join(logDir, e.Service+".log"))
	}
	for _, e := range l.Endpoints() {
		if e.Service == lab.Gateway {
			fmt.Fprintf(w, "\n  Shop API:  http://%s/api/v1/products\n", e.HTTP)
		}
	}
}
