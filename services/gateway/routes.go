package gateway

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// routeUnmatched is the route label of a request no route matched. The raw
// path must never become a label: every typo would make a new series.
const routeUnmatched = "unmatched"

// routes builds the gateway's HTTP surface. Each handler is given what it
// uses and nothing more.
func routes(
	log *slog.Logger,
	admin http.Handler,
	incidents bool,
	chain []func(http.Handler) http.Handler,
	auth shopv1.AuthServiceClient,
	catalog shopv1.CatalogServiceClient,
	orders shopv1.OrdersServiceClient,
) *chi.Mux {
	root := chi.NewRouter()

	// The admin endpoints stay outside the chain: Prometheus scrapes and
	// health probes would drown the shop's own traffic.
	root.Method(http.MethodGet, "/metrics", admin)
	// Liveness (shallow) and readiness (deep, the backends' health):
	// server.AdminRoutes says why they differ.
	root.Method(http.MethodGet, server.LivePath, admin)
	root.Method(http.MethodGet, server.ReadyPath, admin)
	// Go's profiles, for loopback callers only (the admin handler
	// refuses others).
	root.Handle(server.PprofPrefix+"*", admin)
	if incidents {
		// The lab's incident switches, for loopback callers only too:
		// never counted, traced or logged, so that nothing names an
		// incident.
		root.Handle(incident.RoutePrefix, admin)
		root.Handle(incident.RoutePrefix+"/*", admin)
	}

	root.Group(func(r chi.Router) {
		r.Use(chain...)
		r.Method(http.MethodPost, "/api/v1/auth/register", handleRegister(log, auth))
		r.Method(http.MethodPost, "/api/v1/auth/login", handleLogin(log, auth))
		r.Method(http.MethodGet, "/api/v1/products", handleListProducts(log, catalog))
		r.Method(http.MethodGet, "/api/v1/products/{id}", handleGetProduct(log, catalog))
		r.Method(http.MethodPost, "/api/v1/orders", handlePlaceOrder(log, auth, orders))
		r.Method(http.MethodGet, "/api/v1/orders/{id}", handleGetOrder(log, auth, orders))
	})
	// Requests that match no route pass the chain too, as route
	// "unmatched": a flood of 404s is worth seeing.
	root.NotFound(chi.Chain(chain...).Handler(handleNotFound(log)).ServeHTTP)
	root.MethodNotAllowed(chi.Chain(chain...).Handler(handleMethodNotAllowed(log, root)).ServeHTTP)
	return root
}

// middlewareChain is the chain every API request passes, outermost first.
// The trace context and region are in the context before the span starts,
// so the span joins the caller's trace and carries the region. Metrics and
// the log line wrap everything that can answer, including panics, bad
// fault headers and the 503 of a request the server's stop cut.
func middlewareChain(tel *telemetry.Telemetry, metrics *httpMetrics, faults bool) []func(http.Handler) http.Handler {
	return []func(http.Handler) http.Handler{
		extractTraceContext(tel.Propagator),
		withRegion,
		traceRequests(tel.Tracer()),
		measureRequests(metrics, tel.Signals.Metrics()),
		logRequests(tel.Logger),
		answerAtHardStop,
		recoverPanics(tel.Logger),
		injectFaults(tel.Logger, faults),
	}
}

// routeOf returns the route template chi matched, or routeUnmatched.
func routeOf(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if p := rctx.RoutePattern(); p != "" {
			return p
		}
	}
	return routeUnmatched
}

// handleNotFound answers a request no route matched.
func handleNotFound(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(log, w, r, apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such route; the API lives under /api/v1"})
	})
}

// handleMethodNotAllowed answers 405 with the Allow header chi leaves out
// when a custom handler is set. A method no route knows at all on a path
// no route has is a 404, not a 405.
func handleMethodNotAllowed(log *slog.Logger, root *chi.Mux) http.Handler {
	notFound := handleNotFound(log)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
		var allowed []string
		// The methods the API's routes use.
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			if root.Match(chi.NewRouteContext(), m, path) {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) == 0 {
			notFound.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		fail(log, w, r, apiError{
			Status:  http.StatusMethodNotAllowed,
			Code:    CodeMethodNotAllowed,
			Message: fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, strings.Join(allowed, ", ")),
		})
	})
}
