package telemetry

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// TestRegisterFailsNamingTheMetric: a collector that cannot be registered
// fails the call with an error naming its metrics, and leaves the registry
// as it was.
func TestRegisterFailsNamingTheMetric(t *testing.T) {
	counter := func(name, help string) prometheus.Collector {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"outcome"})
	}
	tests := []struct {
		name string
		// taken is registered first; then Register(reg, c...) must fail.
		taken prometheus.Collector
		c     []prometheus.Collector
		want  []string
		// refusals is how many collectors the error reports.
		refusals int
		already  bool
	}{
		{
			name:     "duplicate",
			taken:    counter("shoplab_test_total", "Help."),
			c:        []prometheus.Collector{counter("shoplab_test_ok_total", "Help."), counter("shoplab_test_total", "Help.")},
			want:     []string{"register metric shoplab_test_total"},
			refusals: 1,
			already:  true,
		},
		{
			name:     "same name, other help",
			taken:    counter("shoplab_test_total", "Help."),
			c:        []prometheus.Collector{counter("shoplab_test_ok_total", "Help."), counter("shoplab_test_total", "Other help.")},
			want:     []string{"register metric shoplab_test_total"},
			refusals: 1,
		},
		{
			name:     "every refused collector is named",
			taken:    collectors.NewGoCollector(),
			c:        []prometheus.Collector{counter("shoplab_test_ok_total", "Help."), collectors.NewGoCollector(), collectors.NewGoCollector()},
			want:     []string{"register metrics go_", " more: "},
			refusals: 2,
			already:  true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			if err := Register(reg, tc.taken); err != nil {
				t.Fatalf("first registration: %v", err)
			}
			err := Register(reg, tc.c...)
			if err == nil {
				t.Fatal("Register succeeded; want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "register "); n != tc.refusals {
				t.Errorf("error %q reports %d refusals, want %d", err, n, tc.refusals)
			}
			var already prometheus.AlreadyRegisteredError
			if got := errors.As(err, &already); got != tc.already {
				t.Errorf("errors.As(%q, AlreadyRegisteredError) = %v, want %v", err, got, tc.already)
			}
			// The collector accepted before the failure was taken back.
			if err := reg.Register(tc.c[0]); err != nil {
				t.Errorf("registering %s again after the failed call: %v; want the registry as it was", describe(tc.c[0]), err)
			}
		})
	}
}

func TestRegisterAll(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := prometheus.NewCounter(prometheus.CounterOpts{Name: "shoplab_test_a_total", Help: "A."})
	b := prometheus.NewGauge(prometheus.GaugeOpts{Name: "shoplab_test_b", Help: "B."})
	if err := Register(reg, a, b); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	if got, want := strings.Join(names, ","), "shoplab_test_a_total,shoplab_test_b"; got != want {
		t.Errorf("gathered %s, want %s", got, want)
	}
}
