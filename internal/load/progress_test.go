package load

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestProgressBreaksDownByRegionAndEndpoint checks that the live snapshots
// carry per-region and per-endpoint numbers that add up to the totals and
// agree with the final result.
func TestProgressBreaksDownByRegionAndEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"products":[{"id":1}],"id":1}`))
	}))
	defer srv.Close()
	sc := mustScenario(t, `rate: 100
duration: 1500ms
regions: {us-east: 1, eu-west: 1}
journeys:
  - name: list
    steps: [{method: GET, route: /api/v1/products}]
  - name: one
    steps: [{method: GET, route: "/api/v1/products/{id}", params: {id: "1"}}]
`)
	var (
		mu   sync.Mutex
		last Progress
		n    int
	)
	res := runEngine(t, sc, Options{Target: srv.URL, Seed: 1, ProgressEvery: 100 * time.Millisecond, Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		last, n = p, n+1
	}})
	mu.Lock()
	defer mu.Unlock()
	if n == 0 {
		t.Fatal("no progress reported")
	}
	if len(last.Regions) != 2 || last.Regions[0].Region != "us-east" || last.Regions[1].Region != "eu-west" {
		t.Fatalf("regions = %+v, want us-east and eu-west in run order", last.Regions)
	}
	var byRegion, byEndpoint int64
	for _, r := range last.Regions {
		byRegion += r.Requests
	}
	for _, e := range last.Endpoints {
		byEndpoint += e.Requests
		if e.Requests > 0 && e.P99 <= 0 {
			t.Errorf("%s %s: p99 %v with %d requests", e.Method, e.Route, e.P99, e.Requests)
		}
	}
	if len(last.Endpoints) != 2 {
		t.Fatalf("endpoints = %+v, want the two the scenario calls", last.Endpoints)
	}
	if byRegion != last.Requests || byEndpoint != last.Requests {
		t.Fatalf("regions sum to %d, endpoints to %d, total is %d", byRegion, byEndpoint, last.Requests)
	}
	if last.Requests > res.Total.Requests {
		t.Fatalf("a snapshot counted %d requests, more than the result's %d", last.Requests, res.Total.Requests)
	}
	if last.Generator.Saturated != res.Generator.Saturated {
		t.Fatalf("live saturation %v, final %v", last.Generator.Saturated, res.Generator.Saturated)
	}
}
