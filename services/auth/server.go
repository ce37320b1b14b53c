package auth

import (
	"context"
	"errors"

	"github.com/shoplab/shoplab/internal/events"
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
	// No incident acts in auth: Backend serves an empty set.
	u, err := server.Backend(topology.Auth, d, svc, nil, pub.Close)
	if err != nil {
		return nil, errors.Join(err, pub.Close())
	}
	return u, nil
}
