package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/shoplab/shoplab/internal/lab"
)

// upDetached starts shoplab again with childArgs as a background process
// in its own session, waits until its services are healthy and returns.
func upDetached(ctx context.Context, app *App, getenv func(string) string, childArgs []string, wait time.Duration) error {
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	if pid, err := readPID(s.cfg.DataDir); err != nil {
		return err
	} else if pid != 0 {
		return fmt.Errorf("the services are already running (pid %d): stop them with 'shoplab down'", pid)
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
	child := exec.Command(exe, childArgs...)
	child.Stdout, child.Stderr = out, out
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := child.Start(); err != nil {
		return fmt.Errorf("start the services in the background: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	fmt.Fprintf(app.Stdout, "Starting the ShopEase services in the background (pid %d, output in %s)...\n", child.Process.Pid, outPath)
	wctx, cancel := context.WithTimeout(ctx, wait)
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
		return fmt.Errorf("the services exited during start (%v); see %s", err, outPath)
	case err := <-healthy:
		if err != nil {
			child.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("%w; see %s", err, outPath)
		}
	}
	fmt.Fprintln(app.Stdout, "ShopLab is running in the background. Stop it with: shoplab down")
	return nil
}
