package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/topology"
)

// TestIncidentsAnswerLoopbackOnly: the incident control surface, mounted
// by WithIncidents, refuses a caller off loopback with 403 not_loopback
// before it looks at the token, and the refused request changes nothing.
func TestIncidentsAnswerLoopbackOnly(t *testing.T) {
	const token = "0123456789abcdef"
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })

	for _, tt := range []struct {
		name, remote, method, path, body string
		want                             int
		wantCode                         string
	}{
		{"non-loopback", "192.0.2.9:1234", http.MethodPut, "/admin/incidents/region-outage", `{"region":"ap-south"}`, http.StatusForbidden, CodeNotLoopback},
		{"docker bridge", "172.17.0.1:5555", http.MethodGet, "/admin/incidents", "", http.StatusForbidden, CodeNotLoopback},
		{"loopback", "127.0.0.1:4000", http.MethodGet, "/admin/incidents", "", http.StatusOK, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			set := incident.NewSet(topology.Orders)
			h := AdminHandler(tel, nil, WithIncidents(incident.NewHandler(set, token, true)))
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			r.RemoteAddr = tt.remote
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			if got := set.Active(); len(got) != 0 {
				t.Errorf("request switched on %v", got)
			}
			if tt.wantCode == "" {
				return
			}
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("error body %q: %v", w.Body, err)
			}
			if body.Error.Code != tt.wantCode || body.Error.Message == "" {
				t.Errorf("error = %+v, want code %s and a message", body.Error, tt.wantCode)
			}
		})
	}
}
