package docs_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var ciPackagesRE = regexp.MustCompile(`(?m)^packages=\(([^)]*)\)$`)

// TestTestPackagesAreListedAlike: the Debian packages `make test` needs are
// installed by .ci/run, and the README and the article tell a reader to
// install the same ones, in one command each.
func TestTestPackagesAreListedAlike(t *testing.T) {
	m := ciPackagesRE.FindSubmatch(readFile(t, filepath.Join(repoRoot, ".ci", "run")))
	if m == nil {
		t.Fatal(".ci/run has no packages=(...) line")
	}
	pkgs := strings.Fields(string(m[1]))
	for _, p := range []string{"protobuf-compiler", "libprotobuf-dev", "prometheus"} {
		if !strings.Contains(" "+string(m[1])+" ", " "+p+" ") {
			t.Errorf(".ci/run does not install %s, which the tests need", p)
		}
	}
	want := "apt-get install -y " + strings.Join(pkgs, " ")
	for _, f := range []string{filepath.Join(repoRoot, "README.md"), articleFile} {
		if !strings.Contains(string(readFile(t, f)), want) {
			t.Errorf("%s does not say %q (the packages .ci/run installs)", f, want)
		}
	}
}

// TestDraftCopyHasNoCredentials: the repository keeps the author's draft
// with the SMTP credentials it leaked replaced by a placeholder.
func TestDraftCopyHasNoCredentials(t *testing.T) {
	draft := string(readFile(t, originalDraft))
	for _, key := range []string{"GF_SMTP_USER=", "GF_SMTP_PASSWORD="} {
		i := strings.Index(draft, key)
		if i < 0 {
			t.Fatalf("%s: no %s (the draft's Grafana SMTP settings)", originalDraft, key)
		}
		if !strings.HasPrefix(draft[i+len(key):], "<redacted>") {
			t.Errorf("%s: %s is not <redacted>", originalDraft, key)
		}
	}
}
