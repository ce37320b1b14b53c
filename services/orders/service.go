// Package orders is the orders service: it places orders, reserving their
// stock in the catalog, and records each order with its order.placed event
// in one transaction (transactional outbox).
package orders

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/outbox"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// Options are the orders service's dependencies.
type Options struct {
	// Database is the service's own database, SQLite or PostgreSQL.
	Database  database.Source
	Telemetry *telemetry.Telemetry
	// Catalog reserves and releases stock.
	Catalog shopv1.CatalogServiceClient
	// Publisher receives the outbox's events (an *events.Publisher).
	Publisher outbox.Publisher
	// ReservationTimeout is how long stock may stay reserved for an order
	// that is not stored before the reconciler releases it (default 2 min).
	// It must stay well above the longest PlaceOrder call: an order still
	// being placed after it is refused.
	ReservationTimeout time.Duration
	// ReconcileInterval is the pause between the reconciler's passes
	// (default 30 s); the first pass runs when Run starts.
	ReconcileInterval time.Duration
	// Incidents are the lab's hidden incidents that act in orders; nil has
	// none.
	Incidents *incident.Set
}

// Service is the orders service. It implements shopv1.OrdersServiceServer.
type Service struct {
	shopv1.UnimplementedOrdersServiceServer

	db      *sql.DB
	dialect database.Dialect
	tel     *telemetry.Telemetry
	log     *slog.Logger
	catalog shopv1.CatalogServiceClient
	relay   *outbox.Relay
	metrics *metrics
	// incidents can fail a region's orders, contend for the write lock and
	// stall the relay.
	incidents *incident.Set

	reservationTimeout time.Duration
	reconcileInterval  time.Duration
}

var _ shopv1.OrdersServiceServer = (*Service)(nil)

// New opens the database and brings its schema up to date.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Database.IsZero() || o.Telemetry == nil || o.Catalog == nil || o.Publisher == nil {
		return nil, errors.New("orders: Database, Telemetry, Catalog and Publisher are required")
	}
	if o.ReservationTimeout < 0 || o.ReconcileInterval < 0 {
		return nil, errors.New("orders: ReservationTimeout and ReconcileInterval must not be negative")
	}
	m, err := newMetrics(o.Telemetry.Registry)
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	db, err := database.Open(ctx, o.Database, migrations())
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	relay, err := outbox.NewRelay(db, o.Database.Dialect(), o.Publisher, o.Telemetry)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("orders: %w", err)
	}
	relay.PauseWhen(o.Incidents.OutboxStalled)
	return &Service{
		db:                 db,
		dialect:            o.Database.Dialect(),
		tel:                o.Telemetry,
		log:                o.Telemetry.Logger,
		catalog:            o.Catalog,
		relay:              relay,
		metrics:            m,
		incidents:          o.Incidents,
		reservationTimeout: cmp.Or(o.ReservationTimeout, defaultReservationTimeout),
		reconcileInterval:  cmp.Or(o.ReconcileInterval, defaultReconcileInterval),
	}, nil
}

// Register adds the orders API to g.
func (s *Service) Register(g *grpc.Server) {
	shopv1.RegisterOrdersServiceServer(g, s)
}

// Checks are the service's health checks.
func (s *Service) Checks() map[string]server.Check {
	return map[string]server.Check{string(s.dialect): s.db.PingContext}
}

// Run relays the outbox's events to Kafka, and releases the stock of
// orders that were never stored, until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.relay.Run(ctx) })
	g.Go(func() error { return s.reconcileLoop(ctx) })
	g.Go(func() error { return s.contendLoop(ctx) })
	return g.Wait()
}

// Close closes the database. The publisher belongs to the caller.
func (s *Service) Close() error {
	return s.db.Close()
}
