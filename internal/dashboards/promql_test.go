package dashboards

import (
	"fmt"
	"slices"
	"testing"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/shoplab/shoplab/internal/topology"
)

// traceTagJobs are the values tried for the trace-to-metrics links'
// $__tags: the span's service.name, as the job label.
func traceTagJobs() []string {
	var out []string
	for _, s := range topology.Services() {
		out = append(out, `job="`+s+`"`)
	}
	return out
}

// TestPromQLParses parses every PromQL with Prometheus's parser.
func TestPromQLParses(t *testing.T) {
	queries := promQueries(t, traceTagJobs()...)
	if len(queries) == 0 {
		t.Fatal("no PromQL found")
	}
	for _, q := range queries {
		if _, err := parsePromQL(q.expr); err != nil {
			t.Errorf("%s: %s: %v", q.where, q.expr, err)
		}
	}
}

// TestPromQLUsesExportedMetrics runs the shop, sends it traffic and holds
// every PromQL against what the services' /metrics really expose: each
// selector must match at least one series (each alternative of an "a|b"
// regex too), and the labels a query groups by must be on those series.
// A trace-to-metrics link passes when it works for one service.
func TestPromQLUsesExportedMetrics(t *testing.T) {
	s := startShop(t)
	s.burst(t)
	series := s.scrapeSeries(t)
	recorded := recordedMetrics(t)
	byGroup(t, promQueries(t, traceTagJobs()...), func(q promQuery) []string {
		return checkSeries(q, series, recorded)
	})
}

// checkSeries returns what is wrong with q's selectors against series.
// Selectors of recorded metrics (series the rule files record, which no
// service exports) are left to TestDashboardsAgainstPrometheus, which
// runs them against a Prometheus that evaluates those rules.
func checkSeries(q promQuery, series []labels.Labels, recorded map[string]bool) []string {
	expr, err := parsePromQL(q.expr)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", q.expr, err)}
	}
	matching := func(ms []*labels.Matcher) []labels.Labels {
		var out []labels.Labels
		for _, ls := range series {
			if matchesAll(ms, ls) {
				out = append(out, ls)
			}
		}
		return out
	}
	var errs []string
	uses := selectors(expr)
	if len(uses) == 0 {
		errs = append(errs, fmt.Sprintf("%s selects no metric", q.expr))
	}
	for _, use := range uses {
		if q.label != "" {
			use.grouping = append(use.grouping, q.label)
		}
		name := use.metricName()
		if name == "" {
			errs = append(errs, fmt.Sprintf("%s: selector %s names no metric", q.expr, use))
			continue
		}
		if recorded[name] {
			continue
		}
		found := matching(use.matchers)
		if len(found) == 0 {
			if !slices.ContainsFunc(series, func(ls labels.Labels) bool { return ls.Get(labels.MetricName) == name }) {
				errs = append(errs, fmt.Sprintf("%s: no service exports %s", q.expr, name))
			} else {
				errs = append(errs, fmt.Sprintf("%s: no exported series matches %s", q.expr, use))
			}
			continue
		}
		for i, m := range use.matchers {
			if m.Type != labels.MatchRegexp {
				continue
			}
			for _, alt := range literalAlternatives(m.Value) {
				ms := slices.Clone(use.matchers)
				ms[i] = labels.MustNewMatcher(labels.MatchEqual, m.Name, alt)
				if len(matching(ms)) == 0 {
					errs = append(errs, fmt.Sprintf("%s: %s=%q matches no exported series of %s", q.expr, m.Name, alt, name))
				}
			}
		}
		// A misspelt label would slip through a matcher like l=~".*",
		// which also matches series without the label.
		for _, m := range use.matchers {
			if !slices.ContainsFunc(found, func(ls labels.Labels) bool { return ls.Get(m.Name) != "" }) {
				errs = append(errs, fmt.Sprintf("%s: selects %s on %q, a label its series do not have", q.expr, name, m.Name))
			}
		}
		for _, l := range use.grouping {
			if !slices.ContainsFunc(found, func(ls labels.Labels) bool { return ls.Get(l) != "" }) {
				errs = append(errs, fmt.Sprintf("%s: groups %s by %q, a label its series do not have", q.expr, name, l))
			}
		}
	}
	return errs
}

func matchesAll(ms []*labels.Matcher, ls labels.Labels) bool {
	for _, m := range ms {
		if !m.Matches(ls.Get(m.Name)) {
			return false
		}
	}
	return true
}
