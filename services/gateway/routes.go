package gateway

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/shoplab/shoplab/internal/server"
)

// routeUnmatched is the route label of a request no route matched. The raw
// path must never become a label: every typo would make a new series.
const routeUnmatched = "unmatched"

func (g *Gateway) newRouter(checks map[string]server.Check) *chi.Mux {
	root := chi.NewRouter()

	// The admin endpoints stay outside the instrumented group: Prometheus
	// scrapes and health probes would drown the shop's own traffic.
	admin := server.AdminHandler(g.tel, checks)
	root.Get("/metrics", admin.ServeHTTP)
	root.Get("/healthz", admin.ServeHTTP)

	chain := g.middleware()
	root.Group(func(r chi.Router) {
		r.Use(chain...)
		r.Post("/api/v1/auth/register", g.register)
		r.Post("/api/v1/auth/login", g.login)
		r.Get("/api/v1/products", g.listProducts)
		r.Get("/api/v1/products/{id}", g.getProduct)
		r.Post("/api/v1/orders", g.placeOrder)
		r.Get("/api/v1/orders/{id}", g.getOrder)
	})
	// Requests that match no route are traced, counted and logged too, as
	// route "unmatched": a flood of 404s is worth seeing.
	root.NotFound(chi.Chain(chain...).HandlerFunc(g.notFound).ServeHTTP)
	root.MethodNotAllowed(chi.Chain(chain...).HandlerFunc(g.methodNotAllowed(root)).ServeHTTP)
	return root
}

// middleware is the instrumentation chain, outermost first. The trace
// context and region are in the context before the span starts, so the span
// joins the caller's trace and carries the region. Metrics and the log line
// wrap everything that can answer, including panics, bad fault headers and
// the 503 of a request the server's stop cut.
func (g *Gateway) middleware() []func(http.Handler) http.Handler {
	return []func(http.Handler) http.Handler{
		g.extractTraceContext,
		g.withRegion,
		g.traceRequests,
		g.measureRequests,
		g.logRequests,
		g.answerAtHardStop,
		g.recoverPanics,
		g.injectFaults,
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

func (g *Gateway) notFound(w http.ResponseWriter, r *http.Request) {
	g.fail(w, r, apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such route; the API lives under /api/v1"})
}

// methodNotAllowed answers 405 with the Allow header chi leaves out when a
// custom handler is set. A method no route knows at all on a path no route
// has is a 404, not a 405.
func (g *Gateway) methodNotAllowed(root *chi.Mux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
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
			g.notFound(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		g.fail(w, r, apiError{
			Status:  http.StatusMethodNotAllowed,
			Code:    CodeMethodNotAllowed,
			Message: fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, strings.Join(allowed, ", ")),
		})
	}
}
