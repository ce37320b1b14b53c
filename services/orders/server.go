package orders

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"

	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/topology"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// Build wires the orders service for a runner: its database, its
// connection to catalog, its Kafka publisher (fed by the outbox), the
// reconciler's timings from the configuration, its gRPC API and its admin
// endpoints with the control surface of its incidents. The unit closes the publisher and the connection after the
// service.
func Build(ctx context.Context, d server.Deps) (*server.Unit, error) {
	conn, err := dialPeer(d, topology.Catalog)
	if err != nil {
		return nil, err
	}
	pub, err := events.NewPublisher(d.Telemetry, d.Brokers)
	if err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	incidents := incident.NewSet(topology.Orders)
	svc, err := New(ctx, Options{
		Database: d.Database(topology.Orders), Telemetry: d.Telemetry, Publisher: pub, Incidents: incidents,
		Catalog:            shopv1.NewCatalogServiceClient(conn),
		ReservationTimeout: d.Config.Reconcile.ReservationTimeout,
		ReconcileInterval:  d.Config.Reconcile.Interval,
	})
	if err != nil {
		return nil, errors.Join(err, pub.Close(), conn.Close())
	}
	u, err := server.Backend(topology.Orders, d, svc, incidents, pub.Close, conn.Close)
	if err != nil {
		return nil, errors.Join(err, pub.Close(), conn.Close())
	}
	return u, nil
}

// dialPeer connects to peer's gRPC API at the address d gives it.
func dialPeer(d server.Deps, peer string) (*grpc.ClientConn, error) {
	metrics, err := server.NewClientMetrics(d.Telemetry)
	if err != nil {
		return nil, err
	}
	conn, err := server.Dial(d.Telemetry, metrics, d.Peers[peer])
	if err != nil {
		return nil, fmt.Errorf("dial %s at %s: %w", peer, d.Peers[peer], err)
	}
	return conn, nil
}
