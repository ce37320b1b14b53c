package slo

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

var update = flag.Bool("update", false, "regenerate the committed rules from slo/shoplab.yml (make slo)")

// slothModFile pins Sloth and its dependencies apart from go.mod (see its
// comment).
const slothModFile = "slo/sloth.mod"

// localBuildLimit is how long a developer's `go test` waits for Sloth's
// build before skipping: a cached build links in seconds, a first one
// compiles about 300 packages (one to two minutes on two cores).
const localBuildLimit = 45 * time.Second

// buildSloth builds the pinned Sloth into dir and returns its path. Under
// CI or -update the build may take as long as it takes; otherwise a build
// that is not done within localBuildLimit (not cached yet) skips the test.
// The packages it compiled stay in the build cache, so a later run goes
// further.
func buildSloth(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	limit := localBuildLimit
	mustRun := *update || os.Getenv("CI") == "true"
	if mustRun {
		limit = 20 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	bin := filepath.Join(dir, "sloth")
	cmd := exec.CommandContext(ctx, goBin, "build",
		"-modfile="+slothModFile,
		"-ldflags=-X github.com/slok/sloth/internal/info.Version="+SlothVersion,
		"-o", bin, "github.com/slok/sloth/cmd/sloth")
	cmd.Dir = testkit.RepoRoot(t)
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && !mustRun {
		t.Skipf("skipping: Sloth %s is not built on this machine yet (its first build takes a minute or two); "+
			"run `make slo` once, or set CI=true to wait for it", SlothVersion)
	}
	if err != nil {
		t.Fatalf("building Sloth: %v\n%s", err, out)
	}
	return bin
}

// TestCommittedRulesAreGenerated runs Sloth on slo/shoplab.yml and fails
// when the committed rules differ from its output: the production rules
// with Sloth's 30-day windows, and the short-window variant the pipeline
// test loads. `make slo` (-update) writes them instead.
func TestCommittedRulesAreGenerated(t *testing.T) {
	root := testkit.RepoRoot(t)
	dir := t.TempDir()
	sloth := buildSloth(t, dir)
	for _, c := range []struct {
		out  string
		args []string
	}{
		{RulesFile, nil},
		{shortRulesFile, []string{"--slo-period-windows-path", shortWindowsDir, "--default-slo-period", "1h"}},
	} {
		tmp := filepath.Join(dir, filepath.Base(c.out))
		args := append([]string{"generate", "--no-log", "-i", SpecFile, "-o", tmp}, c.args...)
		cmd := exec.Command(sloth, args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sloth %v: %v\n%s", args, err, out)
		}
		got, err := os.ReadFile(tmp)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(repoPath(t, c.out), got, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", c.out)
			continue
		}
		if want := readRepoFile(t, c.out); !bytes.Equal(got, want) {
			t.Errorf("%s is not what Sloth generates from %s: run `make slo` and commit the result", c.out, SpecFile)
		}
	}
}
