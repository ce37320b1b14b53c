package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/stack"
	"github.com/shoplab/shoplab/internal/topology"
)

// NewCmdStatus builds `shoplab status`.
func NewCmdStatus(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show each service's and container's health",
		Long:  "Show the health of each ShopEase service, of Kafka, and of the compose stack's containers when Docker is there. Exits 0 only when everything found is healthy.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return status(cmd.Context(), app)
		},
	}
}

func status(ctx context.Context, app *App) error {
	// The containers decide the mode: with the compose stack up, the
	// services use its Kafka (as shoplab up points them), not the
	// embedded broker.
	cs, note := listContainers(ctx, app)
	getenv := app.Getenv
	if len(cs) > 0 {
		getenv = lab.WithDefaults(app.Getenv, map[string]string{"KAFKA_BROKERS": stack.KafkaBrokers})
	}
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	unhealthy := 0
	fmt.Fprintf(app.Stdout, "%-13s %-9s %-22s %s\n", "SERVICE", "HEALTH", "HTTP", "gRPC")
	for _, e := range topology.Endpoints(s.cfg) {
		health := "healthy"
		if err := topology.CheckHTTP(ctx, client, e.HealthURL); err != nil {
			health = "down"
			unhealthy++
		}
		grpc := e.GRPC
		if grpc == "" {
			grpc = "-"
		}
		fmt.Fprintf(app.Stdout, "%-13s %-9s %-22s %s\n", e.Service, health, e.HTTP, grpc)
	}
	for _, b := range s.cfg.Brokers() {
		health := "healthy"
		d := net.Dialer{Timeout: time.Second}
		conn, err := d.DialContext(ctx, "tcp", b)
		if err != nil {
			health = "down"
			unhealthy++
		} else {
			conn.Close()
		}
		fmt.Fprintf(app.Stdout, "%-13s %-9s %-22s %s\n", "kafka", health, b, "-")
	}
	if pid, _ := lab.ReadPID(s.cfg.DataDir); pid != 0 {
		fmt.Fprintf(app.Stdout, "\nServices process: pid %d (stop with: shoplab down)\n", pid)
	}

	if note != "" {
		fmt.Fprintf(app.Stdout, "\nContainers: %s\n", note)
	} else {
		fmt.Fprintf(app.Stdout, "\n%-13s %-11s %s\n", "CONTAINER", "HEALTH", "NAME")
		for _, ct := range cs {
			if !ct.Ready() {
				unhealthy++
			}
			fmt.Fprintf(app.Stdout, "%-13s %-11s %s\n", ct.Service, ct.Status(), ct.Name)
		}
		// A firing alert is news, not a component down: it does not change
		// the exit code.
		alerts, err := firingAlerts(ctx, client, s.cfg.Stack.AlertmanagerURL)
		printAlerts(app.Stdout, alerts, err, time.Now())
	}
	if unhealthy > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d component(s) not healthy; start the lab with: shoplab up (or shoplab up --local without Docker)", unhealthy)}
	}
	return nil
}

// listContainers lists the compose stack's containers. No Docker, or no
// stack, is local mode, not a fault: note then says which.
func listContainers(ctx context.Context, app *App) (cs []compose.Container, note string) {
	c, err := compose.New(ctx, composeFile(app.Getenv), app.Stderr)
	if errors.Is(err, compose.ErrNoDocker) {
		return nil, "Docker is not installed (local mode)."
	}
	if err != nil {
		return nil, err.Error()
	}
	if cs, err = c.PS(ctx); err != nil {
		return nil, err.Error()
	}
	if len(cs) == 0 {
		return nil, "the compose stack is not running (start it with: shoplab up)."
	}
	return cs, ""
}
