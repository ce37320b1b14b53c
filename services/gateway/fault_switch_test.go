package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// TestFaultsOff: with faults off a request carrying X-Shoplab-Fault is
// refused before anything runs, so that a scenario counting on a fault
// cannot pass for one that had it; a request without it is served.
func TestFaultsOff(t *testing.T) {
	env := newEnv(t, nil)
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "gateway"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	gw, err := New(Options{Telemetry: tel, Auth: env.gw.auth, Catalog: env.gw.catalog, Orders: env.gw.orders})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	off := *env
	off.url = srv.URL

	tests := []struct {
		name      string
		header    map[string]string
		status    int
		code      string
		reachesDB bool
	}{
		{name: "gateway error", header: map[string]string{"X-Shoplab-Fault": "gateway:error=unavailable"}, status: 400, code: CodeFaultsDisabled},
		{name: "gateway delay", header: map[string]string{"X-Shoplab-Fault": "gateway:delay=30s"}, status: 400, code: CodeFaultsDisabled},
		{name: "backend error", header: map[string]string{"X-Shoplab-Fault": "catalog:error=unavailable"}, status: 400, code: CodeFaultsDisabled},
		{name: "malformed", header: map[string]string{"X-Shoplab-Fault": "pluto"}, status: 400, code: CodeFaultsDisabled},
		{name: "blank header", header: map[string]string{"X-Shoplab-Fault": " , "}, status: 200, reachesDB: true},
		{name: "no header", status: 200, reachesDB: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := env.rec.count()
			r := off.do(t, http.MethodGet, "/api/v1/products", tc.header, "")
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.code != "" {
				e := r.errorOf(t)
				if e.Code != tc.code || !strings.Contains(e.Message, "X-Shoplab-Fault") {
					t.Errorf("error %+v, want code %q naming the header", e, tc.code)
				}
			}
			if reached := env.rec.count() > before; reached != tc.reachesDB {
				t.Fatalf("catalog reached = %v, want %v", reached, tc.reachesDB)
			}
			if c, ok := env.rec.last("ListProducts"); ok && len(c.fault) != 0 {
				t.Errorf("catalog saw fault metadata %q with faults off", c.fault)
			}
		})
	}
}

// TestFaultLimits: the limits of package fault are a 400 at the edge.
func TestFaultLimits(t *testing.T) {
	env := newEnv(t, nil)
	for _, v := range []string{
		"gateway:delay=20s,gateway:delay=20s",
		"catalog:delay=1ns" + strings.Repeat(",catalog:delay=1ns", 8),
		"notification:delay=1s",
	} {
		r := env.do(t, http.MethodGet, "/api/v1/products", map[string]string{"X-Shoplab-Fault": v}, "")
		if r.status != 400 {
			t.Fatalf("%s: status %d, want 400: %s", v, r.status, r.body)
		}
		if e := r.errorOf(t); e.Code != CodeInvalidFault {
			t.Errorf("%s: code %q, want %q", v, e.Code, CodeInvalidFault)
		}
	}
	if n := env.rec.count(); n != 0 {
		t.Fatalf("%d backend calls, want none", n)
	}
}
