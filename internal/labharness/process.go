package labharness

import (
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// startServer runs a server program (Prometheus, Alertmanager) for a test
// and returns once readyURL answers 200. The program is killed when the
// test ends, and its output logged if the test failed; the test fails at
// once if the program exits early.
func startServer(t testing.TB, name, bin string, args []string, readyURL string) {
	t.Helper()
	var out testkit.SyncBuffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	client := &http.Client{Timeout: 5 * time.Second}
	testkit.WaitFor(t, 30*time.Second, name+" to be ready", func() error {
		select {
		case <-exited:
			t.Fatalf("%s exited: %v\n%s", name, waitErr, out.String())
		default:
		}
		return topology.CheckHTTP(t.Context(), client, readyURL)
	})
}
