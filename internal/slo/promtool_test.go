package slo

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shoplab/shoplab/internal/testkit"
)

// alertTestsGlob matches the promtool unit tests of the alerts.
const alertTestsGlob = "prometheus/tests/*.test.yml"

func requirePromtool(t *testing.T) string {
	t.Helper()
	return testkit.RequireTool(t, "promtool", "apt-get install prometheus")
}

// The generated rules are valid for Prometheus (Debian's 2.42 promtool,
// the oldest the lab supports).
func TestPromtoolChecksRules(t *testing.T) {
	promtool := requirePromtool(t)
	for _, f := range []string{RulesFile, shortRulesFile} {
		out, err := exec.Command(promtool, "check", "rules", repoPath(t, f)).CombinedOutput()
		if err != nil {
			t.Errorf("promtool check rules %s: %v\n%s", f, err, out)
		}
	}
}

// The alerts fire for a fast and a slow burn, for the affected region
// only, and stay silent within the objective (prometheus/tests/).
func TestPromtoolAlertUnitTests(t *testing.T) {
	promtool := requirePromtool(t)
	files, err := filepath.Glob(repoPath(t, alertTestsGlob))
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool tests match %s (%v)", alertTestsGlob, err)
	}
	for _, f := range files {
		out, err := exec.Command(promtool, append([]string{"test", "rules"}, f)...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool test rules %s: %v\n%s", f, err, out)
		}
	}
}
