package slo

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shoplab/shoplab/internal/testkit"
)

// shortRulesFile is the test variant of RulesFile: the same spec with the
// alert windows of testdata/short-windows (a 1h SLO period, a page within
// seconds), for the test against a real Prometheus and Alertmanager.
const shortRulesFile = "internal/slo/testdata/shoplab-slos-short.yml"

// shortWindowsDir is the Sloth windows catalogue of shortRulesFile.
const shortWindowsDir = "internal/slo/testdata/short-windows"

// repoPath is the absolute path of a file given relative to the root.
func repoPath(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(testkit.RepoRoot(t), filepath.FromSlash(rel))
}

func readRepoFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// spec is the part of the Sloth spec the tests read.
type spec struct {
	Version string `yaml:"version"`
	Service string `yaml:"service"`
	SLOs    []struct {
		Name        string  `yaml:"name"`
		Objective   float64 `yaml:"objective"`
		Description string  `yaml:"description"`
		SLI         struct {
			Events struct {
				ErrorQuery string `yaml:"error_query"`
				TotalQuery string `yaml:"total_query"`
			} `yaml:"events"`
		} `yaml:"sli"`
		Alerting struct {
			Name string `yaml:"name"`
		} `yaml:"alerting"`
	} `yaml:"slos"`
}

func readSpec(t testing.TB) spec {
	t.Helper()
	var s spec
	if err := yaml.Unmarshal(readRepoFile(t, SpecFile), &s); err != nil {
		t.Fatalf("%s: %v", SpecFile, err)
	}
	return s
}

// rule is one rule of a Prometheus rule file.
type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// readRules returns the rules of a rule file, in order.
func readRules(t testing.TB, rel string) []rule {
	t.Helper()
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(readRepoFile(t, rel), &f); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	var out []rule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	if len(out) == 0 {
		t.Fatalf("%s has no rules", rel)
	}
	return out
}
