package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// httpMetrics are the gateway's RED metrics. Labels are bounded: route is
// the route template or "unmatched", method the standard set or _OTHER,
// region the fixed set or "unknown", status an HTTP code.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	byUser   *userRequests
}

// newHTTPMetrics registers the gateway's metrics in reg. It fails if they
// are already there: one gateway per registry. perUser reports whether the
// per-user counter counts (the lab's cardinality incident).
func newHTTPMetrics(reg prometheus.Registerer, perUser func() bool) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_http_requests_total",
			Help: "HTTP requests the gateway answered, by route template, method, status code and client region.",
		}, []string{"route", "method", "status", "region"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shoplab_http_request_duration_seconds",
			Help:    "Time the gateway took to answer an HTTP request, by route template, method and client region.",
			Buckets: telemetry.LatencyBuckets(),
		}, []string{"route", "method", "region"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shoplab_http_requests_in_flight",
			Help: "HTTP requests the gateway is answering right now.",
		}),
		byUser: newUserRequests(perUser),
	}
	if err := telemetry.Register(reg, m.requests, m.duration, m.inFlight, m.byUser); err != nil {
		return nil, err
	}
	return m, nil
}
