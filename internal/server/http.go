package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// Check reports whether a dependency is usable; nil means healthy.
type Check func(ctx context.Context) error

// AdminOption adds to the admin endpoints.
type AdminOption func(*http.ServeMux)

// LivePath and ReadyPath are the admin endpoints a process supervisor
// probes (deploy/k8s): LivePath for liveness and start-up, ReadyPath for
// readiness.
const (
	LivePath  = "/livez"
	ReadyPath = "/healthz"
)

// AdminRoutes adds /metrics, /livez, /healthz and the Go profiles under
// PprofPrefix (loopback callers only) to mux, and what opts add.
//
// /healthz is the readiness check, deep: it answers 200 when every check
// passes and 503 with the failures otherwise, or 503 with status
// "draining", without running the checks, once the server stops
// (ServeHTTPWith): whoever probes it should send no more work.
//
// /livez is the liveness check, shallow: 200 {"status":"ok"} whenever the
// process answers HTTP at all, whatever its dependencies say and while it
// drains. Restarting a process cures neither a database outage nor a
// stop in progress: a liveness probe on /healthz would turn the first into
// a restart of every pod and cut the second short.
func AdminRoutes(mux *http.ServeMux, t *telemetry.Telemetry, checks map[string]Check, opts ...AdminOption) {
	for _, o := range opts {
		o(mux)
	}
	mux.Handle("GET /metrics", telemetry.MetricsHandler(t.Registry))
	pprofRoutes(mux)
	mux.HandleFunc("GET "+LivePath, serveLive)
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		body := struct {
			Service string            `json:"service"`
			Status  string            `json:"status"`
			Checks  map[string]string `json:"checks,omitempty"`
		}{Service: t.Service, Status: "ok", Checks: map[string]string{}}
		code := http.StatusOK
		if Draining(r.Context()) {
			body.Status, code, checks = "draining", http.StatusServiceUnavailable, nil
		}
		for name, check := range checks {
			if err := check(ctx); err != nil {
				body.Checks[name] = err.Error()
				body.Status = "unhealthy"
				code = http.StatusServiceUnavailable
				continue
			}
			body.Checks[name] = "ok"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(body)
	})
}

// AdminHandler is the admin endpoints alone, for services whose API is not
// HTTP.
func AdminHandler(t *telemetry.Telemetry, checks map[string]Check, opts ...AdminOption) http.Handler {
	mux := http.NewServeMux()
	AdminRoutes(mux, t, checks, opts...)
	return mux
}

// liveBody is /livez's answer: fixed, so that answering costs nothing.
const liveBody = `{"status":"ok"}` + "\n"

func serveLive(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	// The prober may be gone already; there is no one to tell.
	_, _ = io.WriteString(w, liveBody)
}
