package load

import (
	"context"
	"sync"
	"time"
)

// Progress is a snapshot of a running load test.
type Progress struct {
	Elapsed time.Duration
	// TargetRate is the schedule's journeys per second now; JourneyRate
	// the journeys actually started per second since the last snapshot.
	TargetRate  float64
	JourneyRate float64
	// RequestRate is requests answered per second since the last snapshot.
	RequestRate float64
	Scheduled   int64
	Dropped     int64
	Late        int64
	InFlight    int64
	Requests    int64
	Errors      int64
	// P99 is over every request so far, from its intended start.
	P99 time.Duration
	// Draining is set once the last arrival has started.
	Draining bool
}

// reportProgress calls o.Progress periodically until the returned stop
// function is called; stop returns after the last call.
func (e *Engine) reportProgress(ctx context.Context) (stop func()) {
	if e.o.Progress == nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(e.o.ProgressEvery)
		defer t.Stop()
		merged := newHistogram()
		var lastStarted, lastRequests int64
		last := time.Duration(0)
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			st := e.stats
			now := time.Since(e.start)
			started, requests := st.started.Load(), st.requests.Load()
			span := (now - last).Seconds()
			p := Progress{
				Elapsed:     now,
				TargetRate:  e.pacer.Rate(now),
				JourneyRate: float64(started-lastStarted) / span,
				RequestRate: float64(requests-lastRequests) / span,
				Scheduled:   st.scheduled.Load(),
				Dropped:     st.dropped.Load(),
				Late:        st.late.Load(),
				InFlight:    st.inFlight.Load(),
				Requests:    requests,
				Errors:      st.errors.Load(),
				Draining:    now >= e.pacer.Duration(),
			}
			if p.Draining {
				p.TargetRate = 0
			}
			st.mergedLatency(merged)
			p.P99 = time.Duration(merged.ValueAtQuantile(99)) * time.Microsecond
			lastStarted, lastRequests, last = started, requests, now
			e.o.Progress(p)
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
	}
}
