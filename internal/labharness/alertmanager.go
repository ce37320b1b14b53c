package labharness

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

// RequireAlertmanager returns the path of the Alertmanager program:
// `alertmanager` (upstream's name, Homebrew's) or `prometheus-alertmanager`
// (Debian's package). A missing one skips the test on a developer's
// machine and fails it under CI (testkit.RequireTool).
func RequireAlertmanager(t testing.TB) string {
	t.Helper()
	if path, err := exec.LookPath("alertmanager"); err == nil {
		return path
	}
	return testkit.RequireTool(t, "prometheus-alertmanager", "apt-get install prometheus-alertmanager")
}

// Alertmanager is a real Alertmanager run for a test.
type Alertmanager struct {
	// URL is its base URL (http://127.0.0.1:port).
	URL string
	// Addr is where it listens (host:port), for PrometheusOptions.Alertmanagers.
	Addr   string
	client *http.Client
}

// StartAlertmanager runs Alertmanager with config (the content of an
// alertmanager.yml), alone (no cluster port), and returns once it is
// ready. It is stopped when the test ends, and its output logged if the
// test failed.
func StartAlertmanager(t testing.TB, config []byte) *Alertmanager {
	t.Helper()
	bin := RequireAlertmanager(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, config, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	a := &Alertmanager{URL: "http://" + addr, Addr: addr, client: &http.Client{Timeout: 5 * time.Second}}
	startServer(t, "alertmanager", bin, []string{
		"--config.file=" + cfgPath,
		"--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		"--cluster.listen-address=",
	}, a.URL+"/-/ready")
	return a
}

// Alert is an alert as Alertmanager's API v2 lists it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Status      struct {
		// State is active, suppressed (inhibited or silenced) or
		// unprocessed.
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
		SilencedBy  []string `json:"silencedBy"`
	} `json:"status"`
}

// Alerts lists the alerts Alertmanager holds, suppressed ones included,
// that match every filter (label matchers such as `severity="page"`).
func (a *Alertmanager) Alerts(filters ...string) ([]Alert, error) {
	resp, err := a.client.Get(a.URL + "/api/v2/alerts?" + url.Values{"filter": filters}.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/api/v2/alerts: %s", resp.Status)
	}
	var alerts []Alert
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		return nil, fmt.Errorf("/api/v2/alerts: %w", err)
	}
	return alerts, nil
}
