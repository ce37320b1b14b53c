package catalog

import (
	"context"

	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/topology"
)

// Build wires the catalog service for a runner: its database, its gRPC API
// and its admin endpoints. Opening the database happens here, so that a
// bad data directory fails the start, not the first request.
func Build(ctx context.Context, d server.Deps) (*server.Unit, error) {
	svc, err := New(ctx, Options{DBPath: d.DBPath(topology.Catalog), Telemetry: d.Telemetry})
	if err != nil {
		return nil, err
	}
	return server.Backend(topology.Catalog, d, svc)
}
