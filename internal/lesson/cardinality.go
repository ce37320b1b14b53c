package lesson

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/topology"
)

// The metric the cardinality incident fills, and its harmful label (the
// gateway's metrics_by_user.go; the solver test holds the two together).
const (
	perUserMetric = "shoplab_http_requests_by_user_total"
	perUserLabel  = "user_id"
)

func cardinality() *Lesson {
	topSeries := `topk(10, count by (__name__) ({job="gateway"}))`
	return &Lesson{
		Name:  "cardinality",
		Title: "The metric that eats Prometheus",
		Story: "A teammate shipped “a small improvement to the gateway's metrics” this morning. Since then Prometheus's memory keeps climbing, " +
			"and the gateway's /metrics page grows with every new customer. No request is slower, nothing fails.",
		Task:     "Find the metric (its name) whose series keep multiplying.",
		Kind:     KindMetric,
		Scenario: checkoutScenario,
		Rate:     2,
		Concept:  "label cardinality: every distinct label value is a series of its own; an unbounded value such as a user ID grows memory and cost without bound",
		Hints: []Hint{
			{
				Text:    "A cardinality problem is in the number of series, not in their values: count the gateway's series per metric name.",
				Local:   `curl -s {metrics:gateway} | grep -v '^#' | cut -d'{' -f1 | sort | uniq -c | sort -rn | head`,
				Compose: "Prometheus counts them for you at {prometheus}/tsdb-status (“Top 10 series count by metric names”); or run the query below.",
				Query:   &Query{Lang: "promql", Expr: topSeries},
			},
			{
				Text:    "Count again a minute later: a healthy metric's count stays put, the harmful one grows with every new customer.",
				Local:   "Run the same pipeline twice, a minute apart, and compare.",
				Compose: "Graph the count per metric over time with the query below.",
				Query:   &Query{Lang: "promql", Expr: `sort_desc(count by (__name__) ({job="gateway", __name__=~"shoplab_.*"}))`},
			},
			{
				Text:    "Read a few series of the growing metric: one of its labels takes a new value for every user. That metric, and that label, are the answer.",
				Local:   `curl -s {metrics:gateway} | grep '^shoplab_http' | cut -c1-160 | sort | tail -20`,
				Compose: "In Explore, type the growing metric's name alone: every series is listed with its labels.",
			},
		},
		choose: func(*rand.Rand) Choice {
			return Choice{
				Answer:    perUserMetric,
				Accept:    []string{strings.TrimSuffix(perUserMetric, "_total"), perUserLabel},
				Incidents: []Incident{{Service: topology.Gateway, Name: incident.Cardinality}},
			}
		},
		explain: func(Choice) string {
			return "The gateway started counting requests by user: " + perUserMetric + "{route, " + perUserLabel + "}. " +
				"Each new customer adds a series (and Prometheus keeps each one in memory and on disk), so the count grows with the number of users " +
				"instead of staying fixed. Per-user questions belong in logs and traces, where a user ID costs one field, not one series."
		},
		evidence: func(ctx context.Context, ev *Evidence, _ Choice) []string {
			fams, err := ev.Metrics(ctx, topology.Gateway)
			if err != nil {
				return nil
			}
			counts := SeriesCounts(fams)
			names := sortedKeys(counts)
			slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(counts[b], counts[a]) })
			line := "the gateway's series per metric, most first:"
			for _, n := range names[:min(4, len(names))] {
				line += fmt.Sprintf(" %s %d;", n, counts[n])
			}
			out := []string{strings.TrimSuffix(line, ";")}
			if series := Find(fams, perUserMetric, nil); len(series) > 0 {
				users := map[string]bool{}
				for _, s := range series {
					users[s.Labels[perUserLabel]] = true
				}
				out = append(out, fmt.Sprintf("%s has %d series for %d distinct %s values, e.g. %s{route=%q, %s=%q}",
					perUserMetric, len(series), len(users), perUserLabel, perUserMetric, series[0].Labels["route"], perUserLabel, series[0].Labels[perUserLabel]))
			}
			return out
		},
		links: func(g Grafana, _ Choice) []Link {
			return []Link{
				{Label: "Series per metric", URL: g.Explore(Query{Lang: "promql", Expr: topSeries})},
				{Label: "Prometheus TSDB status", URL: g.TSDBStatus()},
			}
		},
	}
}
