package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/shoptest"
)

// TestDashboardsAgainstPrometheus runs the shop and a real Prometheus that
// scrapes it with the repository's prometheus.yml, sends traffic, and then
// runs every PromQL of the dashboards and of the data sources: each must
// return data. Exemplar-enabled queries must have exemplars carrying the
// trace IDs of the requests sent.
func TestDashboardsAgainstPrometheus(t *testing.T) {
	bin := shoptest.RequireTool(t, "prometheus", "apt-get install prometheus")
	s := startShop(t)
	p := startPrometheus(t, bin, s)

	jobs := lab.Services()
	up := fmt.Sprintf(`up{job=~"%s"}`, strings.Join(jobs, "|"))
	p.waitFor(t, "every service scraped and up", 30*time.Second, func() error {
		v, err := p.scalar(fmt.Sprintf("count(%s == 1)", up))
		if err != nil {
			return err
		}
		if int(v) != len(jobs) {
			return fmt.Errorf("%v of %d services up", v, len(jobs))
		}
		return nil
	})

	// Every series the traffic makes must be scraped once before the
	// traffic that rate() is to see; then two scrapes of every service
	// after it give each series two samples past the increase.
	scrapedSince := func(what string, since time.Time) {
		at := float64(since.UnixMilli()) / 1000
		p.waitFor(t, what, 20*time.Second, func() error {
			v, err := p.scalar(fmt.Sprintf("min(timestamp(%s))", up))
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
	t.Run("queries return data", func(t *testing.T) {
		byGroup(t, queries, func(q promQuery) []string {
			if q.label != "" {
				return p.checkLabelValues(q)
			}
			return p.checkQuery(q)
		})
	})
	t.Run("exemplars", func(t *testing.T) {
		gateway := fmt.Sprintf(`shoplab_http_request_duration_seconds_bucket{job="%s"}`, lab.Gateway)
		checked := map[string]bool{gateway: true}
		if errs := p.checkExemplars(gateway, s.traceIDs); len(errs) > 0 {
			t.Error(strings.Join(errs, "\n"))
		}
		for _, q := range queries {
			if q.exemplar && !checked[q.expr] {
				checked[q.expr] = true
				if errs := p.checkExemplars(q.expr, nil); len(errs) > 0 {
					t.Errorf("%s: %s", q.where, strings.Join(errs, "\n"))
				}
			}
		}
	})
}

// prometheus is a Prometheus server run for a test.
type prometheus struct {
	base   string
	client *http.Client
}

// startPrometheus runs bin with prometheus.yml's service jobs pointed at
// s's services, scraping every second, and waits until it is ready.
func startPrometheus(t *testing.T, bin string, s *shop) *prometheus {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, testPrometheusConfig(t, s), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	var out syncBuffer
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--enable-feature=exemplar-storage",
	)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out.String())
		}
	})
	p := &prometheus{base: "http://" + addr, client: &http.Client{Timeout: 5 * time.Second}}
	p.waitFor(t, "prometheus ready", 20*time.Second, func() error {
		select {
		case <-exited:
			t.Fatalf("prometheus exited: %v", waitErr)
		default:
		}
		resp, err := p.client.Get(p.base + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/-/ready: %s", resp.Status)
		}
		return nil
	})
	return p
}

// testPrometheusConfig is the repository's prometheus.yml with only the
// services' jobs, each target host.docker.internal:<default port> replaced
// by where the test's service listens, and a 1 s scrape interval.
func testPrometheusConfig(t *testing.T, s *shop) []byte {
	t.Helper()
	var repo struct {
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	readYAML(t, prometheusFile, &repo)
	defaults, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defaultAddr := map[string]string{}
	for _, e := range lab.Endpoints(defaults) {
		_, port, _ := net.SplitHostPort(e.HTTP)
		defaultAddr[e.Service] = "host.docker.internal:" + port
	}
	// Fields Prometheus 2.42 (Debian's) understands and that matter here;
	// anything else (newer options) is left out.
	keep := []string{"job_name", "metrics_path", "scheme", "honor_labels", "params", "relabel_configs", "metric_relabel_configs"}
	var jobs []map[string]any
	for _, sc := range repo.ScrapeConfigs {
		name, _ := sc["job_name"].(string)
		e, ok := s.endpoints[name]
		if !ok {
			continue
		}
		var targets []string
		if scs, ok := sc["static_configs"].([]any); ok {
			for _, st := range scs {
				m, _ := st.(map[string]any)
				ts, _ := m["targets"].([]any)
				for _, target := range ts {
					targets = append(targets, fmt.Sprint(target))
				}
			}
		}
		if want := []string{defaultAddr[name]}; !slices.Equal(targets, want) {
			t.Fatalf("prometheus.yml job %s scrapes %v, want %v (the service's default HTTP port)", name, targets, want)
		}
		job := map[string]any{"static_configs": []any{map[string]any{"targets": []string{e.HTTP}}}}
		for k, v := range sc {
			if slices.Contains(keep, k) {
				job[k] = v
			} else if k != "static_configs" {
				t.Logf("prometheus.yml job %s: leaving out %s for the test's Prometheus", name, k)
			}
		}
		jobs = append(jobs, job)
	}
	if len(jobs) != len(lab.Services()) {
		t.Fatalf("prometheus.yml has %d of the %d service jobs (%v)", len(jobs), len(lab.Services()), lab.Services())
	}
	b, err := yaml.Marshal(map[string]any{
		"global":         map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
		"scrape_configs": jobs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apiResponse is the envelope of Prometheus's HTTP API.
type apiResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

func (p *prometheus) get(path string, params url.Values) (json.RawMessage, error) {
	resp, err := p.client.Get(p.base + path + "?" + params.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, resp.Status, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: status %q: %s: %s", path, r.Status, r.ErrorType, r.Error)
	}
	return r.Data, nil
}

// queryResult is /api/v1/query's data.
type queryResult struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

type vectorSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// query runs an instant query and returns its samples' values (a scalar
// result is one value).
func (p *prometheus) query(expr string) ([]float64, error) {
	data, err := p.get("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return nil, err
	}
	var r queryResult
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	var samples [][2]any
	switch r.ResultType {
	case "vector":
		var v []vectorSample
		if err := json.Unmarshal(r.Result, &v); err != nil {
			return nil, err
		}
		for _, s := range v {
			samples = append(samples, s.Value)
		}
	case "scalar":
		var s [2]any
		if err := json.Unmarshal(r.Result, &s); err != nil {
			return nil, err
		}
		samples = append(samples, s)
	default:
		return nil, fmt.Errorf("result type %q, want vector or scalar", r.ResultType)
	}
	var out []float64
	for _, s := range samples {
		str, _ := s[1].(string)
		f, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("sample value %v: %w", s[1], err)
		}
		out = append(out, f)
	}
	return out, nil
}

// scalar runs a query that must return exactly one value.
func (p *prometheus) scalar(expr string) (float64, error) {
	vs, err := p.query(expr)
	if err != nil {
		return 0, err
	}
	if len(vs) != 1 {
		return 0, fmt.Errorf("%s: %d values, want 1", expr, len(vs))
	}
	return vs[0], nil
}

// checkQuery runs q and reports an error, an empty result or one without a
// single number (only NaN, as a quantile of no requests is).
func (p *prometheus) checkQuery(q promQuery) []string {
	vs, err := p.query(q.expr)
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
func (p *prometheus) checkLabelValues(q promQuery) []string {
	now := time.Now()
	data, err := p.get("/api/v1/label/"+q.label+"/values", url.Values{
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
func (p *prometheus) checkExemplars(expr string, traceIDs map[string]bool) []string {
	now := time.Now()
	data, err := p.get("/api/v1/query_exemplars", url.Values{
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

// waitFor polls cond every 100 ms until it returns nil, failing the test
// after timeout.
func (p *prometheus) waitFor(t *testing.T, what string, timeout time.Duration, cond func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		case <-tick.C:
		}
	}
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects a subprocess's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
