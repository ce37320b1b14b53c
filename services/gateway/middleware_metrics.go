package gateway

import (
	"net/http"
	"strconv"
	"time"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// measureRequests counts and times each request. It runs inside the span,
// so that a latency bucket's exemplar points at the request's trace. Off
// (SHOPLAB_SIGNALS without metrics), it passes requests through.
func measureRequests(m *httpMetrics, on bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if !on {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			m.inFlight.Inc()
			defer m.inFlight.Dec()

			sw := captureStatus(w)
			ctx, state := withRequestState(r.Context())
			next.ServeHTTP(sw, r.WithContext(ctx))

			route, method, reg := routeOf(r), methodLabel(r.Method), regionLabel(r)
			m.requests.WithLabelValues(route, method, strconv.Itoa(sw.code()), reg).Inc()
			m.byUser.count(route, state.userID)
			telemetry.Observe(r.Context(), m.duration.WithLabelValues(route, method, reg), time.Since(start).Seconds())
		})
	}
}
