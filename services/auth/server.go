package auth

import (
	"context"
	"errors"

	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/topology"
)

// Build wires the auth service for a runner: its database, its Kafka
// publisher, its gRPC API and its admin endpoints. The unit closes the
// publisher after the service.
func Build(ctx context.Context, d server.Deps) (*server.Unit, error) {
	pub, err := events.NewPublisher(d.Telemetry, d.Brokers)
	if err != nil {
		return nil, err
	}
	svc, err := New(ctx, Options{
		Database: d.Database(topology.Auth), Telemetry: d.Telemetry, Publisher: pub,
		JWTSecret: d.Config.JWTSecret, TokenTTL: d.Config.TokenTTL, BcryptCost: d.Config.BcryptCost,
	})
	if err != nil {
		return nil, errors.Join(err, pub.Close())
	}
	// No incident acts in auth, but it serves the control surface all the
	// same, so that clearing every service's incidents needs no exception.
	admin := []server.AdminOption{server.WithIncidents(d.IncidentControl(incident.NewSet(topology.Auth)))}
	u, err := server.BackendWith(topology.Auth, d, svc, admin, pub.Close)
	if err != nil {
		return nil, errors.Join(err, pub.Close())
	}
	return u, nil
}
