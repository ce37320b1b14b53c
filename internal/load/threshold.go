package load

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A Threshold is a pass/fail condition on a run's overall result, written
// as METRIC OP VALUE:
//
//	p99<300ms   p90<=1s   max<5s   errors<1%   errors<=0.005   rate>=100
//
// Latency metrics are pN (0 < N ≤ 100, e.g. p99.9) and max, compared with a
// duration; errors is the unexpected-error ratio (a percentage, or a
// fraction); rate is the achieved request rate per second.
type Threshold struct {
	Expr   string
	Metric string // "p99", "max", "errors", "rate"
	Op     string // "<", "<=", ">", ">="
	// Value is in the metric's unit: milliseconds for latencies, a
	// fraction for errors, requests per second for rate.
	Value float64
	// quantile is N/100 for pN metrics.
	quantile float64
}

var thresholdRe = regexp.MustCompile(`^\s*([a-z][a-z0-9.]*)\s*(<=|>=|<|>)\s*(\S.*?)\s*$`)

// ParseThreshold parses one threshold expression.
func ParseThreshold(expr string) (Threshold, error) {
	m := thresholdRe.FindStringSubmatch(expr)
	if m == nil {
		return Threshold{}, fmt.Errorf("threshold %q: want METRIC OP VALUE, e.g. p99<300ms, errors<1%% or rate>=100", expr)
	}
	t := Threshold{Expr: strings.TrimSpace(expr), Metric: m[1], Op: m[2]}
	value := m[3]
	switch {
	case t.Metric == "max" || strings.HasPrefix(t.Metric, "p"):
		if t.Metric != "max" {
			q, err := strconv.ParseFloat(t.Metric[1:], 64)
			if err != nil || q <= 0 || q > 100 {
				return t, fmt.Errorf("threshold %q: unknown metric %q (want pN with 0 < N ≤ 100, max, errors or rate)", expr, t.Metric)
			}
			t.quantile = q / 100
		}
		d, err := time.ParseDuration(value)
		if err != nil || d < 0 {
			return t, fmt.Errorf("threshold %q: %q is not a duration (want e.g. 300ms or 1.5s)", expr, value)
		}
		t.Value = float64(d) / float64(time.Millisecond)
	case t.Metric == "errors":
		pct := strings.HasSuffix(value, "%")
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(value, "%")), 64)
		if pct {
			f /= 100
		}
		if err != nil || f < 0 || f > 1 {
			return t, fmt.Errorf("threshold %q: %q is not an error ratio (want e.g. 1%% or 0.01)", expr, value)
		}
		t.Value = f
	case t.Metric == "rate":
		f, err := strconv.ParseFloat(strings.TrimSuffix(value, "/s"), 64)
		if err != nil || f < 0 {
			return t, fmt.Errorf("threshold %q: %q is not a rate (want requests per second, e.g. 100 or 100/s)", expr, value)
		}
		t.Value = f
	default:
		return t, fmt.Errorf("threshold %q: unknown metric %q (want pN such as p99, max, errors or rate)", expr, t.Metric)
	}
	return t, nil
}

// ParseThresholds parses every expression, reporting the first bad one.
func ParseThresholds(exprs []string) ([]Threshold, error) {
	ts := make([]Threshold, 0, len(exprs))
	for _, e := range exprs {
		t, err := ParseThreshold(e)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func (t Threshold) holds(actual float64) bool {
	switch t.Op {
	case "<":
		return actual < t.Value
	case "<=":
		return actual <= t.Value
	case ">":
		return actual > t.Value
	default:
		return actual >= t.Value
	}
}

// ThresholdResult is a threshold checked against a run.
type ThresholdResult struct {
	Expr   string  `json:"expr"`
	Metric string  `json:"metric"`
	Actual float64 `json:"actual"`
	Passed bool    `json:"passed"`
	// Note explains a failure that is not about the value, e.g. no
	// requests at all.
	Note string `json:"note,omitempty"`
}

// formatActual renders a checked value in the threshold's unit.
func (r ThresholdResult) formatActual() string {
	switch r.Metric {
	case "errors":
		return fmt.Sprintf("%.2f%%", r.Actual*100)
	case "rate":
		return fmt.Sprintf("%.1f/s", r.Actual)
	default:
		return fmtMillis(r.Actual)
	}
}
