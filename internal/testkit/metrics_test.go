package testkit

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// registry holds a labelled counter with two series, an unlabelled
// gauge and a histogram with two observations.
func registry(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "h"}, []string{"route", "status"})
	backlog := prometheus.NewGauge(prometheus.GaugeOpts{Name: "backlog", Help: "h"})
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "latency_seconds", Help: "h"})
	reg.MustRegister(requests, backlog, latency)
	requests.WithLabelValues("/a", "200").Add(2)
	requests.WithLabelValues("/a", "500").Add(1)
	backlog.Set(7)
	latency.Observe(0.1)
	latency.Observe(0.2)
	return reg
}

func TestMetricValue(t *testing.T) {
	reg := registry(t)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
		fail   string // in the failure message when the lookup must fail
	}{
		{name: "every label", metric: "requests_total", labels: map[string]string{"route": "/a", "status": "500"}, want: 1},
		{name: "some labels sum", metric: "requests_total", labels: map[string]string{"route": "/a"}, want: 3},
		{name: "gauge", metric: "backlog", want: 7},
		{name: "histogram counts samples", metric: "latency_seconds", want: 2},
		{name: "no such label value", metric: "requests_total", labels: map[string]string{"route": "/b"}, fail: "no series requests_total"},
		{name: "no such name", metric: "request_total", fail: "no series request_total"},
	}
	sources := map[string]prometheus.Gatherer{"registry": reg, "scrape": Scrape(srv.URL)}
	for source, g := range sources {
		for _, tc := range tests {
			t.Run(source+"/"+tc.name, func(t *testing.T) {
				var got float64
				msg := run(t, func(tb testing.TB) { got = MetricValue(tb, g, tc.metric, tc.labels) })
				switch {
				case tc.fail != "" && !strings.Contains(msg, tc.fail):
					t.Fatalf("failure %q, want one naming %q", msg, tc.fail)
				case tc.fail == "" && msg != "":
					t.Fatalf("failed: %s", msg)
				case tc.fail == "" && got != tc.want:
					t.Fatalf("= %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func TestMetricSeries(t *testing.T) {
	reg := registry(t)
	if n := len(MetricSeries(t, reg, "requests_total", nil)); n != 2 {
		t.Errorf("%d series, want 2", n)
	}
	if s := MetricSeries(t, reg, "requests_total", map[string]string{"route": "/b"}); len(s) != 0 {
		t.Errorf("series of a route never seen: %v", s)
	}
}

// TestWaitMetricWaitsForTheSeries: a series that does not exist yet is
// waited for, not a failure.
func TestWaitMetricWaitsForTheSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sent_total", Help: "h"}, []string{"outcome"})
	reg.MustRegister(sent)
	// The series is born at the third look.
	looks := 0
	g := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		if looks++; looks == 3 {
			sent.WithLabelValues("ok").Inc()
		}
		return reg.Gather()
	})
	if v := WaitMetric(t, g, "sent_total", map[string]string{"outcome": "ok"}, 1, 30*time.Second); v != 1 || looks != 3 {
		t.Fatalf("WaitMetric = %v after %d looks, want 1 after 3", v, looks)
	}
	msg := run(t, func(tb testing.TB) {
		WaitMetric(tb, reg, "sent_total", map[string]string{"outcome": "error"}, 1, 100*time.Millisecond)
	})
	if !strings.Contains(msg, "no series sent_total") {
		t.Fatalf("failure %q, want the missing series named", msg)
	}
}
