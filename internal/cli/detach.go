package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/topology"
)

// upDetached starts shoplab again with childArgs as a background process
// (lab.StartDetached), printing its progress, and returns once its
// services are healthy.
func upDetached(ctx context.Context, app *App, getenv func(string) string, childArgs []string, wait time.Duration) error {
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	exe, err := app.Executable()
	if err != nil {
		return fmt.Errorf("find the shoplab binary: %w", err)
	}
	err = lab.StartDetached(ctx, lab.DetachOptions{
		Config: s.cfg, Executable: exe, Args: childArgs, Wait: wait,
		Started: func(pid int, outPath string) {
			fmt.Fprintf(app.Stdout, "Starting the ShopEase services in the background (pid %d, output in %s)...\n", pid, outPath)
		},
		Healthy: func(e topology.Endpoint) { fmt.Fprintf(app.Stdout, "  ✓ %s healthy\n", e.Service) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, "ShopLab is running in the background. Stop it with: shoplab down")
	return nil
}
