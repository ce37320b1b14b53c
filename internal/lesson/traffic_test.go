package lesson

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/traceview"
)

// TestProcessStartsAndStopsADetachedChild runs a stand-in for the traffic
// process (a shell that sleeps, with TrafficCommand in its command line).
func TestProcessStartsAndStopsADetachedChild(t *testing.T) {
	dir := t.TempDir()
	p := Process{
		Executable: "/bin/sh",
		// "; true" keeps the shell from exec'ing sleep, so that its
		// command line, with TrafficCommand, stays.
		Args:    []string{"-c", "sleep 600; true", TrafficCommand},
		OutPath: filepath.Join(dir, "logs", "traffic.out"), // logs/ does not exist yet
	}
	pid, err := p.Start(context.Background(), TrafficSpec{Scenario: "checkout", Rate: 2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopProcess(context.Background(), pid, time.Second) })
	if !p.Alive(pid) {
		t.Fatal("the child is not alive after Start")
	}
	if p.Alive(os.Getpid()) {
		t.Error("Alive takes this test, which is no traffic process, for one")
	}
	if p.Alive(0) {
		t.Error("Alive(0)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Stop(ctx, pid); err != nil {
		t.Fatal(err)
	}
	if p.Alive(pid) {
		t.Error("the child is alive after Stop")
	}
	if err := p.Stop(ctx, pid); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestRunTrafficDrivesTheScenarioUntilTheLessonEnds(t *testing.T) {
	var hits atomic.Int64
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch {
		case r.URL.Path == "/api/v1/products":
			w.Write([]byte(`{"products":[{"id":1},{"id":2}]}`))
		case strings.HasPrefix(r.URL.Path, "/api/v1/products/"):
			w.Write([]byte(`{"id":1}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer gw.Close()
	sc, err := load.Find("../../scenarios", "browse")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const pid = 4242
	if err := SaveProgress(dir, &Progress{Lesson: "exemplar-to-span", Traffic: true, TrafficPID: pid, Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- RunTraffic(context.Background(), RunOptions{
			Scenario: sc, Target: gw.URL, Rate: 20, Seed: 1, Period: 300 * time.Millisecond,
			DataDir: dir, PID: pid, CheckEvery: 50 * time.Millisecond,
		})
	}()
	testkit.WaitFor(t, 30*time.Second, "a finished run kept for shoplab trace --slowest", func() bool {
		r, err := traceview.ReadLastRun(dir)
		return err == nil && r.Scenario == "browse" && r.Total.Requests > 0
	})
	// The lesson ends: the progress no longer names this process.
	if err := SaveProgress(dir, &Progress{Lesson: "exemplar-to-span", Traffic: true, TrafficPID: pid, Started: time.Now(), Finished: time.Now()}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the traffic goes on after its lesson ended")
	}
	if hits.Load() == 0 {
		t.Error("no request reached the gateway")
	}
}

func TestRunTrafficStopsWithItsContext(t *testing.T) {
	gw := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer gw.Close()
	sc, err := load.Find("../../scenarios", "browse")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunTraffic(ctx, RunOptions{Scenario: sc, Target: gw.URL, Rate: 5, Period: time.Hour}) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("RunTraffic did not return after its context ended")
	}
}
