package gateway

import (
	"net/http"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestRegion: X-Region is normalised, echoed, used as the metric label and
// carried to the backend as baggage.
func TestRegion(t *testing.T) {
	tests := []struct {
		header string
		want   string
	}{
		{header: "EU-West", want: "eu-west"},
		{header: " us-east ", want: "us-east"},
		{header: "mars", want: "unknown"},
		{header: "", want: "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			env := newEnv(t, nil)
			r := env.do(t, http.MethodGet, "/api/v1/products", map[string]string{"X-Region": tc.header}, "")
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if got := r.header.Get("X-Region"); got != tc.want {
				t.Errorf("X-Region answered %q, want %q", got, tc.want)
			}
			labels := prometheus.Labels{"route": "/api/v1/products", "method": "GET", "status": "200", "region": tc.want}
			if v := env.counter(t, "shoplab_http_requests_total", labels); v != 1 {
				t.Errorf("requests_total%v = %v, want 1", labels, v)
			}
			c, ok := env.rec.last("ListProducts")
			if !ok {
				t.Fatal("catalog was not called")
			}
			if c.region != tc.want {
				t.Errorf("catalog saw region %q, want %q", c.region, tc.want)
			}
			if line := env.requestLine(t, "/api/v1/products"); line["region"] != tc.want {
				t.Errorf("log line region %v, want %q", line["region"], tc.want)
			}
		})
	}
}

// TestClientBaggageFiltered: of the caller's baggage only the region
// reaches the backends, and it is the one X-Region names: members a
// client makes up (role=admin) must not travel into the shop.
func TestClientBaggageFiltered(t *testing.T) {
	tests := []struct {
		name, baggage, region string
		want                  []string
	}{
		{name: "made-up members", baggage: "role=admin,tenant=x,region=eu-west", region: "eu-west", want: []string{"shoplab.region=eu-west"}},
		{name: "region member of its own", baggage: "shoplab.region=us-east,role=admin", region: "", want: []string{"shoplab.region=unknown"}},
		{name: "bad region member", baggage: "shoplab.region=mars;p=1", region: "sa-east", want: []string{"shoplab.region=sa-east"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, nil)
			r := env.do(t, http.MethodGet, "/api/v1/products", map[string]string{"baggage": tc.baggage, "X-Region": tc.region}, "")
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			c, ok := env.rec.last("ListProducts")
			if !ok {
				t.Fatal("catalog was not called")
			}
			if !slices.Equal(c.baggage, tc.want) {
				t.Errorf("catalog saw baggage %q, want %q", c.baggage, tc.want)
			}
		})
	}
}
