package gateway

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// TestMetricsUseRouteTemplates: labels name the route template, never the
// raw path, and the admin endpoints are not counted.
func TestMetricsUseRouteTemplates(t *testing.T) {
	env := newEnv(t, nil)
	for _, p := range []string{"/api/v1/products/7", "/api/v1/products/8", "/no/such/path-xyz", "/api/v1/products/abc"} {
		env.do(t, http.MethodGet, p, nil, "")
	}
	env.do(t, http.MethodDelete, "/api/v1/products/9", nil, "")
	env.do(t, "BREW", "/api/v1/products", nil, "")
	env.do(t, http.MethodGet, "/healthz", nil, "")
	env.scrape(t, "text/plain")

	tests := []struct {
		labels prometheus.Labels
		want   float64
	}{
		{prometheus.Labels{"route": "/api/v1/products/{id}", "method": "GET", "status": "200"}, 2},
		{prometheus.Labels{"route": "/api/v1/products/{id}", "method": "GET", "status": "400"}, 1},
		{prometheus.Labels{"route": routeUnmatched, "method": "GET", "status": "404"}, 1},
		{prometheus.Labels{"route": routeUnmatched, "method": "DELETE", "status": "405"}, 1},
		{prometheus.Labels{"route": routeUnmatched, "method": methodOther, "status": "405"}, 1},
	}
	for _, tc := range tests {
		if v := env.counter(t, "shoplab_http_requests_total", tc.labels); v != tc.want {
			t.Errorf("shoplab_http_requests_total%v = %v, want %v", tc.labels, v, tc.want)
		}
	}
	for _, route := range []string{"/metrics", "/healthz"} {
		if s := env.series(t, "shoplab_http_requests_total", prometheus.Labels{"route": route}); len(s) != 0 {
			t.Errorf("shoplab_http_requests_total counted %s: %d series, want none", route, len(s))
		}
	}
	if n := len(env.series(t, "shoplab_http_requests_total", nil)); n != 5 {
		t.Errorf("%d request series, want 5 (one per route, method and status seen)", n)
	}

	text := env.scrape(t, "text/plain")
	for _, raw := range []string{"/api/v1/products/7", "/api/v1/products/abc", "path-xyz", "BREW", "/healthz"} {
		if strings.Contains(text, raw) {
			t.Errorf("/metrics contains the raw %q", raw)
		}
	}
	for _, name := range []string{"shoplab_http_request_duration_seconds_bucket", "shoplab_http_requests_in_flight 0"} {
		if !strings.Contains(text, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestLatencyExemplars: in OpenMetrics, a latency bucket carries the trace
// ID of a request that landed in it.
func TestLatencyExemplars(t *testing.T) {
	env := newEnv(t, nil)
	r := env.do(t, http.MethodGet, "/api/v1/products", map[string]string{"X-Region": "ap-south"}, "")
	traceID := r.header.Get(TraceIDHeader)

	text := env.scrape(t, "application/openmetrics-text; version=1.0.0")
	exemplar := regexp.MustCompile(`(?m)^shoplab_http_request_duration_seconds_bucket\{[^}]*route="/api/v1/products"[^}]*\} \d+ # \{trace_id="([0-9a-f]{32})"\}`)
	m := exemplar.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no duration bucket with a trace_id exemplar in:\n%s", grep(text, "shoplab_http_request_duration_seconds"))
	}
	if m[1] != traceID {
		t.Errorf("exemplar trace_id %s, want the request's %s", m[1], traceID)
	}
}

func grep(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestNewFailsWhenMetricsTaken: a gateway whose metrics cannot be
// registered fails at construction and says which metric, instead of
// logging and carrying on with metrics that are never exported, or sharing
// another gateway's.
func TestNewFailsWhenMetricsTaken(t *testing.T) {
	tests := []struct {
		name string
		// take puts something into tel's registry before New.
		take    func(t *testing.T, tel *telemetry.Telemetry)
		metric  string
		already bool
	}{
		{
			name: "second gateway",
			take: func(t *testing.T, tel *telemetry.Telemetry) {
				if _, err := New(Options{Telemetry: tel}); err != nil {
					t.Fatalf("first New: %v", err)
				}
			},
			metric:  "shoplab_http_requests_total",
			already: true,
		},
		{
			name: "name clash",
			take: func(t *testing.T, tel *telemetry.Telemetry) {
				tel.Registry.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{
					Name: "shoplab_http_requests_in_flight",
					Help: "Something else.",
				}))
			},
			metric: "shoplab_http_requests_in_flight",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncBuffer{}
			tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "gateway", Stdout: logs})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tel.Shutdown(context.Background()) })
			tc.take(t, tel)

			gw, err := New(Options{Telemetry: tel})
			if err == nil {
				t.Fatal("New succeeded on a registry holding its metrics; want an error")
			}
			if gw != nil {
				t.Error("New returned a gateway along with its error")
			}
			if !strings.Contains(err.Error(), tc.metric) {
				t.Errorf("error %q does not name %s", err, tc.metric)
			}
			var already prometheus.AlreadyRegisteredError
			if got := errors.As(err, &already); got != tc.already {
				t.Errorf("errors.As(%q, AlreadyRegisteredError) = %v, want %v", err, got, tc.already)
			}
			if l := logs.String(); l != "" {
				t.Errorf("New logged %q; the error is the caller's to report", l)
			}
		})
	}
}
