package dashboards

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// TestDashboardsAgainstPrometheus runs the shop and a real Prometheus that
// scrapes it with the repository's prometheus.yml, sends traffic, and then
// runs every PromQL of the dashboards and of the data sources: each must
// return data. Exemplar-enabled queries must have exemplars carrying the
// trace IDs of the requests sent.
func TestDashboardsAgainstPrometheus(t *testing.T) {
	labharness.RequirePrometheus(t)
	s := startShop(t)
	// The repository's rule files too, as prometheus.yml loads them: the
	// SLO dashboard shows the series they record.
	p := labharness.StartPrometheus(t, s.Shop, labharness.PrometheusOptions{
		RepoRoot: repoRoot, ScrapeInterval: time.Second, RuleFiles: ruleFiles(t),
	})

	jobs := topology.Services()
	p.WaitUp(t, jobs...)
	up := fmt.Sprintf(`up{job=~"%s"}`, strings.Join(jobs, "|"))

	// Every series the traffic makes must be scraped once before the
	// traffic that rate() is to see; then two scrapes of every service
	// after it give each series two samples past the increase.
	scrapedSince := func(what string, since time.Time) {
		at := float64(since.UnixMilli()) / 1000
		testkit.WaitFor(t, 20*time.Second, what, func() error {
			v, err := p.Scalar(fmt.Sprintf("min(timestamp(%s))", up))
			if err != nil {
				return err
			}
			if v < at {
				return fmt.Errorf("oldest last scrape at %.1f, waiting for %.1f", v, at)
			}
			return nil
		})
	}
	s.burst(t)
	scrapedSince("a scrape after the first traffic", time.Now())
	s.burst(t)
	scrapedSince("two scrapes after the second traffic", time.Now().Add(1200*time.Millisecond))

	queries := promQueries(t, traceTagJobs()...)
	// Recording rules are evaluated apart from the scrapes: wait until
	// every query of a recorded series has an evaluation after the
	// traffic, then check them with the others.
	recorded := recordedMetrics(t)
	testkit.WaitFor(t, 30*time.Second, "the recording rules the dashboards use", func() error {
		for _, q := range queries {
			if usesRecorded(t, q, recorded) {
				if errs := checkQuery(p, q); len(errs) > 0 {
					return errors.New(strings.Join(errs, "; "))
				}
			}
		}
		return nil
	})
	t.Run("queries return data", func(t *testing.T) {
		byGroup(t, queries, func(q promQuery) []string {
			if q.label != "" {
				return checkLabelValues(p, q)
			}
			return checkQuery(p, q)
		})
	})
	t.Run("exemplars", func(t *testing.T) {
		gateway := fmt.Sprintf(`shoplab_http_request_duration_seconds_bucket{job="%s"}`, topology.Gateway)
		checked := map[string]bool{gateway: true}
		if errs := checkExemplars(p, gateway, s.traceIDs); len(errs) > 0 {
			t.Error(strings.Join(errs, "\n"))
		}
		for _, q := range queries {
			if q.exemplar && !checked[q.expr] {
				checked[q.expr] = true
				if errs := checkExemplars(p, q.expr, nil); len(errs) > 0 {
					t.Errorf("%s: %s", q.where, strings.Join(errs, "\n"))
				}
			}
		}
	})
}

// checkQuery runs q and reports an error, an empty result or one without a
// single number (only NaN, as a quantile of no requests is).
func checkQuery(p *labharness.Prometheus, q promQuery) []string {
	vs, err := p.Query(q.expr)
	switch {
	case err != nil:
		return []string{fmt.Sprintf("%s: %v", q.expr, err)}
	case len(vs) == 0:
		return []string{fmt.Sprintf("%s: empty result", q.expr)}
	case !slices.ContainsFunc(vs, func(v float64) bool { return !math.IsNaN(v) }):
		return []string{fmt.Sprintf("%s: only NaN", q.expr)}
	}
	return nil
}

// checkLabelValues asks Prometheus what a label_values(selector, label)
// variable would list, as Grafana does.
func checkLabelValues(p *labharness.Prometheus, q promQuery) []string {
	now := time.Now()
	data, err := p.API("/api/v1/label/"+q.label+"/values", url.Values{
		"match[]": {q.expr},
		"start":   {strconv.FormatInt(now.Add(-5*time.Minute).Unix(), 10)},
		"end":     {strconv.FormatInt(now.Unix(), 10)},
	})
	if err != nil {
		return []string{fmt.Sprintf("label_values(%s, %s): %v", q.expr, q.label, err)}
	}
	var values []string
	if err := json.Unmarshal(data, &values); err != nil {
		return []string{err.Error()}
	}
	if len(values) == 0 {
		return []string{fmt.Sprintf("label_values(%s, %s) lists nothing", q.expr, q.label)}
	}
	return nil
}

// checkExemplars asks for expr's exemplars over the last five minutes:
// there must be some, all with a trace_id, and when traceIDs is given at
// least one of them must be a trace the test started.
func checkExemplars(p *labharness.Prometheus, expr string, traceIDs map[string]bool) []string {
	now := time.Now()
	data, err := p.API("/api/v1/query_exemplars", url.Values{
		"query": {expr},
		"start": {strconv.FormatInt(now.Add(-5*time.Minute).Unix(), 10)},
		"end":   {strconv.FormatInt(now.Add(time.Minute).Unix(), 10)},
	})
	if err != nil {
		return []string{fmt.Sprintf("exemplars of %s: %v", expr, err)}
	}
	var result []struct {
		SeriesLabels map[string]string `json:"seriesLabels"`
		Exemplars    []struct {
			Labels map[string]string `json:"labels"`
		} `json:"exemplars"`
	}
	if err := json.Unmarshal(data, &result); err != nil {
		return []string{err.Error()}
	}
	n, ours := 0, 0
	var errs []string
	for _, r := range result {
		for _, ex := range r.Exemplars {
			n++
			id := ex.Labels["trace_id"]
			if len(id) != 32 {
				errs = append(errs, fmt.Sprintf("exemplar of %v has labels %v, want a 32-digit trace_id", r.SeriesLabels, ex.Labels))
			}
			if traceIDs[id] {
				ours++
			}
		}
	}
	switch {
	case n == 0:
		errs = append(errs, fmt.Sprintf("no exemplars for %s", expr))
	case traceIDs != nil && ours == 0:
		errs = append(errs, fmt.Sprintf("none of the %d exemplars of %s is a trace the test started", n, expr))
	}
	return errs
}
