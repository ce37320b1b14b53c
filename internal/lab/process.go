package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/topology"
)

// DetachOptions configure StartDetached.
type DetachOptions struct {
	// Config is the configuration the child runs with: where its pid
	// file, its output and its services are.
	Config config.Config
	// Executable and Args start the child, which runs the lab.
	Executable string
	Args       []string
	// Wait is how long the services may take to become healthy.
	Wait time.Duration
	// Started, when not nil, hears the child's pid and where its output
	// goes, once it runs.
	Started func(pid int, outPath string)
	// Healthy, when not nil, hears each service once, when it turns
	// healthy.
	Healthy func(topology.Endpoint)
}

// StartDetached runs the lab as a background process in its own session
// and returns once its services are healthy. A child that exits during
// the start, or whose services are not healthy in time, fails it (the
// latter is told to stop).
func StartDetached(ctx context.Context, o DetachOptions) error {
	if err := CheckNotRunning(o.Config.DataDir); err != nil {
		return err
	}
	if err := os.MkdirAll(o.Config.LogDir, 0o755); err != nil {
		return err
	}
	// Not *.log: the log shipper tails logs/*.log and expects JSON lines.
	outPath := filepath.Join(o.Config.LogDir, "shoplab-up.out")
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	child := exec.Command(o.Executable, o.Args...)
	child.Stdout, child.Stderr = out, out
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := child.Start(); err != nil {
		return fmt.Errorf("start the services in the background: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	if o.Started != nil {
		o.Started(child.Process.Pid, outPath)
	}
	wctx, cancel := context.WithTimeout(ctx, o.Wait)
	defer cancel()
	healthy := make(chan error, 1)
	go func() { healthy <- topology.WaitHealthy(wctx, topology.Endpoints(o.Config), o.Healthy) }()
	select {
	case err := <-exited:
		cancel()
		return fmt.Errorf("the services exited during start (%v); see %s", err, outPath)
	case err := <-healthy:
		if err != nil {
			child.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("%w; see %s", err, outPath)
		}
	}
	return nil
}

// StopProcess tells the lab running as pid on cfg's data directory to
// stop and waits until it has exited: at most StopTimeout(cfg), the budget
// it stops by plus the margin to exit. Its pid file is removed then.
func StopProcess(ctx context.Context, cfg config.Config, pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal pid %d: %w", pid, err)
	}
	limit := StopTimeout(cfg)
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for alive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d did not stop within %s", pid, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	RemovePID(cfg.DataDir)
	return nil
}
