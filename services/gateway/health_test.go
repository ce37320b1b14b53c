package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/server"
)

// TestHealthz reports the checks the lead passes in.
func TestHealthz(t *testing.T) {
	tests := []struct {
		name   string
		checks map[string]server.Check
		status int
		want   string
	}{
		{name: "healthy", checks: map[string]server.Check{"catalog": func(context.Context) error { return nil }}, status: 200, want: "ok"},
		{name: "catalog down", checks: map[string]server.Check{"catalog": func(context.Context) error { return errors.New("connection refused") }}, status: 503, want: "unhealthy"},
		{name: "no checks", status: 200, want: "ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, tc.checks)
			r := env.do(t, http.MethodGet, "/healthz", nil, "")
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			var body struct {
				Service string            `json:"service"`
				Status  string            `json:"status"`
				Checks  map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatalf("%s: %v", r.body, err)
			}
			if body.Status != tc.want || body.Service != "gateway" {
				t.Errorf("healthz %+v", body)
			}
			if tc.checks != nil && body.Checks["catalog"] == "" {
				t.Errorf("healthz does not report the catalog check: %s", r.body)
			}
		})
	}
}

// TestLivez: the gateway's liveness check answers 200 whatever its backends'
// health, which only its readiness (/healthz) reports: an auth outage must
// not have every gateway restarted.
func TestLivez(t *testing.T) {
	tests := []struct {
		name    string
		checks  map[string]server.Check
		healthz int
	}{
		{name: "backends healthy", checks: map[string]server.Check{"auth": func(context.Context) error { return nil }}, healthz: 200},
		{name: "auth down", checks: map[string]server.Check{"auth": func(context.Context) error { return errors.New("connection refused") }}, healthz: 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, tc.checks)
			live := env.do(t, http.MethodGet, server.LivePath, nil, "")
			if live.status != http.StatusOK || strings.TrimSpace(string(live.body)) != `{"status":"ok"}` {
				t.Errorf("/livez: %d %s, want 200 {\"status\":\"ok\"}", live.status, live.body)
			}
			if r := env.do(t, http.MethodGet, server.ReadyPath, nil, ""); r.status != tc.healthz {
				t.Errorf("/healthz: %d %s, want %d", r.status, r.body, tc.healthz)
			}
		})
	}
}

// fetchStatus is the status of GET url, 0 when it fails.
func fetchStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
