package labharness

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// RequirePrometheus returns the path of the prometheus program (Debian's
// package): a missing one skips the test on a developer's machine and
// fails it under CI (testkit.RequireTool). A test calls it before
// starting the shop, so that a skip costs nothing.
func RequirePrometheus(t testing.TB) string {
	t.Helper()
	return testkit.RequireTool(t, "prometheus", "apt-get install prometheus")
}

// PrometheusOptions configure StartPrometheus.
type PrometheusOptions struct {
	// RepoRoot is the repository's root directory, where prometheus.yml is.
	RepoRoot string
	// ScrapeInterval is the scrape and evaluation interval (and the scrape
	// timeout); 1 s when zero.
	ScrapeInterval time.Duration
	// Targets replaces the scrape target of a job (a service name), say
	// with an address nothing listens on.
	Targets map[string]string
	// RuleFiles are rule files (absolute paths) Prometheus evaluates every
	// ScrapeInterval.
	RuleFiles []string
	// Alertmanagers are the addresses (host:port) Prometheus sends its
	// firing alerts to.
	Alertmanagers []string
}

// Prometheus is a real Prometheus server run for a test.
type Prometheus struct {
	// URL is the server's base URL (http://127.0.0.1:port).
	URL string
	// Jobs are the service jobs of prometheus.yml it scrapes, in the
	// file's order.
	Jobs   []string
	client *http.Client
}

// StartPrometheus runs Prometheus with exemplar storage, as
// docker-compose.yml does, scraping the repository's prometheus.yml's
// service jobs pointed at where s's services listen, with o's rules and
// Alertmanagers (prometheus.yml's own are the compose stack's), and
// returns once it is ready. It is stopped when the test ends, and its output logged if the
// test failed.
func StartPrometheus(t testing.TB, s *Shop, o PrometheusOptions) *Prometheus {
	t.Helper()
	bin := RequirePrometheus(t)
	cfg, jobs := prometheusConfig(t, s, o)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	p := &Prometheus{URL: "http://" + addr, Jobs: jobs, client: &http.Client{Timeout: 5 * time.Second}}
	startServer(t, "prometheus", bin, []string{
		"--config.file=" + cfgPath,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		"--enable-feature=exemplar-storage",
	}, p.URL+"/-/ready")
	return p
}

// prometheusConfig is the repository's prometheus.yml with only the
// services' jobs (job name = service name), each target
// host.docker.internal:<default port> replaced by where s's service
// listens (or by o.Targets), scraping every o.ScrapeInterval. It also
// returns the jobs' names.
func prometheusConfig(t testing.TB, s *Shop, o PrometheusOptions) ([]byte, []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(o.RepoRoot, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var repo struct {
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &repo); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	defaults, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defaultAddr := map[string]string{}
	for _, e := range topology.Endpoints(defaults) {
		_, port, _ := net.SplitHostPort(e.HTTP)
		defaultAddr[e.Service] = "host.docker.internal:" + port
	}
	// Fields Prometheus 2.42 (Debian's) understands and that matter here;
	// anything else (newer options) is left out.
	keep := []string{"job_name", "metrics_path", "scheme", "honor_labels", "params", "relabel_configs", "metric_relabel_configs"}
	var jobs []map[string]any
	var names []string
	for _, sc := range repo.ScrapeConfigs {
		name, _ := sc["job_name"].(string)
		e := s.Endpoint(name)
		if e.HTTP == "" {
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
		target := e.HTTP
		if override, ok := o.Targets[name]; ok {
			target = override
		}
		job := map[string]any{"static_configs": []any{map[string]any{"targets": []string{target}}}}
		for k, v := range sc {
			if slices.Contains(keep, k) {
				job[k] = v
			} else if k != "static_configs" {
				t.Logf("prometheus.yml job %s: leaving out %s for the test's Prometheus", name, k)
			}
		}
		jobs = append(jobs, job)
		names = append(names, name)
	}
	if got, want := slices.Sorted(slices.Values(names)), slices.Sorted(slices.Values(topology.Services())); !slices.Equal(got, want) {
		t.Fatalf("prometheus.yml has service jobs %v, want one for each of %v (job name = service name)", names, want)
	}
	interval := o.ScrapeInterval
	if interval == 0 {
		interval = time.Second
	}
	cfg := map[string]any{
		"global": map[string]any{
			"scrape_interval": interval.String(), "scrape_timeout": interval.String(), "evaluation_interval": interval.String(),
		},
		"scrape_configs": jobs,
	}
	if len(o.RuleFiles) > 0 {
		cfg["rule_files"] = o.RuleFiles
	}
	if len(o.Alertmanagers) > 0 {
		cfg["alerting"] = map[string]any{
			"alertmanagers": []any{map[string]any{"static_configs": []any{map[string]any{"targets": o.Alertmanagers}}}},
		}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out, names
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// WaitUp waits until Prometheus has scraped every one of jobs and found
// it up; the test fails after 30 s.
func (p *Prometheus) WaitUp(t testing.TB, jobs ...string) {
	t.Helper()
	up := fmt.Sprintf(`up{job=~"%s"}`, strings.Join(jobs, "|"))
	testkit.WaitFor(t, 30*time.Second, "every job scraped and up", func() error {
		v, err := p.Scalar(fmt.Sprintf("count(%s == 1)", up))
		if err != nil {
			return err
		}
		if int(v) != len(jobs) {
			return fmt.Errorf("%v of %d jobs (%v) scraped and up", v, len(jobs), jobs)
		}
		return nil
	})
}

// apiResponse is the envelope of Prometheus's HTTP API.
type apiResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

// API calls GET path (/api/v1/...) with params and returns the answer's
// data; an answer that is not a success is an error.
func (p *Prometheus) API(path string, params url.Values) (json.RawMessage, error) {
	resp, err := p.client.Get(p.URL + path + "?" + params.Encode())
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

// Query runs an instant query and returns its samples' values (a scalar
// result is one value).
func (p *Prometheus) Query(expr string) ([]float64, error) {
	data, err := p.API("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return nil, err
	}
	var r struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	var samples [][2]any
	switch r.ResultType {
	case "vector":
		var v []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
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

// Scalar runs a query that must return exactly one value.
func (p *Prometheus) Scalar(expr string) (float64, error) {
	vs, err := p.Query(expr)
	if err != nil {
		return 0, err
	}
	if len(vs) != 1 {
		return 0, fmt.Errorf("%s: %d values, want 1", expr, len(vs))
	}
	return vs[0], nil
}
