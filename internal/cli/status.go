package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplab/shoplab/internal/lab"
)

// NewCmdStatus builds `shoplab status`.
func NewCmdStatus(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show each service's health",
		Long:  "Show each service's health. Exits 0 only when every service is healthy.",
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
	brokers := s.cfg.KafkaBrokers
	if len(brokers) == 0 {
		brokers = []string{fmt.Sprintf("127.0.0.1:%d", s.cfg.EmbeddedKafkaPort)}
	}
	for _, b := range brokers {
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
		fmt.Fprintf(app.Stdout, "\nLab process: pid %d (stop with: shoplab down)\n", pid)
	}
	if unhealthy > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d component(s) not healthy; start the lab with: shoplab up --local", unhealthy)}
	}
	return nil
}
