package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/topology"
)

// NewCmdServe builds `shoplab serve`, which runs one service alone: what
// air runs during development.
func NewCmdServe(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "serve SERVICE",
		Short: "Run one service alone (gateway, auth, catalog, orders, notification, or broker)",
		Long: `Run one service alone in the foreground, logging to stdout and to
logs/<service>.log. Its peers are found at their fixed ports (AUTH_ADDR,
CATALOG_ADDR and ORDERS_ADDR override them); Kafka at KAFKA_BROKERS, or at the
embedded broker that 'shoplab serve broker' runs.`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: append(topology.Services(), "broker"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "broker" {
				return serveBroker(cmd.Context(), app)
			}
			return serveOne(cmd.Context(), app, args[0])
		},
	}
}

func serveOne(ctx context.Context, app *App, name string) error {
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return err
	}
	if _, ok := topology.PortsOf(s.cfg, name); !ok {
		return fmt.Errorf("unknown service %q: want one of %v or broker", name, topology.Services())
	}
	token, err := incident.LoadOrCreateToken(s.cfg.DataDir)
	if err != nil {
		return err
	}
	brokers := s.cfg.Brokers()
	tel, err := telemetry.New(ctx, telemetry.Config{
		Service: name, LogDir: s.cfg.LogDir, Stdout: app.Stdout, LogLevel: s.logLevel, OTLP: s.otlp,
		SpanDir: telemetry.LocalSpanDir(s.otlp, s.cfg.LogDir), Signals: s.cfg.Signals,
		Instance: s.cfg.Instance,
	})
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.WithoutCancel(ctx))
	d := server.Deps{
		Config: s.cfg, Telemetry: tel, Brokers: brokers, IncidentToken: token,
		Peers: map[string]string{topology.Auth: s.cfg.Auth.Addr, topology.Catalog: s.cfg.Catalog.Addr, topology.Orders: s.cfg.Orders.Addr},
	}
	if d.HTTP, d.GRPC, err = lab.Listen(s.cfg, name); err != nil {
		return err
	}
	u, err := lab.Build(ctx, name, d)
	if err != nil {
		return err
	}
	tel.Logger.InfoContext(ctx, "service started", "http", d.HTTP.Addr().String(), "kafka", brokers)
	return u.Run(ctx)
}

func serveBroker(ctx context.Context, app *App) error {
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return err
	}
	b, err := lab.StartBroker(s.cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintf(app.Stdout, "Embedded Kafka-protocol broker listening on %v. Ctrl-C stops it.\n", b.Addrs())
	<-ctx.Done()
	return nil
}
