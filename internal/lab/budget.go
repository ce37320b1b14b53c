package lab

import (
	"context"
	"time"

	"github.com/shoplab/shoplab/internal/config"
)

// ExitMargin is what a process that stops the lab may take beyond the
// stop's budget: the signal reaching it, the pid file's removal and the
// exit. `shoplab down` waits StopTimeout for the background process.
const ExitMargin = 3 * time.Second

// StopTimeout is how long a process running the lab takes at most to stop
// once told to: Stop's budget, cfg.ShutdownTimeout, plus ExitMargin.
func StopTimeout(cfg config.Config) time.Duration { return cfg.ShutdownTimeout + ExitMargin }

// maxReserve caps each of the two slices a stop keeps at the end of its
// budget.
const maxReserve = time.Second

// stopBudget divides one stop's time. From the end backwards: the last
// slice flushes telemetry, so that the spans of drained requests are
// exported; the slice before it lets the servers answer or cancel what
// their drains did not finish and the services release what they hold;
// the drains of all the stages get the rest, together.
type stopBudget struct {
	// cut ends the drains: requests still running are cut (the gateway
	// answers them 503).
	cut time.Time
	// closed is when the servers must have closed every connection.
	closed time.Time
	// flush is when Stop stops waiting for services and flushes telemetry.
	flush time.Time
	// end is the end of the budget.
	end time.Time
}

// newStopBudget starts a budget that ends at ctx's deadline or, without
// one, after def. Each reserved slice is a tenth of it, at most
// maxReserve: 1 s each of the default 15 s, 0.2 s each of 2 s.
func newStopBudget(ctx context.Context, def time.Duration) stopBudget {
	now := time.Now()
	end, ok := ctx.Deadline()
	if !ok {
		end = now.Add(def)
	}
	slice := min(max(end.Sub(now), 0)/10, maxReserve)
	flush := end.Add(-slice)
	return stopBudget{cut: flush.Add(-slice), closed: flush.Add(-slice / 2), flush: flush, end: end}
}
