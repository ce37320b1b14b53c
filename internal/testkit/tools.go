package testkit

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTool returns the path of an outside program a test needs. On a
// developer's machine a missing program skips the test with a clear
// message; under CI (CI=true) it fails it, because CI must never skip
// silently.
func RequireTool(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI and is not installed (%s); .ci/run must install it", name, install)
	}
	t.Skipf("skipping: %s is not installed (%s)", name, install)
	return ""
}
