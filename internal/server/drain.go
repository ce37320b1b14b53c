package server

import (
	"context"
	"errors"
	"sync"
	"time"
)

// CodeShuttingDown is the error code of the 503 a stopping server answers:
// to a request that arrives while it drains, and, in the gateway, to one
// still running when the drain's time is up.
const CodeShuttingDown = "shutting_down"

// ErrCut reports a stop whose drain ran out of time: requests or calls
// still in progress were cut (answered 503 where the server knows how,
// cancelled otherwise).
var ErrCut = errors.New("work still in progress at the end of the drain was cut")

// maxUnwind bounds, for a server stopping without a Drain, the time
// between the cut and its close: answering what was cut and letting the
// cancelled handlers return takes milliseconds, not seconds.
const maxUnwind = time.Second

// minDrain is the least drain a Drain's deadline leaves a server, even
// one that has passed: a stage that starts late still closes cleanly when
// it has nothing in flight, instead of reporting a cut it cannot tell
// from a real one (a gRPC server does not count its calls).
const minDrain = 50 * time.Millisecond

// Drain carries the deadlines of a stop that several servers share.
// Lab.Stop sets them before it stops its first service, so that the stages
// of a stop draw on one budget instead of each taking its own grace. The
// zero Drain has no deadlines: a server then drains for its own grace.
type Drain struct {
	mu        sync.Mutex
	cut, stop time.Time
}

// SetDeadlines says when a server's drain ends: what still runs at cut is
// cut, and the server has closed every connection by stop.
func (d *Drain) SetDeadlines(cut, stop time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cut, d.stop = cut, stop
}

func (d *Drain) deadlines() (cut, stop time.Time, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cut, d.stop, !d.cut.IsZero()
}

type drainKey struct{}

// WithDrain returns ctx carrying d. The servers run with it (ServeHTTP,
// ServeGRPC) read d's deadlines once ctx ends, so d must be set before.
func WithDrain(ctx context.Context, d *Drain) context.Context {
	return context.WithValue(ctx, drainKey{}, d)
}

// stopDeadlines returns when a server whose ctx just ended cuts what still
// runs and when it must have closed: after grace, or earlier if ctx
// carries a Drain that says so.
func stopDeadlines(ctx context.Context, grace time.Duration) (cut, stop time.Time) {
	now := time.Now()
	cut = now.Add(grace)
	unwind := min(grace/10, maxUnwind)
	if d, ok := ctx.Value(drainKey{}).(*Drain); ok {
		if dcut, dstop, ok := d.deadlines(); ok {
			unwind = max(dstop.Sub(dcut), 0)
			if floor := now.Add(minDrain); dcut.Before(floor) {
				dcut = floor
			}
			if dcut.Before(cut) {
				cut = dcut
			}
		}
	}
	return cut, cut.Add(unwind)
}
