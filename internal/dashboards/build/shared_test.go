package build

import (
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

func TestQuantileName(t *testing.T) {
	tests := []struct {
		q    Quantile
		want string
	}{
		{P50, "p50"}, {P95, "p95"}, {P99, "p99"}, {0.999, "p99.9"},
	}
	for _, tt := range tests {
		if got := tt.q.Name(); got != tt.want {
			t.Errorf("Quantile(%v).Name() = %q, want %q", float64(tt.q), got, tt.want)
		}
	}
}

func TestPromQLHelpers(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"no matchers", Selector("", ""), ""},
		{"matchers", Selector("", `a="1"`, `b=~"2"`), `{a="1", b=~"2"}`},
		{"rate without selector", Rate("m_total", "", RateInterval), "rate(m_total[$__rate_interval])"},
		{"sum by", Sum([]string{"job", "route"}, "x"), "sum by (job, route) (x)"},
		{"quantile", HistogramQuantile(P95, "d_seconds", `job="a"`, []string{"job"}),
			`histogram_quantile(0.95, sum by (job, le) (rate(d_seconds_bucket{job="a"}[$__rate_interval])))`},
		{"quantile of all", HistogramQuantile(P50, "d_seconds", "", nil),
			"histogram_quantile(0.5, sum by (le) (rate(d_seconds_bucket[$__rate_interval])))"},
		{"legend", Legend([]string{"job", "route"}, "p95"), "{{job}} {{route}} p95"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

// promTargets builds p and returns its PromQL targets.
func promTargets(t *testing.T, p cog.Builder[dashboard.Panel]) []prometheus.Dataquery {
	t.Helper()
	panel, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	var out []prometheus.Dataquery
	for _, target := range panel.Targets {
		q, ok := target.(prometheus.Dataquery)
		if !ok {
			t.Fatalf("target %T is not a Prometheus query", target)
		}
		out = append(out, q)
	}
	return out
}

// TestRED checks the shared RED panels: a ratio over everything shows 0
// rather than no data, split ratios cannot (vector(0) has no labels to
// match), gRPC leaves health checks out, and every latency query asks
// for exemplars.
func TestRED(t *testing.T) {
	text := Text{Title: "t", Description: "d"}
	tests := []struct {
		name string
		red  RED
		// wantIn and wantOut are what every query must and must not
		// contain.
		wantIn, wantOut []string
		errorsIn        string
	}{
		{
			name:     "gateway, all requests",
			red:      RED{Protocol: HTTP(), Matchers: `region=~"$region"`},
			wantIn:   []string{`region=~"$region"`},
			wantOut:  []string{"grpc_service"},
			errorsIn: "or vector(0)",
		},
		{
			name:    "backends by job",
			red:     RED{Protocol: GRPC(), Matchers: `job=~"$job"`, By: []string{"job"}},
			wantIn:  []string{`job=~"$job"`, `grpc_service!="grpc.health.v1.Health"`, "by (job"},
			wantOut: []string{"vector(0)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate, errs, duration := promTargets(t, tt.red.Rate(text)), promTargets(t, tt.red.Errors(text)), promTargets(t, tt.red.Duration(text))
			for _, q := range append(append(append([]prometheus.Dataquery(nil), rate...), errs...), duration...) {
				for _, s := range tt.wantIn {
					if !strings.Contains(q.Expr, s) {
						t.Errorf("%s lacks %s", q.Expr, s)
					}
				}
				for _, s := range tt.wantOut {
					if strings.Contains(q.Expr, s) {
						t.Errorf("%s has %s", q.Expr, s)
					}
				}
			}
			if len(errs) != 2 {
				t.Errorf("%d error queries, want the server's and the client's", len(errs))
			}
			for _, q := range errs {
				if tt.errorsIn != "" && !strings.Contains(q.Expr, tt.errorsIn) {
					t.Errorf("%s lacks %s", q.Expr, tt.errorsIn)
				}
			}
			if len(duration) != 3 {
				t.Errorf("%d latency queries, want p50, p95 and p99", len(duration))
			}
			for _, q := range duration {
				if q.Exemplar == nil || !*q.Exemplar {
					t.Errorf("latency query %s without exemplars", q.Expr)
				}
			}
		})
	}
}

func TestLoadRunAnnotations(t *testing.T) {
	a, err := LoadRunAnnotations().Build()
	if err != nil {
		t.Fatal(err)
	}
	if a.Expr == nil || *a.Expr != `{job="shoplab-load"} | json` {
		t.Errorf("expr %v, want the stream shoplab load pushes, parsed as JSON", a.Expr)
	}
	if a.Datasource == nil || a.Datasource.Uid == nil || *a.Datasource.Uid != LokiUID {
		t.Errorf("data source %+v, want Loki", a.Datasource)
	}
}
