package notification

import (
	"context"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/topology"
)

// Build wires the notification service for a runner: its database, its
// Kafka consumer and SMTP sender (run as its background loop) and its admin
// endpoints with the control surface of its incidents. It has no gRPC API: d.GRPC is not used.
func Build(ctx context.Context, d server.Deps) (*server.Unit, error) {
	incidents := incident.NewSet(topology.Notification)
	svc, err := New(ctx, Options{
		Database: d.Database(topology.Notification), Telemetry: d.Telemetry, Brokers: d.Brokers, Partitions: d.Config.KafkaPartitions, SMTP: d.Config.SMTP,
		Incidents: incidents,
	})
	if err != nil {
		return nil, err
	}
	admin := server.AdminHandler(d.Telemetry, svc.Checks(), server.WithIncidents(d.IncidentControl(incidents)))
	return server.HTTPUnit(topology.Notification, d, admin, svc.Run, svc.Close), nil
}
