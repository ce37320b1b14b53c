package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/server"
)

// TestPprofOnAdminRoutes: the gateway, whose API and admin endpoints share
// one port, serves Go's profiles beside /metrics to loopback callers,
// outside the measured chain (no request counted or logged), and refuses
// them to anyone else.
func TestPprofOnAdminRoutes(t *testing.T) {
	env := newEnv(t, nil)
	// httptest.NewServer listens on 127.0.0.1: a loopback caller.
	r := env.do(t, http.MethodGet, "/debug/pprof/goroutine?debug=1", nil, "")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "goroutine profile") {
		t.Fatalf("status %d: %.300s", r.status, r.body)
	}
	if strings.Contains(env.logs.String(), "/debug/pprof") {
		t.Errorf("a profile request was logged as API traffic:\n%s", env.logs.String())
	}

	for _, remote := range []string{"172.18.0.1:51000", "[2001:db8::7]:51000"} {
		req := httptest.NewRequest(http.MethodGet, "/debug/pprof/heap", nil)
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		env.gw.Handler().ServeHTTP(w, req)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), server.CodeNotLoopback) {
			t.Errorf("from %s: status %d, body %s; want 403 %s", remote, w.Code, w.Body, server.CodeNotLoopback)
		}
	}
}
