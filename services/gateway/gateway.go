// Package gateway is ShopEase's public HTTP API. It is the only entry point
// from outside: it checks and translates JSON requests into gRPC calls to
// the auth, catalog and orders services, and it is where a request's trace,
// region and injected faults begin.
package gateway

import (
	"fmt"
	"net/http"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// Options are the gateway's dependencies. Every field but Checks is
// required.
type Options struct {
	Telemetry *telemetry.Telemetry
	Auth      shopv1.AuthServiceClient
	Catalog   shopv1.CatalogServiceClient
	Orders    shopv1.OrdersServiceClient
	// Checks are reported by GET /healthz, e.g. the backends' gRPC health.
	Checks map[string]server.Check
	// Faults honours X-Shoplab-Fault (SHOPLAB_FAULTS). Off, a request
	// carrying it is refused, so that a scenario run against a shop
	// without faults fails visibly instead of measuring nothing.
	Faults bool
	// Incidents are the lab's hidden incidents that act in the gateway;
	// nil has none.
	Incidents *incident.Set
	// IncidentControl, when set, is served under incident.RoutePrefix
	// beside /metrics, outside the measured chain.
	IncidentControl http.Handler
}

// Gateway serves the public API. Build it with New.
type Gateway struct {
	handler http.Handler
	// chain is the middleware every request but the admin endpoints
	// passes, outermost first.
	chain []func(http.Handler) http.Handler
	// The backends the handlers call.
	auth    shopv1.AuthServiceClient
	catalog shopv1.CatalogServiceClient
	orders  shopv1.OrdersServiceClient
}

// New builds the gateway and registers its HTTP metrics in
// o.Telemetry.Registry. It fails if they cannot be registered, e.g.
// because another gateway has them already: one gateway per registry.
func New(o Options) (*Gateway, error) {
	metrics, err := newHTTPMetrics(o.Telemetry.Registry, o.Incidents.Cardinality)
	if err != nil {
		return nil, fmt.Errorf("gateway metrics: %w", err)
	}
	log := o.Telemetry.Logger
	chain := middlewareChain(o.Telemetry, metrics, o.Faults)
	return &Gateway{
		handler: routes(log, admin(o), o.IncidentControl != nil, chain, o.Auth, o.Catalog, o.Orders),
		chain:   chain,
		auth:    o.Auth,
		catalog: o.Catalog,
		orders:  o.Orders,
	}, nil
}

// admin is the admin endpoints, with the incidents' control surface when
// o has one.
func admin(o Options) http.Handler {
	if o.IncidentControl == nil {
		return server.AdminHandler(o.Telemetry, o.Checks)
	}
	return server.AdminHandler(o.Telemetry, o.Checks, server.WithIncidents(o.IncidentControl))
}

// Handler returns the whole HTTP surface: the API under /api/v1 and the
// admin endpoints GET /metrics, GET /livez and GET /healthz.
func (g *Gateway) Handler() http.Handler { return g.handler }

// middleware is the gateway's middleware chain, outermost first.
func (g *Gateway) middleware() []func(http.Handler) http.Handler { return g.chain }
