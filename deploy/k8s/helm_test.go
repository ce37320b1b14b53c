package k8s_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The Helm charts cannot be rendered here (no helm binary, no chart
// download): what can be checked is that the values files are well-formed
// YAML with no duplicate key, that every chart and image is pinned, that no
// secret is written in them, and that the install commands use the pinned
// versions.

// chartList is deploy/helm/charts.yaml.
type chartList struct {
	Releases []release `json:"releases"`
}

type release struct {
	Name         string   `json:"name"`
	Namespace    string   `json:"namespace"`
	Repo         string   `json:"repo,omitempty"`
	Chart        string   `json:"chart"`
	Version      string   `json:"version"`
	Values       []string `json:"values,omitempty"`
	ScaledValues []string `json:"scaledValues,omitempty"`
}

// exactVersion is a chart version with all three numbers: no range, no
// "latest".
var exactVersion = regexp.MustCompile(`^v?\d+\.\d+\.\d+$`)

// secretKey matches the values keys that hold credentials: they may only
// reference an environment variable (${NAME}) or a Secret, never hold one.
var secretKey = regexp.MustCompile(`(?i)(password|secretaccesskey|secret_key|access_key|accesskeyid|token)$`)

// checkCharts returns the ways list breaks the rules, reading the values
// files and the install guide from dir.
func checkCharts(dir string, list chartList) []string {
	var v []string
	bad := func(format string, args ...any) { v = append(v, fmt.Sprintf(format, args...)) }
	guide, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		bad("%v", err)
	}
	for _, r := range list.Releases {
		if !exactVersion.MatchString(r.Version) {
			bad("chart %s: version %q is not an exact version", r.Chart, r.Version)
		}
		if !installs(string(guide), r) {
			bad("chart %s: README.md has no `helm upgrade --install` of it with --version %s", r.Chart, r.Version)
		}
		files := append(slices.Clone(r.Values), r.ScaledValues...)
		if len(files) == 0 {
			bad("chart %s: no values file", r.Chart)
		}
		for _, f := range files {
			for _, line := range checkValues(filepath.Join(dir, f)) {
				bad("%s: %s", f, line)
			}
		}
	}
	return v
}

// installs reports whether guide installs r's chart at r's version: a
// `helm upgrade --install` command (continued over lines ending in \)
// naming the chart and --version.
func installs(guide string, r release) bool {
	for _, cmd := range strings.Split(strings.ReplaceAll(guide, "\\\n", " "), "\n") {
		f := strings.Fields(cmd)
		if len(f) > 2 && f[0] == "helm" && f[1] == "upgrade" && slices.Contains(f, "--install") &&
			slices.Contains(f, r.Chart) && slices.Contains(f, r.Name) {
			if i := slices.Index(f, "--version"); i >= 0 && i+1 < len(f) && f[i+1] == r.Version {
				return true
			}
		}
	}
	return false
}

// checkValues parses one values file strictly and walks it for unpinned
// images and written-down secrets.
func checkValues(file string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		return []string{err.Error()}
	}
	var doc map[string]any
	if err := yaml.UnmarshalStrict(b, &doc); err != nil {
		return []string{fmt.Sprintf("not strict YAML: %v", err)}
	}
	var v []string
	walk("", doc, func(path, key string, val any) {
		s, isString := val.(string)
		switch {
		case key == "tag":
			if !isString || s == "" || s == "latest" {
				v = append(v, fmt.Sprintf("%s: image tag %v is not pinned", path, val))
			}
		case key == "image" || key == "imageName":
			if isString && !pinned(s) {
				v = append(v, fmt.Sprintf("%s: image %q is not pinned", path, s))
			}
		case secretKey.MatchString(key):
			if isString && s != "" && !strings.HasPrefix(s, "${") {
				v = append(v, fmt.Sprintf("%s: a credential written in the file; take it from a Secret", path))
			}
		}
	})
	return v
}

// walk calls f on every key of v, depth first, in key order.
func walk(path string, v any, f func(path, key string, val any)) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := strings.TrimPrefix(path+"."+k, ".")
			f(p, k, t[k])
			walk(p, t[k], f)
		}
	case []any:
		for i, e := range t {
			walk(fmt.Sprintf("%s[%d]", path, i), e, f)
		}
	}
}

func readCharts(t *testing.T, file string) chartList {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var list chartList
	if err := yaml.UnmarshalStrict(b, &list); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return list
}

// TestHelmCharts holds deploy/helm to the rules.
func TestHelmCharts(t *testing.T) {
	list := readCharts(t, "../helm/charts.yaml")
	if len(list.Releases) == 0 {
		t.Fatal("charts.yaml lists no release")
	}
	for _, v := range checkCharts("../helm", list) {
		t.Error(v)
	}
	// Every values file is some release's.
	listed := map[string]bool{}
	for _, r := range list.Releases {
		for _, f := range append(slices.Clone(r.Values), r.ScaledValues...) {
			listed[filepath.Clean(f)] = true
		}
	}
	files, _ := filepath.Glob("../helm/values/*.yaml")
	for _, f := range files {
		if rel, _ := filepath.Rel("../helm", f); !listed[rel] {
			t.Errorf("%s is in no release of charts.yaml", f)
		}
	}
}

// TestHelmRulesReject checks the Helm rules against fixtures that each
// break one.
func TestHelmRulesReject(t *testing.T) {
	for _, tc := range []struct {
		release release
		want    string
	}{
		{release{Name: "x", Chart: "r/x", Version: "1.2.0", Values: []string{"latest-tag.yaml"}}, "image tag latest is not pinned"},
		{release{Name: "x", Chart: "r/x", Version: "1.2.0", Values: []string{"empty-tag.yaml"}}, "image tag  is not pinned"},
		{release{Name: "x", Chart: "r/x", Version: "1.2.0", Values: []string{"untagged-image.yaml"}}, `image "grafana/grafana" is not pinned`},
		{release{Name: "x", Chart: "r/x", Version: "1.2.0", Values: []string{"password.yaml"}}, "adminPassword: a credential written in the file"},
		{release{Name: "x", Chart: "r/x", Version: "1.2.0", Values: []string{"duplicate-key.yaml"}}, "not strict YAML"},
		{release{Name: "x", Chart: "r/x", Version: "1.x", Values: []string{"latest-tag.yaml"}}, `version "1.x" is not an exact version`},
		{release{Name: "x", Chart: "r/unlisted", Version: "1.2.0", Values: []string{"latest-tag.yaml"}}, "README.md has no `helm upgrade --install` of it"},
		{release{Name: "x", Chart: "r/x", Version: "1.2.1", Values: []string{"latest-tag.yaml"}}, "with --version 1.2.1"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			v := checkCharts("testdata/helm", chartList{Releases: []release{tc.release}})
			if !slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Errorf("no violation contains %q; got %q", tc.want, v)
			}
		})
	}
}

// TestChartsFileStrict checks that a misspelt key in charts.yaml fails.
func TestChartsFileStrict(t *testing.T) {
	b := []byte("releases:\n  - name: x\n    chart: r/x\n    versoin: 1.2.0\n")
	var list chartList
	if err := yaml.UnmarshalStrict(b, &list); err == nil {
		t.Fatal("a misspelt key (versoin) parsed")
	}
}
