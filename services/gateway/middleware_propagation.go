package gateway

import (
	"net/http"

	"go.opentelemetry.io/otel/propagation"
)

// extractTraceContext continues the caller's trace (W3C traceparent) and
// takes its baggage, so that the load generator's trace and the shop's
// spans form one trace.
func (g *Gateway) extractTraceContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := g.tel.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
