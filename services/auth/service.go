// Package auth is the ShopEase auth service: it owns users and their
// password hashes, signs login tokens (JWT, HS256) and checks them for the
// gateway. A registration emits a user.registered event through the
// transactional outbox.
package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/outbox"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// DefaultTokenTTL is the token lifetime used when Options.TokenTTL is not
// positive.
const DefaultTokenTTL = 24 * time.Hour

// Options are the auth service's dependencies.
type Options struct {
	// Database is the service's own database, SQLite or PostgreSQL.
	Database  database.Source
	Telemetry *telemetry.Telemetry
	// Publisher receives the outbox's events (an *events.Publisher in
	// production).
	Publisher outbox.Publisher
	// JWTSecret signs tokens. Empty means a random key is generated on the
	// first start and kept in the database, so tokens survive restarts.
	JWTSecret string
	// TokenTTL is how long a token stays valid; DefaultTokenTTL when not
	// positive.
	TokenTTL time.Duration
	// Now is the clock; nil means time.Now. Tests move it to expire tokens.
	Now func() time.Time
	// BcryptCost is the password hashing cost; 0 means bcrypt.DefaultCost.
	// Tests lower it (bcrypt.MinCost) to stay fast. After a change, each
	// stored hash is redone at the new cost when its user next logs in.
	BcryptCost int
}

// Service is the auth service.
type Service struct {
	db      *sql.DB
	dialect database.Dialect
	tel     *telemetry.Telemetry
	relay   *outbox.Relay
	tokens  tokenSigner
	now     func() time.Time
	cost    int
	metrics *metrics
	// dummyHash, made at cost, is compared against when a login names an
	// unknown e-mail, so that such a login costs as much as a wrong
	// password and the response time does not reveal which e-mails are
	// registered.
	dummyHash []byte
}

// New opens the database (creating and migrating it if needed), loads or
// creates the signing key and registers the service's metrics.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Telemetry == nil || o.Publisher == nil || o.Database.IsZero() {
		return nil, errors.New("auth: Database, Telemetry and Publisher are required")
	}
	cost := o.BcryptCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("auth: bcrypt cost %d out of range %d-%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	ttl := o.TokenTTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	m, err := newMetrics(o.Telemetry.Registry)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	db, err := database.Open(ctx, o.Database, migrations)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	key := []byte(o.JWTSecret)
	if len(key) == 0 {
		if key, err = loadOrCreateSigningKey(ctx, db); err != nil {
			db.Close()
			return nil, fmt.Errorf("auth: %w", err)
		}
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("no user has this password"), cost)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("auth: dummy hash: %w", err)
	}
	relay, err := outbox.NewRelay(db, o.Database.Dialect(), o.Publisher, o.Telemetry)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Service{
		db:        db,
		dialect:   o.Database.Dialect(),
		tel:       o.Telemetry,
		relay:     relay,
		tokens:    tokenSigner{key: key, ttl: ttl, now: now},
		now:       now,
		cost:      cost,
		metrics:   m,
		dummyHash: dummy,
	}, nil
}

// Register adds the AuthService API to g.
func (s *Service) Register(g *grpc.Server) {
	shopv1.RegisterAuthServiceServer(g, &grpcAPI{s: s})
}

// Checks are the service's health checks.
func (s *Service) Checks() map[string]server.Check {
	return map[string]server.Check{string(s.dialect): s.db.PingContext}
}

// Run relays outbox events to Kafka until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	return s.relay.Run(ctx)
}

// Close closes the database. Call it after Run has returned.
func (s *Service) Close() error {
	return s.db.Close()
}
