package testkit

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shoplab/shoplab/internal/exposition"
)

// Scrape is a Gatherer that scrapes url, a service's /metrics, each time
// it gathers: MetricValue reads a running service as it reads a registry.
func Scrape(url string) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return scrape(url) })
}

// MetricValue returns the value of the series name whose labels include
// labels: a counter's or gauge's value, a histogram's sample count. When
// several series match (labels leaves some out, or is nil) it returns
// their sum, as PromQL's sum() would.
//
// A missing series fails the test: a counter series is born at its first
// increment, so "no series" would otherwise read as 0 and hide a
// misspelt name or label. A test that means "nothing was counted" asks
// MetricSeries for none; one that waits for a series to appear uses
// WaitMetric.
func MetricValue(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	v, err := metricValue(g, name, labels)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// MetricSeries returns the series name whose labels include labels (every
// series of name when labels is nil); none is not an error.
func MetricSeries(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) []*dto.Metric {
	t.Helper()
	series, err := metricSeries(g, name, labels)
	if err != nil {
		t.Fatal(err)
	}
	return series
}

// WaitMetric waits until MetricValue would return at least min, and
// returns that value; a series that does not exist yet has not reached
// min. The test fails after timeout.
func WaitMetric(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string, min float64, timeout time.Duration) float64 {
	t.Helper()
	var v float64
	WaitFor(t, timeout, fmt.Sprintf("%s%v >= %v", name, labels, min), func() error {
		var err error
		v, err = metricValue(g, name, labels)
		if err != nil {
			return err
		}
		if v < min {
			return fmt.Errorf("%s%v = %v", name, labels, v)
		}
		return nil
	})
	return v
}

// metricValue is MetricValue with the missing series as an error.
func metricValue(g prometheus.Gatherer, name string, labels map[string]string) (float64, error) {
	series, err := metricSeries(g, name, labels)
	if err != nil {
		return 0, err
	}
	if len(series) == 0 {
		return 0, fmt.Errorf("no series %s%v", name, labels)
	}
	var sum float64
	for _, m := range series {
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetHistogram() != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		default:
			sum += m.GetGauge().GetValue()
		}
	}
	return sum, nil
}

func metricSeries(g prometheus.Gatherer, name string, labels map[string]string) ([]*dto.Metric, error) {
	fams, err := g.Gather()
	if err != nil {
		return nil, err
	}
	var out []*dto.Metric
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// scrape reads the /metrics page at url.
func scrape(url string) ([]*dto.MetricFamily, error) {
	return exposition.Scrape(context.Background(), http.DefaultClient, url)
}
