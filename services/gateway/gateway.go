// Package gateway is ShopEase's public HTTP API. It is the only entry point
// from outside: it checks and translates JSON requests into gRPC calls to
// the auth, catalog and orders services, and it is where a request's trace,
// region and injected faults begin.
package gateway

import (
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/trace"

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
}

// Gateway serves the public API. Build it with New.
type Gateway struct {
	tel     *telemetry.Telemetry
	log     *slog.Logger
	tracer  trace.Tracer
	metrics *httpMetrics
	auth    shopv1.AuthServiceClient
	catalog shopv1.CatalogServiceClient
	orders  shopv1.OrdersServiceClient
	handler http.Handler
	faults  bool
}

// New builds the gateway and registers its HTTP metrics in
// o.Telemetry.Registry.
func New(o Options) *Gateway {
	g := &Gateway{
		tel:     o.Telemetry,
		log:     o.Telemetry.Logger,
		tracer:  o.Telemetry.Tracer(),
		auth:    o.Auth,
		catalog: o.Catalog,
		orders:  o.Orders,
		faults:  o.Faults,
	}
	g.metrics = newHTTPMetrics(o.Telemetry.Registry, g.log)
	g.handler = g.newRouter(o.Checks)
	return g
}

// Handler returns the whole HTTP surface: the API under /api/v1 and the
// admin endpoints GET /metrics and GET /healthz.
func (g *Gateway) Handler() http.Handler { return g.handler }
