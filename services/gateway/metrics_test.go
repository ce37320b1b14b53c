package gateway

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
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
		{prometheus.Labels{"route": "/metrics"}, 0},
		{prometheus.Labels{"route": "/healthz"}, 0},
	}
	for _, tc := range tests {
		if v := env.counter(t, "shoplab_http_requests_total", tc.labels); v != tc.want {
			t.Errorf("shoplab_http_requests_total%v = %v, want %v", tc.labels, v, tc.want)
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

// TestNewTwiceSharesMetrics: a second gateway on the same telemetry must
// not panic on registration and counts into the same series.
func TestNewTwiceSharesMetrics(t *testing.T) {
	env := newEnv(t, nil)
	second := New(Options{Telemetry: env.tel, Catalog: env.gw.catalog})
	rec := httptest.NewRecorder()
	second.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/products", nil))
	env.do(t, http.MethodGet, "/api/v1/products", nil, "")
	labels := prometheus.Labels{"route": "/api/v1/products", "status": "200"}
	if v := env.counter(t, "shoplab_http_requests_total", labels); v != 2 {
		t.Errorf("requests_total%v = %v, want 2", labels, v)
	}
}
