package doctor

import (
	"context"
	"strings"
	"testing"
)

// TestDoctorSLORules reads Prometheus's GET /api/v1/rules answers.
func TestDoctorSLORules(t *testing.T) {
	group := func(file string, alerts ...string) string {
		var rules []string
		for _, a := range alerts {
			rules = append(rules, `{"name":"`+a+`","type":"alerting"}`)
		}
		return `{"name":"g","file":"` + file + `","rules":[` + strings.Join(rules, ",") + `]}`
	}
	all := group("/etc/prometheus/prometheus/rules/shoplab-slos.yml",
		"CheckoutErrorBudgetBurn", "CheckoutLatencyBudgetBurn", "BrowseErrorBudgetBurn", "OrderEmailLatencyBudgetBurn")
	tests := []struct {
		name, body string
		code       int
		want       Status
		found      string
	}{
		{name: "loaded", code: 200, body: `{"status":"success","data":{"groups":[` + all + `]}}`, want: Pass, found: "4 SLO alerts"},
		{name: "none", code: 200, body: `{"status":"success","data":{"groups":[]}}`, want: Fail, found: "missing alerts: CheckoutErrorBudgetBurn"},
		{name: "other file", code: 200, body: `{"status":"success","data":{"groups":[` + group("/x/other.yml", "CheckoutErrorBudgetBurn") + `]}}`, want: Fail, found: "0 groups"},
		{name: "down", code: 503, body: `oops`, want: Fail, found: "503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDoctor(t, Config{PrometheusURL: serve(t, tt.code, tt.body)})
			r := d.checkSLORules(context.Background(), nil)
			if r.Status != tt.want || !strings.Contains(r.Found, tt.found) {
				t.Errorf("got %s, found %q; want %s, %q", r.Status, r.Found, tt.want, tt.found)
			}
		})
	}
}

// TestDoctorAlertmanager reads Alertmanager's GET /-/ready.
func TestDoctorAlertmanager(t *testing.T) {
	tests := []struct {
		name  string
		url   func(t *testing.T) string
		want  Status
		found string
	}{
		{name: "ready", url: func(t *testing.T) string { return serve(t, 200, "OK") }, want: Pass, found: "ready"},
		{name: "starting", url: func(t *testing.T) string { return serve(t, 503, "not ready") }, want: Fail, found: "503"},
		{name: "nothing listens", url: func(t *testing.T) string { return "http://127.0.0.1:1" }, want: Fail, found: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDoctor(t, Config{AlertmanagerURL: tt.url(t)})
			r := d.checkAlertmanager(context.Background(), nil)
			if r.Status != tt.want || !strings.Contains(r.Found, tt.found) {
				t.Errorf("got %s, found %q; want %s, %q", r.Status, r.Found, tt.want, tt.found)
			}
		})
	}
}
