package catalog

import (
	"context"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/topology"
)

// Build wires the catalog service for a runner: its database, its gRPC API
// and its admin endpoints, with the control surface of its incidents.
// Opening the database happens here, so that a bad data directory fails
// the start, not the first request.
func Build(ctx context.Context, d server.Deps) (*server.Unit, error) {
	incidents := incident.NewSet(topology.Catalog)
	svc, err := New(ctx, Options{Database: d.Database(topology.Catalog), Telemetry: d.Telemetry, Incidents: incidents})
	if err != nil {
		return nil, err
	}
	return server.Backend(topology.Catalog, d, svc, incidents)
}
