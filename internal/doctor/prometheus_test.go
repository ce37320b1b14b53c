package doctor

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/slo"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// TestDoctorWithRealPrometheus runs the doctor's Prometheus hops against
// a real Prometheus (Debian's) that scrapes the shop with the repository's
// prometheus.yml: the targets, the counter and the exemplar must pass as
// they do against the stand-in, and a target that cannot be scraped must
// get the diagnosis a user would need.
func TestDoctorWithRealPrometheus(t *testing.T) {
	labharness.RequirePrometheus(t)
	s := startShop(t, true)

	t.Run("all pass", func(t *testing.T) {
		st := startStandIns(t, s, faults{})
		cfg := st.config()
		cfg.PrometheusURL = startPrometheus(t, s, nil)
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
		cfg.PrometheusURL = startPrometheus(t, s, map[string]string{topology.Gateway: dead})
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

// startPrometheus runs a real Prometheus that scrapes prometheus.yml's
// service jobs, pointed at where the test's services listen (or at
// targets[job]) every second, and returns its URL once it is ready. The
// doctor relies on the jobs being named after the services it probes.
func startPrometheus(t *testing.T, s *shop, targets map[string]string) string {
	t.Helper()
	root := testkit.RepoRoot(t)
	// The SLO rules too, as prometheus.yml loads them: the slo-rules check
	// reads them from the real Prometheus.
	p := labharness.StartPrometheus(t, s.Shop, labharness.PrometheusOptions{
		RepoRoot: root, ScrapeInterval: time.Second, Targets: targets,
		RuleFiles: []string{filepath.Join(root, filepath.FromSlash(slo.RulesFile))},
	})
	names := slices.Sorted(slices.Values(p.Jobs))
	want := slices.Sorted(slices.Values(probeServices()))
	if !slices.Equal(names, want) {
		t.Fatalf("prometheus.yml has service jobs %v, want %v (job name = service name)", names, want)
	}
	return p.URL
}
