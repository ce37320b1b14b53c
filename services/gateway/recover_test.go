package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// TestPanicBecomes500: a panicking handler answers 500 JSON, is logged at
// error level and counted, and the gateway keeps serving.
func TestPanicBecomes500(t *testing.T) {
	env := newEnv(t, nil)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  int
	}{
		{name: "before answering", handler: func(http.ResponseWriter, *http.Request) { panic("boom") }, status: 500},
		{name: "after answering", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			panic("late boom")
		}, status: 202},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := chi.Chain(env.gw.middleware()...).Handler(tc.handler)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic/"+strings.ReplaceAll(tc.name, " ", "-"), nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if tc.status == 500 {
				r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
				if e := r.errorOf(t); e.Code != CodeInternal || e.Message != "internal error" {
					t.Errorf("error %+v", e)
				}
			}
			line := env.requestLine(t, "/panic/"+strings.ReplaceAll(tc.name, " ", "-"))
			if line["error_code"] != CodeInternal {
				t.Errorf("request line %v lacks error_code internal", line)
			}
		})
	}
	if n := len(env.logs.lines(t, "panic in HTTP handler")); n != 2 {
		t.Errorf("%d panic log lines, want 2", n)
	}
	if v := env.counter(t, "shoplab_http_requests_total", prometheus.Labels{"route": routeUnmatched, "status": "500"}); v != 1 {
		t.Errorf("500s counted: %v, want 1", v)
	}
	if r := env.do(t, http.MethodGet, "/api/v1/products", nil, ""); r.status != http.StatusOK {
		t.Errorf("after the panics: %d", r.status)
	}
}
