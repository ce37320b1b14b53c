package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
	"github.com/shoplab/shoplab/services/auth"
	"github.com/shoplab/shoplab/services/catalog"
	"github.com/shoplab/shoplab/services/gateway"
	"github.com/shoplab/shoplab/services/notification"
	"github.com/shoplab/shoplab/services/orders"
)

// Deps is what building one service needs from its surroundings.
type Deps struct {
	Config    config.Config
	Telemetry *telemetry.Telemetry
	// HTTP and GRPC are the service's listeners (GRPC nil for services
	// without a gRPC API).
	HTTP, GRPC net.Listener
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Peers maps a service name to its gRPC address.
	Peers map[string]string
}

// Component is one built service, ready to run.
type Component struct {
	Name string
	run  func(ctx context.Context) error
	// closers run after run returned, in order.
	closers []func() error
}

// Run serves the component until ctx ends and then releases what it holds.
func (c *Component) Run(ctx context.Context) error {
	err := errors.Join(c.run(ctx), c.release())
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	return nil
}

// release frees what the component holds without running it.
func (c *Component) release() error {
	var err error
	for _, close := range c.closers {
		err = errors.Join(err, close())
	}
	c.closers = nil
	return err
}

// backend is what every service with a gRPC API offers.
type backend interface {
	Register(*grpc.Server)
	Checks() map[string]server.Check
	Run(ctx context.Context) error
	Close() error
}

// Build constructs service name. Opening its database happens here, so
// that a bad data directory fails the start, not the first request.
func Build(ctx context.Context, name string, d Deps) (*Component, error) {
	dbPath := filepath.Join(d.Config.DataDir, name+".db")
	grace := d.Config.ShutdownTimeout
	switch name {
	case Catalog:
		svc, err := catalog.New(ctx, catalog.Options{DBPath: dbPath, Telemetry: d.Telemetry})
		if err != nil {
			return nil, err
		}
		return backendComponent(name, d, svc, grace)
	case Auth:
		pub, err := events.NewPublisher(d.Telemetry, d.Brokers)
		if err != nil {
			return nil, err
		}
		svc, err := auth.New(ctx, auth.Options{
			DBPath: dbPath, Telemetry: d.Telemetry, Publisher: pub,
			JWTSecret: d.Config.JWTSecret, TokenTTL: d.Config.TokenTTL, BcryptCost: d.Config.BcryptCost,
		})
		if err != nil {
			return nil, errors.Join(err, pub.Close())
		}
		c, err := backendComponent(name, d, svc, grace)
		if err != nil {
			return nil, errors.Join(err, pub.Close())
		}
		c.closers = append(c.closers, pub.Close)
		return c, nil
	case Orders:
		conn, err := dialPeer(d, Catalog)
		if err != nil {
			return nil, err
		}
		pub, err := events.NewPublisher(d.Telemetry, d.Brokers)
		if err != nil {
			return nil, errors.Join(err, conn.Close())
		}
		svc, err := orders.New(ctx, orders.Options{
			DBPath: dbPath, Telemetry: d.Telemetry, Publisher: pub,
			Catalog:            shopv1.NewCatalogServiceClient(conn),
			ReservationTimeout: d.Config.Reconcile.ReservationTimeout,
			ReconcileInterval:  d.Config.Reconcile.Interval,
		})
		if err != nil {
			return nil, errors.Join(err, pub.Close(), conn.Close())
		}
		c, err := backendComponent(name, d, svc, grace)
		if err != nil {
			return nil, errors.Join(err, pub.Close(), conn.Close())
		}
		c.closers = append(c.closers, pub.Close, conn.Close)
		return c, nil
	case Notification:
		svc, err := notification.New(ctx, notification.Options{
			DBPath: dbPath, Telemetry: d.Telemetry, Brokers: d.Brokers, SMTP: d.Config.SMTP,
		})
		if err != nil {
			return nil, err
		}
		admin := server.AdminHandler(d.Telemetry, svc.Checks())
		return &Component{
			Name: name,
			run: func(ctx context.Context) error {
				g, ctx := errgroup.WithContext(ctx)
				g.Go(func() error { return server.ServeHTTP(ctx, d.HTTP, admin, grace) })
				g.Go(func() error { return svc.Run(ctx) })
				return g.Wait()
			},
			closers: []func() error{svc.Close},
		}, nil
	case Gateway:
		return buildGateway(d, grace)
	}
	return nil, fmt.Errorf("unknown service %q (want one of %v)", name, Services())
}

func buildGateway(d Deps, grace time.Duration) (*Component, error) {
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
	for _, peer := range []string{Auth, Catalog, Orders} {
		conn, err := server.Dial(d.Telemetry, clientMetrics, d.Peers[peer])
		if err != nil {
			return nil, errors.Join(fmt.Errorf("dial %s: %w", peer, err), closeAll())
		}
		conns[peer] = conn
		checks[peer] = GRPCHealthCheck(conn)
	}
	gw := gateway.New(gateway.Options{
		Telemetry: d.Telemetry,
		Auth:      shopv1.NewAuthServiceClient(conns[Auth]),
		Catalog:   shopv1.NewCatalogServiceClient(conns[Catalog]),
		Orders:    shopv1.NewOrdersServiceClient(conns[Orders]),
		Checks:    checks,
		Faults:    d.Config.Faults,
	})
	return &Component{
		Name:    Gateway,
		run:     func(ctx context.Context) error { return server.ServeHTTP(ctx, d.HTTP, gw.Handler(), grace) },
		closers: []func() error{closeAll},
	}, nil
}

// backendComponent serves svc over gRPC. If the gRPC server cannot be
// built, svc is closed; what the caller opened for svc stays the caller's
// to release.
func backendComponent(name string, d Deps, svc backend, grace time.Duration) (*Component, error) {
	gs, hs, err := server.NewGRPCServer(d.Telemetry, svc.Register, server.WithFaults(d.Config.Faults))
	if err != nil {
		return nil, errors.Join(err, svc.Close())
	}
	admin := server.AdminHandler(d.Telemetry, svc.Checks())
	return &Component{
		Name: name,
		run: func(ctx context.Context) error {
			g, ctx := errgroup.WithContext(ctx)
			g.Go(func() error { return server.ServeGRPC(ctx, d.GRPC, gs, hs, grace) })
			g.Go(func() error { return server.ServeHTTP(ctx, d.HTTP, admin, grace) })
			g.Go(func() error { return svc.Run(ctx) })
			return g.Wait()
		},
		closers: []func() error{svc.Close},
	}, nil
}

func dialPeer(d Deps, peer string) (*grpc.ClientConn, error) {
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
