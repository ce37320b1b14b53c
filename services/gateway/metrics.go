package gateway

import (
	"context"
	"errors"
	"log/slog"

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
}

func newHTTPMetrics(reg prometheus.Registerer, log *slog.Logger) *httpMetrics {
	return &httpMetrics{
		requests: registerCollector(reg, log, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_http_requests_total",
			Help: "HTTP requests the gateway answered, by route template, method, status code and client region.",
		}, []string{"route", "method", "status", "region"})),
		duration: registerCollector(reg, log, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shoplab_http_request_duration_seconds",
			Help:    "Time the gateway took to answer an HTTP request, by route template, method and client region.",
			Buckets: telemetry.LatencyBuckets(),
		}, []string{"route", "method", "region"})),
		inFlight: registerCollector(reg, log, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shoplab_http_requests_in_flight",
			Help: "HTTP requests the gateway is answering right now.",
		})),
	}
}

// registerCollector adds c to reg. A gateway built twice on one registry
// shares the collectors already there instead of panicking.
func registerCollector[C prometheus.Collector](reg prometheus.Registerer, log *slog.Logger, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing
		}
	}
	// The definitions above are fixed, so this means a name clash with
	// another collector: the metric is still counted, just not exported.
	log.ErrorContext(context.Background(), "registering gateway metric", "error", err)
	return c
}
