package load

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		expr    string
		metric  string
		op      string
		value   float64
		wantErr string
	}{
		{"p99<300ms", "p99", "<", 300, ""},
		{"p90<=1s", "p90", "<=", 1000, ""},
		{" p99.9 < 2.5s ", "p99.9", "<", 2500, ""},
		{"max<5s", "max", "<", 5000, ""},
		{"errors<1%", "errors", "<", 0.01, ""},
		{"errors<=0.005", "errors", "<=", 0.005, ""},
		{"rate>=100", "rate", ">=", 100, ""},
		{"rate>50/s", "rate", ">", 50, ""},
		{"p99<300", "", "", 0, `"300" is not a duration`},
		{"p101<1s", "", "", 0, "unknown metric"},
		{"p0<1s", "", "", 0, "unknown metric"},
		{"latency<1s", "", "", 0, `unknown metric "latency"`},
		{"errors<150%", "", "", 0, "not an error ratio"},
		{"rate>=fast", "", "", 0, "not a rate"},
		{"p99=300ms", "", "", 0, "want METRIC OP VALUE"},
		{"p99<", "", "", 0, "want METRIC OP VALUE"},
		{"", "", "", 0, "want METRIC OP VALUE"},
	}
	for _, tt := range tests {
		got, err := ParseThreshold(tt.expr)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.expr, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Metric != tt.metric || got.Op != tt.op || got.Value != tt.value {
			t.Errorf("%q = %+v, %v; want %s %s %v", tt.expr, got, err, tt.metric, tt.op, tt.value)
		}
	}
}

func TestThresholdsDecideTheResult(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Region") == "sa-east" {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	sc := mustScenario(t, "rate: 100\nduration: 1s\nregions: {us-east: 1, sa-east: 1}\nthresholds: [p99<10s]\n"+
		"journeys: [{steps: [{method: GET, route: /api/v1/products}]}]\n")
	tests := []struct {
		extra  []string
		passed []bool // the scenario's p99<10s first
	}{
		{nil, []bool{true}},
		{[]string{"errors<100%", "rate>=50", "max<1m"}, []bool{true, true, true, true}},
		{[]string{"errors<1%"}, []bool{true, false}},
		{[]string{"p50<1ns", "rate>=1000"}, []bool{true, false, false}},
	}
	for _, tt := range tests {
		extra, err := ParseThresholds(tt.extra)
		if err != nil {
			t.Fatal(err)
		}
		res := runEngine(t, sc, Options{Target: srv.URL, Thresholds: extra, Seed: 1})
		all := true
		for i, want := range tt.passed {
			if got := res.Thresholds[i]; got.Passed != want {
				t.Errorf("%s: passed = %v (actual %v), want %v", got.Expr, got.Passed, got.Actual, want)
			}
			all = all && want
		}
		if res.Passed != all {
			t.Errorf("thresholds %v: result passed = %v, want %v", tt.extra, res.Passed, all)
		}
	}
}
