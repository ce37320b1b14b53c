package stack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/shoplab/shoplab/internal/testkit"
)

// repoFile returns the path of a file at the repository root.
func repoFile(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(testkit.RepoRoot(t), name)
}

// readRepoFile reads a file at the repository root.
func readRepoFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loadOptions says how to load a compose file.
type loadOptions struct {
	// envFile, when set, is read like `docker compose --env-file`; when
	// empty the environment is empty: no .env, no process environment.
	envFile string
	// profiles to enable; nil enables none ("*" enables all).
	profiles []string
	// raw skips interpolation, to see ${VAR} expressions as written.
	raw bool
}

// loadCompose loads a compose file the way `docker compose` does, with the
// repository root as the project directory (relative bind mounts resolve
// against it).
func loadCompose(t testing.TB, path string, o loadOptions) *types.Project {
	t.Helper()
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(testkit.RepoRoot(t)),
		cli.WithInterpolation(!o.raw),
	}
	if o.envFile != "" {
		opts = append(opts, cli.WithEnvFiles(o.envFile), cli.WithDotEnv)
	}
	if o.profiles != nil {
		opts = append(opts, cli.WithProfiles(o.profiles))
	}
	po, err := cli.NewProjectOptions([]string{path}, opts...)
	if err != nil {
		t.Fatalf("compose options: %v", err)
	}
	p, err := po.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	return p
}

// environments are the two ways the lab's users start the stack: without
// any .env, and with a .env copied from .env.example.
func environments(t testing.TB) map[string]loadOptions {
	return map[string]loadOptions{
		"no .env":      {profiles: []string{"*"}},
		".env.example": {profiles: []string{"*"}, envFile: repoFile(t, ".env.example")},
	}
}

// loadStack loads the repository's docker-compose.yml with every profile.
func loadStack(t testing.TB) *types.Project {
	t.Helper()
	return loadCompose(t, repoFile(t, ComposeFile), loadOptions{profiles: []string{"*"}})
}

// loadMutated writes a modified copy of docker-compose.yml and loads it,
// to prove that a rule catches a violation. Every replacement must apply.
func loadMutated(t *testing.T, o loadOptions, replacements ...string) *types.Project {
	t.Helper()
	text := readRepoFile(t, ComposeFile)
	for i := 0; i+1 < len(replacements); i += 2 {
		if !strings.Contains(text, replacements[i]) {
			t.Fatalf("mutation: %q is not in %s", replacements[i], ComposeFile)
		}
		text = strings.Replace(text, replacements[i], replacements[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "docker-compose.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return loadCompose(t, path, o)
}

// readYAML parses a YAML file at the repository root into a generic map.
func readYAML(t testing.TB, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(readRepoFile(t, name)), &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// dig walks a generic YAML value by map keys and list indexes ("0", "1").
func dig(v any, path ...string) (any, bool) {
	for _, k := range path {
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[k]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i := 0
			for _, r := range k {
				if r < '0' || r > '9' {
					return nil, false
				}
				i = i*10 + int(r-'0')
			}
			if k == "" || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// expectErrors fails when a rule reports nothing (want > 0) or something
// (want == 0).
func expectErrors(t *testing.T, rule string, errs []string, want bool) {
	t.Helper()
	switch {
	case want && len(errs) == 0:
		t.Errorf("%s: expected a violation, got none", rule)
	case !want && len(errs) > 0:
		for _, e := range errs {
			t.Errorf("%s: %s", rule, e)
		}
	}
}
