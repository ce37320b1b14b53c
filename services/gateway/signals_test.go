package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoplab/shoplab/internal/testkit"
)

// TestMeasureRequestsSwitch: with metrics off (SHOPLAB_SIGNALS) requests
// are answered but not counted or timed.
func TestMeasureRequestsSwitch(t *testing.T) {
	for _, tt := range []struct {
		name string
		on   bool
		want int
	}{
		{name: "on", on: true, want: 1},
		{name: "off", on: false, want: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := newHTTPMetrics(reg, func() bool { return false })
			if err != nil {
				t.Fatal(err)
			}
			h := measureRequests(m, tt.on)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/products", nil))
			if rec.Code != http.StatusNoContent {
				t.Fatalf("status %d, want 204", rec.Code)
			}
			for _, name := range []string{"shoplab_http_requests_total", "shoplab_http_request_duration_seconds"} {
				if got := len(testkit.MetricSeries(t, reg, name, nil)); got != tt.want {
					t.Errorf("%s: %d series, want %d", name, got, tt.want)
				}
			}
		})
	}
}
