package incident

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/topology"
)

const testToken = "0123456789abcdef"

// TestHandlerRefusals checks every refusal of the control surface and
// that a refused request changes nothing.
func TestHandlerRefusals(t *testing.T) {
	tests := []struct {
		name     string
		remote   string
		enabled  bool
		token    string // the server's
		auth     string // the request's header
		method   string
		path     string
		body     string
		want     int
		wantCode string
	}{
		{"no token", "127.0.0.1:4000", true, testToken, "", http.MethodPut, "/admin/incidents/region-outage", `{"region":"ap-south"}`, http.StatusUnauthorized, CodeUnauthorized},
		{"wrong token", "127.0.0.1:4000", true, testToken, "Bearer nope", http.MethodPut, "/admin/incidents/region-outage", `{"region":"ap-south"}`, http.StatusUnauthorized, CodeUnauthorized},
		{"wrong scheme", "127.0.0.1:4000", true, testToken, "Basic " + testToken, http.MethodGet, "/admin/incidents", "", http.StatusUnauthorized, CodeUnauthorized},
		{"server without token", "127.0.0.1:4000", true, "", "Bearer ", http.MethodGet, "/admin/incidents", "", http.StatusUnauthorized, CodeUnauthorized},
		{"faults off", "127.0.0.1:4000", false, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/region-outage", `{"region":"ap-south"}`, http.StatusForbidden, CodeFaultsDisabled},
		{"unknown name", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/meteor-strike", `{}`, http.StatusNotFound, CodeUnknownIncident},
		{"another service's incident", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/slow-query", `{"rpc":"GetProduct"}`, http.StatusNotFound, CodeUnknownIncident},
		{"unknown name on delete", "[::1]:4000", true, testToken, "Bearer " + testToken, http.MethodDelete, "/admin/incidents/meteor-strike", "", http.StatusNotFound, CodeUnknownIncident},
		{"bad region", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/region-outage", `{"region":"mars"}`, http.StatusBadRequest, CodeInvalidParams},
		{"missing region", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/region-outage", ``, http.StatusBadRequest, CodeInvalidParams},
		{"unknown parameter", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/outbox-stalled", `{"speed":"1"}`, http.StatusBadRequest, CodeInvalidParams},
		{"bad duration", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/lock-contention", `{"hold":"soon"}`, http.StatusBadRequest, CodeInvalidParams},
		{"hold not shorter than every", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/lock-contention", `{"hold":"1s","every":"1s"}`, http.StatusBadRequest, CodeInvalidParams},
		{"not an object", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/region-outage", `["ap-south"]`, http.StatusBadRequest, CodeInvalidJSON},
		{"not strings", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPut, "/admin/incidents/lock-contention", `{"hold":300}`, http.StatusBadRequest, CodeInvalidJSON},
		{"method", "127.0.0.1:4000", true, testToken, "Bearer " + testToken, http.MethodPost, "/admin/incidents", "", http.StatusMethodNotAllowed, CodeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := NewSet(topology.Orders)
			h := NewHandler(set, tt.token, tt.enabled)
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			r.RemoteAddr = tt.remote
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("error body %q: %v", w.Body, err)
			}
			if body.Error.Code != tt.wantCode || body.Error.Message == "" {
				t.Errorf("error = %+v, want code %s and a message", body.Error, tt.wantCode)
			}
			if got := set.Active(); len(got) != 0 {
				t.Errorf("refused request switched on %v", got)
			}
		})
	}
}

// TestHandlerSwitches drives the whole surface over loopback HTTP with the
// client.
func TestHandlerSwitches(t *testing.T) {
	set := NewSet(topology.Orders)
	srv := httptest.NewServer(NewHandler(set, testToken, true))
	t.Cleanup(srv.Close)
	c := Client{Token: testToken}
	ctx := t.Context()

	if err := c.Set(ctx, srv.URL, RegionOutage, Params{ParamRegion: "eu-west"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, srv.URL, LockContention, Params{ParamHold: "100ms"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, srv.URL, OutboxStalled, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.List(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	want := []Active{
		{Name: LockContention, Params: Params{ParamHold: "100ms", ParamEvery: "500ms"}},
		{Name: OutboxStalled},
		{Name: RegionOutage, Params: Params{ParamRegion: "eu-west"}},
	}
	if !equalActive(got, want) {
		t.Fatalf("List = %+v, want %+v", got, want)
	}
	if !set.RegionDown("eu-west") || set.RegionDown("us-east") || !set.OutboxStalled() {
		t.Error("the set does not act as listed")
	}
	if hold, every, on := set.LockContention(); !on || hold.String() != "100ms" || every.String() != "500ms" {
		t.Errorf("LockContention = %v, %v, %v", hold, every, on)
	}

	if err := c.Remove(ctx, srv.URL, RegionOutage); err != nil {
		t.Fatal(err)
	}
	if set.RegionDown("eu-west") {
		t.Error("region-outage still on after Remove")
	}
	if err := c.Clear(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.List(ctx, srv.URL); len(got) != 0 {
		t.Errorf("List after Clear = %v", got)
	}

	err = c.Set(ctx, srv.URL, SMTPSlow, nil)
	if !errors.Is(err, ErrUnknown) {
		t.Errorf("Set(smtp-slow) on orders = %v, want ErrUnknown", err)
	}
	err = Client{Token: "wrong"}.Clear(ctx, srv.URL)
	var se *StatusError
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &se) || se.Code != CodeUnauthorized {
		t.Errorf("Clear with a wrong token = %v, want ErrUnauthorized", err)
	}
}

func equalActive(a, b []Active) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Params) != len(b[i].Params) {
			return false
		}
		for k, v := range a[i].Params {
			if b[i].Params[k] != v {
				return false
			}
		}
	}
	return true
}
