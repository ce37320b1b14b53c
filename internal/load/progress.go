package load

import (
	"context"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Progress is a snapshot of a running load test. Its numbers come from the
// same stats the final Result is built from: there is one measurement
// path.
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
	// Generator is the generator's own health so far, judged by the same
	// rules as the final result: Saturated and its Reasons.
	Generator Generator
	// Regions has one entry per region of the run, in Engine.Regions order.
	Regions []RegionProgress
	// Endpoints has one entry per endpoint the scenario calls, in
	// Endpoints() order.
	Endpoints []EndpointProgress
}

// RegionProgress is one region's traffic so far.
type RegionProgress struct {
	Region   string
	Requests int64
	Errors   int64
	// RequestRate is requests answered per second since the last snapshot.
	RequestRate float64
}

// EndpointProgress is one endpoint's traffic so far, over every region.
type EndpointProgress struct {
	Method, Route string
	Requests      int64
	Errors        int64
	RequestRate   float64
	// P99 is over the endpoint's requests so far, from their intended start.
	P99 time.Duration
}

// progressState is what the reporter keeps between snapshots.
type progressState struct {
	merged       *hdr.Histogram
	perEndpoint  map[int]*hdr.Histogram
	lastRegion   []int64
	lastEndpoint map[int]int64
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
		ps := &progressState{
			merged:       newHistogram(),
			perEndpoint:  map[int]*hdr.Histogram{},
			lastRegion:   make([]int64, len(e.regions)),
			lastEndpoint: map[int]int64{},
		}
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
			started := st.started.Load()
			span := (now - last).Seconds()
			p := Progress{
				Elapsed:     now,
				TargetRate:  e.pacer.Rate(now),
				JourneyRate: float64(started-lastStarted) / span,
				Scheduled:   st.scheduled.Load(),
				Dropped:     st.dropped.Load(),
				Late:        st.late.Load(),
				InFlight:    st.inFlight.Load(),
				Draining:    now >= e.pacer.Duration(),
				Generator:   e.generator(),
			}
			if p.Draining {
				p.TargetRate = 0
			}
			e.breakdown(&p, ps, span)
			// The totals are the sum of the cells breakdown read, not the
			// global counters: workers keep recording while the cells are
			// read one by one, and a snapshot whose parts do not add up to
			// its whole would be wrong on screen.
			for _, r := range p.Regions {
				p.Requests += r.Requests
				p.Errors += r.Errors
			}
			requests := p.Requests
			p.RequestRate = float64(requests-lastRequests) / span
			p.P99 = time.Duration(ps.merged.ValueAtQuantile(99)) * time.Microsecond
			lastStarted, lastRequests, last = started, requests, now
			e.o.Progress(p)
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
	}
}

// breakdown fills p's per-region and per-endpoint numbers from the cells,
// and ps.merged with every request's latency.
func (e *Engine) breakdown(p *Progress, ps *progressState, span float64) {
	st := e.stats
	nr := len(st.regions)
	regions := make([]RegionProgress, nr)
	for r, name := range st.regions {
		regions[r].Region = name
	}
	ps.merged.Reset()
	for ep := range endpoints {
		var ept EndpointProgress
		used := false
		for r := range nr {
			c := st.cells[ep*nr+r]
			if c == nil {
				continue
			}
			if !used {
				used = true
				if ps.perEndpoint[ep] == nil {
					ps.perEndpoint[ep] = newHistogram()
				}
				ps.perEndpoint[ep].Reset()
			}
			c.mu.Lock()
			ps.perEndpoint[ep].Merge(c.latency)
			ept.Requests += c.requests
			ept.Errors += c.errors
			regions[r].Requests += c.requests
			regions[r].Errors += c.errors
			c.mu.Unlock()
		}
		if !used {
			continue
		}
		ps.merged.Merge(ps.perEndpoint[ep])
		ept.Method, ept.Route = endpoints[ep].Method, endpoints[ep].Route
		ept.RequestRate = float64(ept.Requests-ps.lastEndpoint[ep]) / span
		ept.P99 = time.Duration(ps.perEndpoint[ep].ValueAtQuantile(99)) * time.Microsecond
		ps.lastEndpoint[ep] = ept.Requests
		p.Endpoints = append(p.Endpoints, ept)
	}
	for r := range regions {
		regions[r].RequestRate = float64(regions[r].Requests-ps.lastRegion[r]) / span
		ps.lastRegion[r] = regions[r].Requests
	}
	p.Regions = regions
}
