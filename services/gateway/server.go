package gateway

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/topology"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// Build wires the gateway for a runner: a connection to each service it
// calls (whose health its /healthz reports), the REST API with faults as
// the configuration says and the control surface of its incidents, served
// on d.HTTP. The unit closes the connections.
func Build(_ context.Context, d server.Deps) (*server.Unit, error) {
	clientMetrics, err := server.NewClientMetrics(d.Telemetry)
	if err != nil {
		return nil, err
	}
	conns := map[string]*grpc.ClientConn{}
	closeAll := func() error {
		var err error
		for _, c := range conns {
			err = errors.Join(err, c.Close())
		}
		return err
	}
	checks := map[string]server.Check{}
	for _, peer := range []string{topology.Auth, topology.Catalog, topology.Orders} {
		conn, err := server.Dial(d.Telemetry, clientMetrics, d.Peers[peer])
		if err != nil {
			return nil, errors.Join(fmt.Errorf("dial %s: %w", peer, err), closeAll())
		}
		conns[peer] = conn
		checks[peer] = server.GRPCHealthCheck(conn)
	}
	incidents := incident.NewSet(topology.Gateway)
	gw, err := New(Options{
		Telemetry: d.Telemetry,
		Auth:      shopv1.NewAuthServiceClient(conns[topology.Auth]),
		Catalog:   shopv1.NewCatalogServiceClient(conns[topology.Catalog]),
		Orders:    shopv1.NewOrdersServiceClient(conns[topology.Orders]),
		Checks:    checks,
		Faults:    d.Config.Faults,
		Incidents: incidents,
		// The switches of the incidents, beside /metrics.
		IncidentControl: d.IncidentControl(incidents),
	})
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}
	return server.HTTPUnit(topology.Gateway, d, gw.Handler(), nil, closeAll), nil
}
