package doctor

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/shoptest"
)

// TestDoctorWithRealPrometheus runs the doctor's Prometheus hops against
// a real Prometheus (Debian's) that scrapes the shop with the repository's
// prometheus.yml: the targets, the counter and the exemplar must pass as
// they do against the stand-in, and a target that cannot be scraped must
// get the diagnosis a user would need.
func TestDoctorWithRealPrometheus(t *testing.T) {
	bin := shoptest.RequireTool(t, "prometheus", "apt-get install prometheus")
	s := startShop(t, true)

	t.Run("all pass", func(t *testing.T) {
		st := startStandIns(t, s, faults{})
		cfg := st.config()
		cfg.PrometheusURL = startPrometheus(t, bin, prometheusConfig(t, s, nil))
		cfg.Ports[0] = Port{"Prometheus", strings.TrimPrefix(cfg.PrometheusURL, "http://")}
		cfg.Timeout = 30 * time.Second
		rep, byID := run(t, cfg)
		if !rep.OK {
			t.Fatalf("not all pass against a real Prometheus:\n%s", text(rep))
		}
		if f := byID["prometheus-targets"].Found; f != "up: gateway, auth, orders, catalog, notification" {
			t.Errorf("prometheus-targets found %q", f)
		}
		if f := byID["prometheus-counter"].Found; !strings.HasPrefix(f, "1 (was 0 before the probe)") {
			t.Errorf("prometheus-counter found %q, want the probe's one request", f)
		}
		if f := byID["exemplar-trace"].Found; !strings.Contains(f, rep.Probe.TraceID) {
			t.Errorf("exemplar-trace found %q, want the probe's exemplar %s", f, rep.Probe.TraceID)
		}
	})

	t.Run("target down", func(t *testing.T) {
		st := startStandIns(t, s, faults{})
		cfg := st.config()
		dead := closedAddr(t)
		cfg.PrometheusURL = startPrometheus(t, bin, prometheusConfig(t, s, map[string]string{lab.Gateway: dead}))
		cfg.Ports[0] = Port{"Prometheus", strings.TrimPrefix(cfg.PrometheusURL, "http://")}
		// A fresh Prometheus applies its targets only at its scrape
		// manager's first reload, about 5 s after the start.
		cfg.Wait, cfg.Grace = false, 12*time.Second
		rep, byID := run(t, cfg)
		c := byID["prometheus-targets"]
		if c.Status != Fail {
			t.Fatalf("prometheus-targets: %s %q, want fail\n%s", c.Status, c.Found, text(rep))
		}
		for _, w := range []string{"Prometheus target " + dead + " (job gateway) is down: ", "connection refused"} {
			if !strings.Contains(c.Found, w) {
				t.Errorf("found %q lacks %q", c.Found, w)
			}
		}
		if !strings.Contains(c.Cause, "is gateway running and listening on an address the container can reach?") {
			t.Errorf("cause %q", c.Cause)
		}
		if !strings.Contains(c.Fix, "curl http://"+dead+"/metrics") {
			t.Errorf("fix %q does not say what to curl", c.Fix)
		}
	})
}

// prometheusConfig is the repository's prometheus.yml with only the
// services' jobs, each pointed at where the test's service listens (or at
// override[job]), scraping every second. The doctor relies on the jobs
// being named after the services.
func prometheusConfig(t *testing.T, s *shop, override map[string]string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var repo struct {
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &repo); err != nil {
		t.Fatal(err)
	}
	var jobs []map[string]any
	var names []string
	for _, sc := range repo.ScrapeConfigs {
		name, _ := sc["job_name"].(string)
		e := s.endpoint(name)
		if e.HTTP == "" {
			continue
		}
		target := e.HTTP
		if o, ok := override[name]; ok {
			target = o
		}
		job := map[string]any{"job_name": name, "static_configs": []any{map[string]any{"targets": []string{target}}}}
		if p, ok := sc["metrics_path"]; ok {
			job["metrics_path"] = p
		}
		jobs = append(jobs, job)
		names = append(names, name)
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(probeServices()))
	if !slices.Equal(names, want) {
		t.Fatalf("prometheus.yml has service jobs %v, want %v (job name = service name)", names, want)
	}
	out, err := yaml.Marshal(map[string]any{
		"global":         map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
		"scrape_configs": jobs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// startPrometheus runs bin with config and exemplar storage, as
// docker-compose.yml does, and returns its URL once it is ready.
func startPrometheus(t *testing.T, bin string, config []byte) string {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, config, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := closedAddr(t)
	var out lockedBuffer
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
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out.String())
		}
	})
	url := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		select {
		case err := <-exited:
			t.Fatalf("prometheus exited: %v\n%s", err, out.String())
		default:
		}
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("prometheus not ready: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lockedBuffer collects a subprocess's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
