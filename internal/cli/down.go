package cli

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// NewCmdDown builds `shoplab down`.
func NewCmdDown(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop a lab started in the background",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return down(cmd.Context(), app)
		},
	}
}

func down(ctx context.Context, app *App) error {
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return err
	}
	pid, err := readPID(s.cfg.DataDir)
	if err != nil {
		return err
	}
	if pid == 0 {
		fmt.Fprintln(app.Stdout, "No lab is running.")
		return nil
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "Stopping the lab (pid %d)...\n", pid)
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal pid %d: %w", pid, err)
	}
	deadline := time.Now().Add(s.cfg.ShutdownTimeout + 10*time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for alive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d did not stop within %s", pid, s.cfg.ShutdownTimeout+10*time.Second)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	removePID(s.cfg.DataDir)
	fmt.Fprintln(app.Stdout, "Stopped.")
	return nil
}
