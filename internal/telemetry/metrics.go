package telemetry

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
)

// LatencyBuckets are the histogram buckets (seconds) ShopLab uses for
// request latencies: fine below 100 ms, where a healthy shop lives, and
// reaching 10 s, where injected faults and stalls land.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// LatencyBuckets returns a copy of the standard latency buckets.
func LatencyBuckets() []float64 { return append([]float64(nil), latencyBuckets...) }

// newRegistry returns a registry holding the Go runtime and process
// collectors and the instance's target_info (newTargetInfo).
func newRegistry(res *resource.Resource) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	err := Register(reg,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newTargetInfo(res.Attributes()),
	)
	if err != nil {
		return nil, err
	}
	return reg, nil
}

// MetricsHandler serves reg in the OpenMetrics format, the only exposition
// format that carries exemplars.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:          reg,
		EnableOpenMetrics: true,
	})
}

// ExemplarLabels returns the exemplar for ctx's sampled span, or nil.
func ExemplarLabels(ctx context.Context) prometheus.Labels {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() || !sc.IsSampled() {
		return nil
	}
	return prometheus.Labels{"trace_id": sc.TraceID().String()}
}

// Observe records v on o, with the current trace as exemplar when there is
// one, so that Grafana can jump from a latency bucket to a trace.
func Observe(ctx context.Context, o prometheus.Observer, v float64) {
	if ex := ExemplarLabels(ctx); ex != nil {
		if eo, ok := o.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(v, ex)
			return
		}
	}
	o.Observe(v)
}
