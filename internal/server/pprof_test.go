package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// TestAdminServesProfilesToLoopbackOnly: the admin endpoints serve Go's
// profiles to a loopback caller, and refuse them, 403 with a JSON error,
// to any other, as a compose-mode caller on the docker network is.
func TestAdminServesProfilesToLoopbackOnly(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	h := AdminHandler(tel, nil)

	for _, tt := range []struct {
		name, remote, path string
		want               int
		// wantIn is a piece of a profile's answer.
		wantIn string
	}{
		{"index from IPv4 loopback", "127.0.0.1:40000", "/debug/pprof/", http.StatusOK, "goroutine"},
		{"index from IPv6 loopback", "[::1]:40000", "/debug/pprof/", http.StatusOK, "goroutine"},
		{"named profile from loopback", "127.0.0.1:40000", "/debug/pprof/goroutine?debug=1", http.StatusOK, "goroutine profile"},
		{"cmdline from loopback", "127.0.0.1:40000", "/debug/pprof/cmdline", http.StatusOK, ""},
		{"index from the docker network", "172.18.0.5:40000", "/debug/pprof/", http.StatusForbidden, ""},
		{"heap from another host", "192.0.2.9:1234", "/debug/pprof/heap", http.StatusForbidden, ""},
		{"cpu profile from IPv6", "[2001:db8::1]:1234", "/debug/pprof/profile?seconds=1", http.StatusForbidden, ""},
		{"unparsable address", "somewhere", "/debug/pprof/", http.StatusForbidden, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			r.RemoteAddr = tt.remote
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			body, _ := io.ReadAll(w.Result().Body)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, body)
			}
			if tt.want == http.StatusForbidden {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != CodeNotLoopback {
					t.Fatalf("body %q, want a JSON error of code %q (%v)", body, CodeNotLoopback, err)
				}
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q, want application/json", ct)
				}
				return
			}
			if !strings.Contains(string(body), tt.wantIn) {
				t.Errorf("body does not contain %q: %.300s", tt.wantIn, body)
			}
		})
	}
}

// TestProfileOverTheListener: a real loopback connection, the way
// `go tool pprof http://127.0.0.1:<admin port>/debug/pprof/...` asks,
// gets a profile through ServeHTTPWith's limits.
func TestProfileOverTheListener(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	addr := serve(t, AdminHandler(tel, nil), HTTPOptions{})
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "heap profile") {
		t.Fatalf("status %d: %.300s", resp.StatusCode, body)
	}
}
