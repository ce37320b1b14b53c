package gateway

import (
	"net/http"
	"testing"
)

// TestFaultHeader: faults naming the gateway happen here; the rest travel
// to the backends as gRPC metadata.
func TestFaultHeader(t *testing.T) {
	tests := []struct {
		name      string
		fault     string
		status    int
		code      string
		reachesDB bool
	}{
		{name: "gateway unavailable", fault: "gateway:error=unavailable", status: 503, code: CodeUnavailable},
		{name: "gateway invalid argument", fault: "gateway:error=invalid_argument", status: 400, code: CodeInvalidArgument},
		{name: "catalog delay forwarded", fault: "catalog:delay=10ms", status: 200, reachesDB: true},
		{name: "catalog error forwarded", fault: "catalog:error=unavailable", status: 503, code: CodeUnavailable, reachesDB: false},
		{name: "orders fault passes catalog by", fault: "orders:error=internal", status: 200, reachesDB: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, nil)
			r := env.do(t, http.MethodGet, "/api/v1/products", map[string]string{"X-Shoplab-Fault": tc.fault}, "")
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.code != "" {
				if e := r.errorOf(t); e.Code != tc.code {
					t.Errorf("code %q, want %q", e.Code, tc.code)
				}
			}
			c, called := env.rec.last("ListProducts")
			if called != tc.reachesDB {
				t.Fatalf("catalog handler called = %v, want %v", called, tc.reachesDB)
			}
			if called && (len(c.fault) != 1 || c.fault[0] != tc.fault) {
				t.Errorf("catalog saw %s %q, want %q", "x-shoplab-fault", c.fault, tc.fault)
			}
		})
	}
}
