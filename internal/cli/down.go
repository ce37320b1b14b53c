package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/lab"
)

type downOptions struct {
	volumes bool
	yes     bool
	local   bool
}

// NewCmdDown builds `shoplab down`.
func NewCmdDown(app *App) *cobra.Command {
	var o downOptions
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the services and the compose stack",
		Long: `Stop the services started in the background, then the compose stack's
containers. Their data (metrics, logs, traces, dashboards, Kafka topics) stays
in named volumes unless --volumes is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return down(cmd.Context(), app, o)
		},
	}
	cmd.Flags().BoolVar(&o.volumes, "volumes", false, "also delete the containers' data volumes (asks first)")
	cmd.Flags().BoolVarP(&o.yes, "yes", "y", false, "do not ask before deleting volumes")
	cmd.Flags().BoolVar(&o.local, "local", false, "stop only the services; leave Docker alone")
	return cmd
}

func down(ctx context.Context, app *App, o downOptions) error {
	if o.volumes && o.local {
		return errors.New("--volumes and --local exclude each other: local mode has no volumes")
	}
	if o.volumes && !o.yes {
		ok, err := confirm(app, "This deletes all of the lab's Prometheus, Loki, Tempo, Grafana and Kafka data. Continue? [y/N] ")
		if err != nil {
			return err
		}
		if !ok {
			return &exitError{code: 1, err: errors.New("nothing deleted")}
		}
	}
	if err := stopServices(ctx, app); err != nil {
		return err
	}
	if o.local {
		return nil
	}
	c, err := compose.New(ctx, composeFile(app.Getenv), app.Stderr)
	if err != nil {
		if o.volumes {
			return err
		}
		// A machine without a working Docker runs the lab in local mode:
		// there are no containers to stop.
		if !errors.Is(err, compose.ErrNoDocker) {
			fmt.Fprintf(app.Stdout, "Containers: not stopped: %v\n", err)
		}
		return nil
	}
	fmt.Fprintln(app.Stdout, "Stopping the containers...")
	if err := c.Down(ctx, o.volumes); err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, "Containers stopped.")
	return nil
}

func confirm(app *App, prompt string) (bool, error) {
	fmt.Fprint(app.Stdout, prompt)
	line, err := bufio.NewReader(app.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, errors.New("no answer on standard input: pass --yes to delete the volumes without asking")
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

func stopServices(ctx context.Context, app *App) error {
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return err
	}
	pid, err := lab.ReadPID(s.cfg.DataDir)
	if err != nil {
		return err
	}
	if pid == 0 {
		fmt.Fprintln(app.Stdout, "No ShopEase services are running.")
		return nil
	}
	fmt.Fprintf(app.Stdout, "Stopping the services (pid %d)...\n", pid)
	if err := lab.StopProcess(ctx, s.cfg, pid); err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, "Services stopped.")
	return nil
}
