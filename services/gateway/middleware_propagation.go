package gateway

import (
	"net/http"

	"go.opentelemetry.io/otel/propagation"

	"github.com/shoplab/shoplab/internal/region"
)

// extractTraceContext continues the caller's trace (W3C traceparent), so
// that the load generator's trace and the shop's spans form one trace. Of
// the caller's baggage only the member the shop defines, the region, is
// kept (and withRegion then sets it from X-Region): anything else would
// travel to every backend and into the events the shop publishes.
func extractTraceContext(prop propagation.TextMapPropagator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx = region.KeepOnly(ctx)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
