package lesson

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/traceview"
)

// RunOptions configure RunTraffic.
type RunOptions struct {
	Scenario *load.Scenario
	Target   string
	Rate     float64
	Seed     uint64
	// Period is the length of each load run (default 30s). Runs follow
	// each other without a gap: the next starts while the last drains.
	Period time.Duration
	// DataDir is where each finished run is kept for `shoplab trace
	// --slowest`, and where the progress file says whether this process
	// is still the lesson's traffic.
	DataDir string
	// PID is this process's pid; when the progress file no longer names
	// it (the lesson ended, the file is gone), the traffic stops, so that
	// it never outlives its lesson. 0 turns the check off.
	PID int
	// CheckEvery is how often the progress file is read (default 5s).
	CheckEvery time.Duration
	// Warn hears what went wrong without stopping the traffic.
	Warn func(error)
}

// RunTraffic drives the scenario in back-to-back runs until ctx ends or
// the lesson no longer owns this process.
func RunTraffic(ctx context.Context, o RunOptions) error {
	if o.Period <= 0 {
		o.Period = 30 * time.Second
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = 5 * time.Second
	}
	if o.Warn == nil {
		o.Warn = func(error) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()

	next := time.NewTimer(0)
	defer next.Stop()
	check := time.NewTicker(o.CheckEvery)
	defer check.Stop()
	for i := uint64(0); ; {
		select {
		case <-ctx.Done():
			return nil
		case <-check.C:
			if o.PID != 0 && !owned(o.DataDir, o.PID) {
				return nil
			}
		case <-next.C:
			next.Reset(o.Period)
			e, err := load.New(o.Scenario, load.Options{
				Target: o.Target, Rate: o.Rate, Duration: o.Period,
				Seed: o.Seed + i, Drain: 15 * time.Second,
			})
			i++
			if err != nil {
				return fmt.Errorf("lesson traffic: %w", err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := e.Run(ctx)
				if err != nil {
					o.Warn(err)
					return
				}
				if res.Interrupted || o.DataDir == "" {
					return
				}
				if err := traceview.SaveLastRun(o.DataDir, res); err != nil {
					o.Warn(err)
				}
			}()
		}
	}
}

// owned reports whether dataDir's lesson is on with pid as its traffic.
// An unreadable file keeps the traffic going: the next check decides.
func owned(dataDir string, pid int) bool {
	p, err := LoadProgress(dataDir)
	if err != nil {
		return true
	}
	return p.Active() && p.TrafficPID == pid
}
