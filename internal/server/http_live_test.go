package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// TestLivezAndHealthz: /livez, the liveness check, answers 200 whatever
// the checks say and while the server drains; /healthz, readiness, fails
// on either. The requests pass the drain's gate and the request limit as
// they do in ServeHTTPWith; while the server serves, another request holds
// its only request slot, so that /livez must also pass an overload.
func TestLivezAndHealthz(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	tests := []struct {
		name       string
		failing    bool
		draining   bool
		healthz    int
		healthzSay string
	}{
		{name: "healthy", healthz: http.StatusOK, healthzSay: "ok"},
		{name: "database down", failing: true, healthz: http.StatusServiceUnavailable, healthzSay: "unhealthy"},
		{name: "draining", draining: true, healthz: http.StatusServiceUnavailable, healthzSay: "draining"},
		{name: "draining with database down", failing: true, draining: true, healthz: http.StatusServiceUnavailable, healthzSay: "draining"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checks := map[string]Check{"database": func(context.Context) error { return nil }}
			if tc.failing {
				checks["database"] = func(context.Context) error { return errors.New("connection refused") }
			}
			mux := http.NewServeMux()
			AdminRoutes(mux, tel, checks)
			st := newStopping()
			if tc.draining {
				st.drain()
			}
			h := st.gate(limitRequests(1, mux))
			ctx := context.WithValue(t.Context(), stoppingKey{}, st)
			get := func(path string) (int, map[string]any) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil).WithContext(ctx))
				var body map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Errorf("GET %s: %d %q is not JSON: %v", path, rec.Code, rec.Body, err)
				}
				return rec.Code, body
			}
			// One request holds the only slot while the server serves: an
			// API request would now be shed.
			started, hold, held := make(chan struct{}), make(chan struct{}), make(chan struct{})
			mux.HandleFunc("GET /hold", func(http.ResponseWriter, *http.Request) { close(started); <-hold })
			if tc.draining {
				close(held)
			} else {
				go func() {
					defer close(held)
					h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/hold", nil).WithContext(ctx))
				}()
				<-started
			}
			defer func() { close(hold); <-held }()

			if code, body := get(LivePath); code != http.StatusOK || body["status"] != "ok" || len(body) != 1 {
				t.Errorf("GET /livez: %d %v, want 200 {\"status\":\"ok\"}", code, body)
			}
			if code, body := get(ReadyPath); code != tc.healthz || body["status"] != tc.healthzSay {
				t.Errorf("GET /healthz: %d %v, want %d status %q", code, body, tc.healthz, tc.healthzSay)
			}
		})
	}
}
