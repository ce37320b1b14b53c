package lab

import (
	"context"
	"fmt"

	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/services/auth"
	"github.com/shoplab/shoplab/services/catalog"
	"github.com/shoplab/shoplab/services/gateway"
	"github.com/shoplab/shoplab/services/notification"
	"github.com/shoplab/shoplab/services/orders"
)

// BuildFunc wires one service from what its runner gives it.
type BuildFunc func(ctx context.Context, d server.Deps) (*server.Unit, error)

// builders maps each service of topology.Services to its wiring, which
// the service's own package holds.
func builders() map[string]BuildFunc {
	return map[string]BuildFunc{
		topology.Catalog:      catalog.Build,
		topology.Auth:         auth.Build,
		topology.Orders:       orders.Build,
		topology.Notification: notification.Build,
		topology.Gateway:      gateway.Build,
	}
}

// Build constructs service name.
func Build(ctx context.Context, name string, d server.Deps) (*server.Unit, error) {
	build, ok := builders()[name]
	if !ok {
		return nil, fmt.Errorf("unknown service %q (want one of %v)", name, topology.Services())
	}
	return build(ctx, d)
}
