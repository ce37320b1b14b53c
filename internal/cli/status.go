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
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	unhealthy := 0
	fmt.Fprintf(app.Stdout, "%-13s %-9s %-22s %s\n", "SERVICE", "HEALTH", "HTTP", "gRPC")
	for _, e := range lab.Endpoints(s.cfg) {
		health := "healthy"
		if err := lab.CheckHTTP(ctx, client, e.HealthURL); err != nil {
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
	if pid, _ := readPID(s.cfg.DataDir); pid != 0 {
		fmt.Fprintf(app.Stdout, "\nServices process: pid %d (stop with: shoplab down)\n", pid)
	}

	n, err := containerStatus(ctx, app)
	if err != nil {
		return err
	}
	unhealthy += n
	if unhealthy > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d component(s) not healthy; start the lab with: shoplab up (or shoplab up --local without Docker)", unhealthy)}
	}
	return nil
}

// containerStatus prints the compose stack's containers and returns how
// many are not ready. No Docker, or no stack, is local mode: not a fault.
func containerStatus(ctx context.Context, app *App) (int, error) {
	c, err := compose.New(ctx, composeFile(app.Getenv), app.Stderr)
	if errors.Is(err, compose.ErrNoDocker) {
		fmt.Fprintln(app.Stdout, "\nContainers: Docker is not installed (local mode).")
		return 0, nil
	}
	if err != nil {
		fmt.Fprintf(app.Stdout, "\nContainers: %v\n", err)
		return 0, nil
	}
	cs, err := c.PS(ctx)
	if err != nil {
		return 0, err
	}
	if len(cs) == 0 {
		fmt.Fprintln(app.Stdout, "\nContainers: the compose stack is not running (start it with: shoplab up).")
		return 0, nil
	}
	bad := 0
	fmt.Fprintf(app.Stdout, "\n%-13s %-11s %s\n", "CONTAINER", "HEALTH", "NAME")
	for _, ct := range cs {
		if !ct.Ready() {
			bad++
		}
		fmt.Fprintf(app.Stdout, "%-13s %-11s %s\n", ct.Service, ct.Status(), ct.Name)
	}
	return bad, nil
}
