package build

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// RateInterval is the range of every rate() on a graph: Grafana makes it
// at least four scrape intervals of the Prometheus data source.
const RateInterval = "$__rate_interval"

// Selector joins label matchers (`job=~"$job"`, ...) into a series
// selector's braces; empty matchers are left out, and none gives "".
func Selector(matchers ...string) string {
	var kept []string
	for _, m := range matchers {
		if m != "" {
			kept = append(kept, m)
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return "{" + strings.Join(kept, ", ") + "}"
}

// Rate is rate(metric{matchers}[window]): per second, averaged over the
// window.
func Rate(metric, matchers, window string) string {
	return fmt.Sprintf("rate(%s%s[%s])", metric, Selector(matchers), window)
}

// Increase is increase(metric{matchers}[window]): how many in the window.
func Increase(metric, matchers, window string) string {
	return fmt.Sprintf("increase(%s%s[%s])", metric, Selector(matchers), window)
}

// TimeRange is the window of a query over the dashboard's whole time
// range.
const TimeRange = "$__range"

// Sum is sum(expr), or sum by (by) (expr).
func Sum(by []string, expr string) string {
	if len(by) == 0 {
		return "sum(" + expr + ")"
	}
	return fmt.Sprintf("sum by (%s) (%s)", strings.Join(by, ", "), expr)
}

// Quantile is a quantile of a histogram, such as 0.95.
type Quantile float64

// The quantiles ShopLab's graphs show.
const (
	P50 Quantile = 0.5
	P95 Quantile = 0.95
	P99 Quantile = 0.99
)

// Name is the quantile as a percentile: p50, p95, p99.9.
func (q Quantile) Name() string {
	return "p" + strconv.FormatFloat(math.Round(float64(q)*1000)/10, 'f', -1, 64)
}

// HistogramQuantile is the q quantile of histogram (its name without
// _bucket) over the series matchers select, one per combination of the
// by labels.
func HistogramQuantile(q Quantile, histogram, matchers string, by []string) string {
	return fmt.Sprintf("histogram_quantile(%s, %s)",
		strconv.FormatFloat(float64(q), 'f', -1, 64),
		Sum(append(append([]string(nil), by...), "le"), Rate(histogram+"_bucket", matchers, RateInterval)))
}

// Legend is a legend template naming a series by its by labels, followed
// by suffix when there is one: "{{job}} p95".
func Legend(by []string, suffix string) string {
	parts := make([]string, 0, len(by)+1)
	for _, l := range by {
		parts = append(parts, "{{"+l+"}}")
	}
	if suffix != "" {
		parts = append(parts, suffix)
	}
	return strings.Join(parts, " ")
}
