package notification

import (
	"context"

	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/topology"
)

// Build wires the notification service for a runner: its database, its
// Kafka consumer and SMTP sender (run as its background loop) and its admin
// endpoints. It has no gRPC API: d.GRPC is not used.
func Build(ctx context.Context, d server.Deps) (*server.Unit, error) {
	svc, err := New(ctx, Options{
		DBPath: d.DBPath(topology.Notification), Telemetry: d.Telemetry, Brokers: d.Brokers, SMTP: d.Config.SMTP,
	})
	if err != nil {
		return nil, err
	}
	admin := server.AdminHandler(d.Telemetry, svc.Checks())
	return server.HTTPUnit(topology.Notification, d, admin, svc.Run, svc.Close), nil
}
