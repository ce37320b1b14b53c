package load

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaVersion names the layout of Result's JSON; it changes only when a
// field changes meaning or goes away.
const SchemaVersion = "shoplab.load/v1"

// Result is what a run measured. Its JSON form is documented in
// scenarios/README.md.
type Result struct {
	Schema   string `json:"schema"`
	Scenario string `json:"scenario"`
	Target   string `json:"target"`
	// StartedAt is the wall-clock start; DurationS the arrival schedule's
	// length and ElapsedS the run's, drain included.
	StartedAt time.Time `json:"started_at"`
	DurationS float64   `json:"duration_s"`
	ElapsedS  float64   `json:"elapsed_s"`
	// TargetRate is the schedule's peak, in journeys per second.
	TargetRate  float64           `json:"target_rate"`
	Regions     []string          `json:"regions"`
	Faults      []string          `json:"faults"`
	Interrupted bool              `json:"interrupted"`
	Generator   Generator         `json:"generator"`
	Journeys    []JourneyResult   `json:"journeys"`
	Total       Stats             `json:"total"`
	Endpoints   []EndpointResult  `json:"endpoints"`
	Slowest     []SlowEndpoint    `json:"slowest"`
	Thresholds  []ThresholdResult `json:"thresholds"`
	// Passed is true when every threshold held, the generator kept up and
	// the run was not interrupted.
	Passed bool `json:"passed"`
}

// Generator is how well the generator kept its schedule.
type Generator struct {
	// Scheduled arrivals = Started + Dropped (unless interrupted).
	Scheduled int64 `json:"scheduled"`
	Started   int64 `json:"started"`
	// Dropped arrivals found every journey slot busy.
	Dropped int64 `json:"dropped"`
	// Late arrivals started more than MaxLagMS after their slot.
	Late         int64   `json:"late"`
	MaxLagMS     float64 `json:"max_lag_ms"`
	LateLimitMS  float64 `json:"late_limit_ms"`
	MaxInFlight  int     `json:"max_in_flight"`
	PeakInFlight int64   `json:"peak_in_flight"`
	// Saturated means the generator, not only the target, shaped the
	// result: the numbers are not to be trusted. Reasons say why.
	Saturated bool     `json:"saturated"`
	Reasons   []string `json:"reasons,omitempty"`
}

// JourneyResult counts one journey's runs.
type JourneyResult struct {
	Name    string `json:"name"`
	Started int64  `json:"started"`
	// Completed ran every step; Ended stopped at an expected answer that
	// is not 2xx (e.g. a declared 503); Failed stopped at an unexpected
	// answer or error; the rest were still running when the run ended.
	Completed int64 `json:"completed"`
	Ended     int64 `json:"ended"`
	Failed    int64 `json:"failed"`
}

// Stats are the measurements of a set of requests.
type Stats struct {
	Requests int64 `json:"requests"`
	// Rate is requests per second of the arrival schedule.
	Rate float64 `json:"rate"`
	// Errors are unexpected statuses, transport errors and failed
	// captures; TransportErrors the requests that got no answer.
	Errors          int64            `json:"errors"`
	ErrorRatio      float64          `json:"error_ratio"`
	TransportErrors int64            `json:"transport_errors"`
	Statuses        map[string]int64 `json:"statuses"`
	// Latency is from each request's intended start: what a user saw.
	Latency Latency `json:"latency_ms"`
	// Service is from when the request had a connection: the difference
	// is time spent waiting in the generator (schedule lag, connections).
	Service Latency `json:"service_ms"`
	// SampleError is one transport or capture error message, if any.
	SampleError string `json:"sample_error,omitempty"`
}

// Latency is a distribution, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// EndpointResult is one endpoint's stats in one region.
type EndpointResult struct {
	Method string `json:"method"`
	Route  string `json:"route"`
	Region string `json:"region"`
	Stats
}

// SlowEndpoint lists an endpoint's slowest requests, slowest first.
type SlowEndpoint struct {
	Method   string        `json:"method"`
	Route    string        `json:"route"`
	Requests []SlowRequest `json:"requests"`
}

// SlowRequest is one slow request and how to find its trace.
type SlowRequest struct {
	TraceID   string  `json:"trace_id"`
	LatencyMS float64 `json:"latency_ms"`
	Region    string  `json:"region"`
	// Status is 0 when no answer came.
	Status int  `json:"status"`
	Failed bool `json:"failed"`
	// AtS is its intended start, in seconds since the run's start.
	AtS float64 `json:"at_s"`
	// TraceURL is filled in by the CLI when Grafana is reachable.
	TraceURL string `json:"trace_url,omitempty"`
}

func millis(us int64) float64 { return float64(us) / 1000 }

func latencyOf(h *hdr.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		P50: millis(h.ValueAtQuantile(50)), P90: millis(h.ValueAtQuantile(90)),
		P99: millis(h.ValueAtQuantile(99)), Max: millis(h.Max()), Mean: h.Mean() / 1000,
	}
}

// acc accumulates cells into Stats.
type acc struct {
	s                Stats
	latency, service *hdr.Histogram
}

func newAcc() *acc {
	return &acc{s: Stats{Statuses: map[string]int64{}}, latency: newHistogram(), service: newHistogram()}
}

func (a *acc) add(c *cell) {
	a.s.Requests += c.requests
	a.s.Errors += c.errors
	a.s.TransportErrors += c.transport
	for code, n := range c.statuses {
		a.s.Statuses[strconv.Itoa(code)] += n
	}
	if a.s.SampleError == "" {
		a.s.SampleError = c.sampleErr
	}
	a.latency.Merge(c.latency)
	a.service.Merge(c.service)
}

func (a *acc) stats(length time.Duration) Stats {
	s := a.s
	if secs := length.Seconds(); secs > 0 {
		s.Rate = float64(s.Requests) / secs
	}
	if s.Requests > 0 {
		s.ErrorRatio = float64(s.Errors) / float64(s.Requests)
	}
	s.Latency, s.Service = latencyOf(a.latency), latencyOf(a.service)
	return s
}

func (e *Engine) result(started time.Time, elapsed time.Duration, interrupted bool) *Result {
	st := e.stats
	length := e.pacer.Duration()
	if interrupted && elapsed < length {
		length = elapsed
	}
	r := &Result{
		Schema: SchemaVersion, Scenario: e.sc.Name, Target: e.o.Target, StartedAt: started,
		DurationS: length.Seconds(), ElapsedS: elapsed.Seconds(), TargetRate: e.PeakRate(),
		Regions: e.Regions(), Faults: []string{}, Interrupted: interrupted,
		Endpoints: []EndpointResult{}, Slowest: []SlowEndpoint{}, Thresholds: []ThresholdResult{},
	}
	for _, f := range e.sc.Faults {
		desc := f.Inject
		if len(f.Regions) > 0 {
			desc += fmt.Sprintf(" in %v", f.Regions)
		}
		if f.Ratio < 1 {
			desc += fmt.Sprintf(" for %.0f%% of requests", f.Ratio*100)
		}
		r.Faults = append(r.Faults, desc)
	}
	r.Generator = e.generator()
	for i, j := range e.journeys {
		js := &st.journeys[i]
		r.Journeys = append(r.Journeys, JourneyResult{
			Name: j.name, Started: js.started.Load(), Completed: js.completed.Load(),
			Ended: js.ended.Load(), Failed: js.failed.Load(),
		})
	}

	total := newAcc()
	for ep := range endpoints {
		var slow []SlowRequest
		for ri, reg := range e.regions {
			c := st.cells[ep*len(e.regions)+ri]
			if c == nil || c.requests == 0 {
				continue
			}
			a := newAcc()
			a.add(c)
			total.add(c)
			r.Endpoints = append(r.Endpoints, EndpointResult{Method: endpoints[ep].Method, Route: endpoints[ep].Route, Region: reg, Stats: a.stats(length)})
			for _, s := range c.slowest[:c.nslow] {
				slow = append(slow, SlowRequest{
					TraceID: hex.EncodeToString(s.traceID[:]), LatencyMS: float64(s.latency.Microseconds()) / 1000,
					Region: reg, Status: s.status, Failed: s.failed, AtS: s.at.Seconds(),
				})
			}
		}
		if len(slow) > 0 {
			sort.Slice(slow, func(a, b int) bool { return slow[a].LatencyMS > slow[b].LatencyMS })
			r.Slowest = append(r.Slowest, SlowEndpoint{Method: endpoints[ep].Method, Route: endpoints[ep].Route, Requests: slow[:min(len(slow), topN)]})
		}
	}
	r.Total = total.stats(length)

	thresholds := append(append([]Threshold(nil), e.sc.Thresholds...), e.o.Thresholds...)
	passed := true
	for _, t := range thresholds {
		tr := check(t, r.Total, total.latency)
		passed = passed && tr.Passed
		r.Thresholds = append(r.Thresholds, tr)
	}
	r.Passed = passed && !r.Generator.Saturated && !interrupted
	return r
}

func (e *Engine) generator() Generator {
	st := e.stats
	g := Generator{
		Scheduled: st.scheduled.Load(), Started: st.started.Load(), Dropped: st.dropped.Load(), Late: st.late.Load(),
		MaxLagMS:    float64(time.Duration(st.maxLag.Load()).Microseconds()) / 1000,
		LateLimitMS: float64(e.o.MaxLag.Microseconds()) / 1000,
		MaxInFlight: e.maxInFlight, PeakInFlight: st.peak.Load(),
	}
	if g.Dropped > 0 {
		g.Reasons = append(g.Reasons, e.dropReason(g))
	}
	if g.Started > 0 && float64(g.Late) > lateRatio*float64(g.Started) {
		g.Reasons = append(g.Reasons, fmt.Sprintf(
			"%d of %d arrivals (%.1f%%) started more than %s after their slot (worst %s): the generator could not keep its schedule (CPU?)",
			g.Late, g.Started, 100*float64(g.Late)/float64(g.Started), e.o.MaxLag, time.Duration(st.maxLag.Load()).Round(time.Millisecond)))
	}
	g.Saturated = len(g.Reasons) > 0
	return g
}

func check(t Threshold, s Stats, latency *hdr.Histogram) ThresholdResult {
	r := ThresholdResult{Expr: t.Expr, Metric: t.Metric}
	switch t.Metric {
	case "errors":
		r.Actual = s.ErrorRatio
	case "rate":
		r.Actual = s.Rate
	case "max":
		r.Actual = millis(latency.Max())
	default:
		r.Actual = millis(latency.ValueAtQuantile(t.quantile * 100))
	}
	if s.Requests == 0 && t.Metric != "rate" {
		r.Note = "no requests were answered"
		return r
	}
	r.Passed = t.holds(r.Actual)
	return r
}
