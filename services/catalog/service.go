// Package catalog is the catalog service: it owns the products and their
// stock, and reserves stock for orders all or nothing.
package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// Options are the catalog service's dependencies.
type Options struct {
	// Database is the service's own database, SQLite or PostgreSQL.
	Database  database.Source
	Telemetry *telemetry.Telemetry
	// Incidents are the lab's hidden incidents that act in the catalog;
	// nil has none.
	Incidents *incident.Set
}

// Service is the catalog service. It implements shopv1.CatalogServiceServer.
type Service struct {
	shopv1.UnimplementedCatalogServiceServer

	db      *sql.DB
	dialect database.Dialect
	store   *store
	tel     *telemetry.Telemetry
	log     *slog.Logger
	metrics *metrics
}

var _ shopv1.CatalogServiceServer = (*Service)(nil)

// New opens the database, brings its schema up to date and seeds the
// catalog on first start.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Database.IsZero() || o.Telemetry == nil {
		return nil, errors.New("catalog: Database and Telemetry are required")
	}
	m, err := newMetrics(o.Telemetry.Registry)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	db, err := database.Open(ctx, o.Database, migrations())
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	s := &Service{
		db:      db,
		dialect: o.Database.Dialect(),
		store:   &store{db: db, tracer: o.Telemetry.Tracer(), spanOptions: querySpanOptions(o.Database.Dialect()), incidents: o.Incidents},
		tel:     o.Telemetry,
		log:     o.Telemetry.Logger,
		metrics: m,
	}
	n, err := seed(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if n > 0 {
		s.log.InfoContext(ctx, "catalog seeded", "products", n)
	}
	return s, nil
}

// Register adds the catalog API to g.
func (s *Service) Register(g *grpc.Server) {
	shopv1.RegisterCatalogServiceServer(g, s)
}

// Checks are the service's health checks.
func (s *Service) Checks() map[string]server.Check {
	return map[string]server.Check{string(s.dialect): s.db.PingContext}
}

// Run blocks until ctx ends: the catalog has no background work.
func (s *Service) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Close closes the database.
func (s *Service) Close() error {
	return s.db.Close()
}
