package traceview

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shoplab/shoplab/internal/atomicfile"
	"github.com/shoplab/shoplab/internal/load"
)

// LastRunFile is the file, in the data directory, that keeps the last
// load run's result (load.Result's JSON, as `shoplab load --out json`
// prints it) for `shoplab trace --slowest` and `--last`.
const LastRunFile = "last-load.json"

// LastRunPath is the last run's file under dataDir.
func LastRunPath(dataDir string) string { return filepath.Join(dataDir, LastRunFile) }

// SaveLastRun records r as the last load run. The file is replaced whole
// (written aside, then renamed), so a reader, or a second run finishing
// at the same time, never sees half of one.
func SaveLastRun(dataDir string, r *load.Result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("last load run: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("last load run: %w", err)
	}
	if err := atomicfile.WriteFile(LastRunPath(dataDir), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("last load run: %w", err)
	}
	return nil
}

// ReadLastRun reads the last load run SaveLastRun recorded under dataDir;
// none is ErrNoLoadRun.
func ReadLastRun(dataDir string) (*load.Result, error) {
	path := LastRunPath(dataDir)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist: run shoplab load first", ErrNoLoadRun, path)
	}
	if err != nil {
		return nil, fmt.Errorf("last load run: %w", err)
	}
	var r load.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("last load run %s: %w", path, err)
	}
	if r.Schema != load.SchemaVersion {
		return nil, fmt.Errorf("last load run %s: schema %q, want %q: run shoplab load again", path, r.Schema, load.SchemaVersion)
	}
	return &r, nil
}

// Pick is a request of a load run whose trace to show.
type Pick struct {
	Method, Route string
	load.SlowRequest
}

// PickSlowest is the run's slowest request with a trace ID.
func PickSlowest(r *load.Result) (Pick, error) {
	return pick(r, func(a, b load.SlowRequest) bool { return a.LatencyMS > b.LatencyMS })
}

// PickLast is the request that started last among those the run kept
// trace IDs of (each endpoint's slowest: a load.Result keeps no others).
func PickLast(r *load.Result) (Pick, error) {
	return pick(r, func(a, b load.SlowRequest) bool { return a.AtS > b.AtS })
}

func pick(r *load.Result, better func(a, b load.SlowRequest) bool) (Pick, error) {
	var best Pick
	found := false
	for _, ep := range r.Slowest {
		for _, q := range ep.Requests {
			if q.TraceID == "" {
				continue
			}
			if !found || better(q, best.SlowRequest) {
				best, found = Pick{Method: ep.Method, Route: ep.Route, SlowRequest: q}, true
			}
		}
	}
	if !found {
		return Pick{}, fmt.Errorf("%w: the last run (scenario %s, %s) kept no request's trace ID", ErrNoLoadRun, r.Scenario, r.StartedAt.Format("2006-01-02 15:04:05"))
	}
	return best, nil
}
