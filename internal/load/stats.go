package load

import (
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// topN is how many of the slowest requests are kept per endpoint and
// region, with their trace IDs.
const topN = 5

// Histograms hold microseconds from 1µs to 10 minutes with three
// significant digits; longer latencies are recorded as 10 minutes.
const (
	histMin    = 1
	histMax    = int64(10 * time.Minute / time.Microsecond)
	histDigits = 3
)

func newHistogram() *hdr.Histogram { return hdr.New(histMin, histMax, histDigits) }

func recordDuration(h *hdr.Histogram, d time.Duration) {
	v := d.Microseconds()
	switch {
	case v < histMin:
		v = histMin
	case v > histMax:
		v = histMax
	}
	_ = h.RecordValue(v) // cannot fail: v is within the histogram's range
}

// sample is one finished (or failed) request.
type sample struct {
	intended time.Duration // its slot, since the run's start
	sent     time.Duration // when it had a connection and could go out
	done     time.Duration
	status   int // 0 when the request failed before an answer
	failed   bool
	errMsg   string
	traceID  [16]byte
	region   uint8
}

// slowRequest is one of a cell's slowest requests.
type slowRequest struct {
	latency time.Duration
	at      time.Duration
	traceID [16]byte
	status  int
	failed  bool
}

// cell is the stats of one endpoint in one region. Cells are found by
// index (endpoint × regions + region), never by a formatted key.
type cell struct {
	mu        sync.Mutex
	latency   *hdr.Histogram // from the intended start: what a user saw
	service   *hdr.Histogram // from the moment it had a connection
	requests  int64
	errors    int64
	transport int64
	statuses  map[int]int64
	slowest   [topN]slowRequest
	nslow     int
	sampleErr string
}

func newCell() *cell {
	return &cell{latency: newHistogram(), service: newHistogram(), statuses: make(map[int]int64, 4)}
}

func (c *cell) record(s *sample) {
	lat := s.done - s.intended
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	recordDuration(c.latency, lat)
	recordDuration(c.service, s.done-s.sent)
	if s.failed {
		c.errors++
	}
	if s.status == 0 {
		c.transport++
		if c.sampleErr == "" {
			c.sampleErr = s.errMsg
		}
	} else {
		c.statuses[s.status]++
	}
	// Keep the topN slowest: replace the fastest kept one.
	if c.nslow < topN {
		c.slowest[c.nslow] = slowRequest{lat, s.intended, s.traceID, s.status, s.failed}
		c.nslow++
		return
	}
	min := 0
	for i := 1; i < topN; i++ {
		if c.slowest[i].latency < c.slowest[min].latency {
			min = i
		}
	}
	if lat > c.slowest[min].latency {
		c.slowest[min] = slowRequest{lat, s.intended, s.traceID, s.status, s.failed}
	}
}

// stats are a run's measurements.
type stats struct {
	regions []string
	cells   []*cell // nil for endpoints no step uses

	// Counters read by the progress reporter while the run goes on.
	requests  atomic.Int64
	errors    atomic.Int64
	scheduled atomic.Int64
	started   atomic.Int64
	dropped   atomic.Int64
	late      atomic.Int64
	inFlight  atomic.Int64
	peak      atomic.Int64
	maxLag    atomic.Int64 // nanoseconds

	// Journeys that ended, their time open and, of it, their think time
	// (nanoseconds): Little's law's W, for the saturation reason.
	journeysDone atomic.Int64
	journeyNanos atomic.Int64
	thinkNanos   atomic.Int64

	journeys []journeyStats
}

type journeyStats struct {
	started   atomic.Int64
	completed atomic.Int64 // every step answered as expected with 2xx
	ended     atomic.Int64 // stopped at an expected non-2xx answer
	failed    atomic.Int64 // stopped at an unexpected answer or error
}

func newStats(s *Scenario, regions []string) *stats {
	st := &stats{regions: regions, cells: make([]*cell, len(endpoints)*len(regions)), journeys: make([]journeyStats, len(s.Journeys))}
	for _, j := range s.Journeys {
		for _, step := range j.Steps {
			for r := range regions {
				if i := step.endpoint*len(regions) + r; st.cells[i] == nil {
					st.cells[i] = newCell()
				}
			}
		}
	}
	return st
}

func (st *stats) cell(endpoint int, region uint8) *cell {
	return st.cells[endpoint*len(st.regions)+int(region)]
}

func (st *stats) record(endpoint int, s *sample) {
	st.cell(endpoint, s.region).record(s)
	st.requests.Add(1)
	if s.failed {
		st.errors.Add(1)
	}
}

// noteLag records how late an arrival started.
func (st *stats) noteLag(lag, maxLag time.Duration) {
	storeMax(&st.maxLag, int64(lag))
	if lag > maxLag {
		st.late.Add(1)
	}
}

// storeMax raises a to v unless it is already higher.
func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}
