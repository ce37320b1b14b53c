package dashboards

import (
	"path/filepath"
	"testing"
)

// rulesGlob is where prometheus.yml's rule_files point (relative to it).
var rulesGlob = filepath.Join(repoRoot, "prometheus", "rules", "*.yml")

// ruleFiles returns the absolute paths of the rule files prometheus.yml
// loads.
func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(rulesGlob)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no rule files match %s", rulesGlob)
	}
	for i, f := range files {
		if files[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// recordedMetrics returns the names of the series the rule files record.
func recordedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, f := range ruleFiles(t) {
		var rules struct {
			Groups []struct {
				Rules []struct {
					Record string `yaml:"record"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		readYAML(t, f, &rules)
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					out[r.Record] = true
				}
			}
		}
	}
	return out
}

// usesRecorded says whether q selects a series the rule files record.
func usesRecorded(t *testing.T, q promQuery, recorded map[string]bool) bool {
	t.Helper()
	expr, err := parsePromQL(q.expr)
	if err != nil {
		t.Errorf("%s: %s: %v", q.where, q.expr, err)
		return false
	}
	for _, use := range selectors(expr) {
		if recorded[use.metricName()] {
			return true
		}
	}
	return false
}
