package traceview

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/load"
)

func TestLastRunRoundTripAndPicks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := &load.Result{
		Schema: load.SchemaVersion, Scenario: "checkout", StartedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Slowest: []load.SlowEndpoint{
			{Method: "GET", Route: "/api/v1/products", Requests: []load.SlowRequest{
				{TraceID: "11111111111111111111111111111111", LatencyMS: 90, AtS: 29.5, Status: 200},
				{TraceID: "22222222222222222222222222222222", LatencyMS: 80, AtS: 3, Status: 200},
			}},
			{Method: "POST", Route: "/api/v1/orders", Requests: []load.SlowRequest{
				{TraceID: "33333333333333333333333333333333", LatencyMS: 412, AtS: 12, Status: 201},
			}},
		},
	}
	if err := SaveLastRun(dir, r); err != nil {
		t.Fatal(err)
	}
	// A second run replaces the first whole.
	if err := SaveLastRun(dir, r); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, LastRunFile+".*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	got, err := ReadLastRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := PickSlowest(got)
	if err != nil || slow.TraceID != "33333333333333333333333333333333" || slow.Route != "/api/v1/orders" || slow.Method != "POST" {
		t.Errorf("slowest = %+v, %v", slow, err)
	}
	last, err := PickLast(got)
	if err != nil || last.TraceID != "11111111111111111111111111111111" || last.Route != "/api/v1/products" {
		t.Errorf("last = %+v, %v", last, err)
	}
}

func TestLastRunErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadLastRun(dir)
	if !errors.Is(err, ErrNoLoadRun) || ExitCode(err) != ExitNoLoadRun || !strings.Contains(err.Error(), "run shoplab load first") {
		t.Errorf("no file: %v (exit %d)", err, ExitCode(err))
	}
	if err := os.WriteFile(LastRunPath(dir), []byte(`{"schema":"shoplab.load/v0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadLastRun(dir); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("old schema: %v", err)
	}
	for name, pick := range map[string]func(*load.Result) (Pick, error){"slowest": PickSlowest, "last": PickLast} {
		_, err := pick(&load.Result{Scenario: "browse"})
		if !errors.Is(err, ErrNoLoadRun) || !strings.Contains(err.Error(), "kept no request's trace ID") {
			t.Errorf("%s of a run without traces: %v", name, err)
		}
	}
}
