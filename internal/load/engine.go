package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoplab/shoplab/internal/region"
)

// Options tune a run. The zero value of each field keeps the scenario's
// setting or a default.
type Options struct {
	// Target is the gateway's base URL, e.g. http://127.0.0.1:8100.
	Target string
	// Rate overrides the scenario's journeys per second (a ramp is scaled
	// so that its peak is Rate); Duration overrides its length (a ramp's
	// stages are scaled in proportion).
	Rate     float64
	Duration time.Duration
	// Regions restricts the run to these regions, keeping their weights.
	Regions []string
	// MaxInFlight bounds the journeys running at once (default: the
	// scenario's max_in_flight, else sized from the scenario: peak rate ×
	// (mean think time + StepAllowance a step) × SlotHeadroom, within
	// [MinMaxInFlight, MaxMaxInFlight]). An arrival that finds every slot
	// busy is dropped and counted, never delayed.
	MaxInFlight int
	// MaxConns bounds the connections to the target (default
	// DefaultMaxConns). Requests wait for a connection; that wait is part
	// of their latency. Without a bound, a burst at start makes every new
	// worker dial its own connection while the earlier dials are still
	// under way, and the dials starve the requests (measured: 1,400-3,000
	// arrivals dropped in the first 250 ms of a 20k/s run; bench/RESULTS.md).
	MaxConns int
	// MaxLag is how late an arrival may start before it counts as late
	// (default 100ms).
	MaxLag time.Duration
	// Drain is how long journeys may run on after the last arrival
	// (default 30s); requests still unanswered then count as errors.
	Drain time.Duration
	// RequestTimeout bounds the wait for an answer's headers (default 60s,
	// above the 30s a fault may delay a service).
	RequestTimeout time.Duration
	// NoThink skips think times (smoke tests).
	NoThink bool
	// Thresholds are checked besides the scenario's own.
	Thresholds []Threshold
	// Transport replaces the tuned HTTP transport (tests, benchmarks).
	Transport http.RoundTripper
	// Progress, when set, is called every ProgressEvery (default 1s) from
	// a goroutine of its own, and never after Run returns.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// Seed makes the choice of regions and journeys repeatable; 0 picks
	// a random seed. Trace IDs are always random.
	Seed uint64
}

// Saturation limits: a run in which any arrival was dropped, or more than
// lateRatio of them started late, did not measure the target alone.
const lateRatio = 0.01

// Engine runs one scenario once.
type Engine struct {
	sc          *Scenario
	o           Options
	base        *url.URL
	pacer       Pacer
	regions     []string
	regionCum   []float64
	journeyCum  []float64
	journeys    []boundJourney
	faults      [][]Fault // per region index
	faultAll    []string  // per region: every fault, for the common case
	rt          http.RoundTripper
	closeIdle   func()
	stats       *stats
	runID       string
	maxInFlight int
	ran         atomic.Bool

	start   time.Time
	runCtx  context.Context
	work    chan arrival
	wg      sync.WaitGroup
	workers int
}

// arrival is one journey's slot.
type arrival struct {
	intended time.Duration
	journey  uint16
	region   uint8
}

var (
	errDrainTimeout = errors.New("the run's drain timeout ended it")
	errInterrupted  = errors.New("the run was interrupted")
)

// New prepares a run of sc. It checks the options against the scenario;
// nothing is sent until Run.
func New(sc *Scenario, o Options) (*Engine, error) {
	if o.Target == "" {
		return nil, errors.New("no target URL")
	}
	base, err := url.Parse(o.Target)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("target %q: want an http:// or https:// URL such as http://127.0.0.1:8100", o.Target)
	}
	if o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) {
		return nil, fmt.Errorf("rate %v: want journeys per second above zero", o.Rate)
	}
	if o.Duration < 0 {
		return nil, fmt.Errorf("duration %s: want a positive duration", o.Duration)
	}
	if o.MaxLag <= 0 {
		o.MaxLag = 100 * time.Millisecond
	}
	if o.Drain <= 0 {
		o.Drain = 30 * time.Second
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 60 * time.Second
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = time.Second
	}
	e := &Engine{sc: sc, o: o, base: base, pacer: sc.Pacer(o.Rate, o.Duration), work: make(chan arrival)}
	e.maxInFlight = cmpOr(o.MaxInFlight, sc.MaxInFlight, defaultMaxInFlight(sc, e.PeakRate(), o.NoThink))
	if err := e.chooseRegions(o.Regions); err != nil {
		return nil, err
	}
	sum := 0.0
	for _, j := range sc.Journeys {
		sum += j.Weight
		e.journeyCum = append(e.journeyCum, sum)
	}
	var id [4]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read does not fail
	e.runID = hex.EncodeToString(id[:])
	if e.journeys, err = bindJourneys(sc, base, e.runID); err != nil {
		return nil, err
	}
	e.stats = newStats(sc, e.regions)
	e.rt = o.Transport
	if e.rt == nil {
		maxConns := o.MaxConns
		if maxConns == 0 {
			maxConns = DefaultMaxConns
		}
		if base.Scheme == "http" {
			tr := newConnTransport(hostPort(base), maxConns, o.RequestTimeout, idleConnTimeout)
			e.rt, e.closeIdle = tr, tr.CloseIdleConnections
		} else {
			tr := newTransport(e.maxInFlight, maxConns, o.RequestTimeout)
			e.rt, e.closeIdle = tr, tr.CloseIdleConnections
		}
	}
	return e, nil
}

func cmpOr(vs ...int) int {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}

func (e *Engine) chooseRegions(only []string) error {
	for _, r := range only {
		if !slices.Contains(region.All(), r) {
			return fmt.Errorf("unknown region %q (want one of %s)", r, strings.Join(region.All(), ", "))
		}
	}
	sum := 0.0
	for _, w := range e.sc.Regions {
		if len(only) > 0 && !slices.Contains(only, w.Region) {
			continue
		}
		sum += w.Weight
		e.regions = append(e.regions, w.Region)
		e.regionCum = append(e.regionCum, sum)
	}
	if len(e.regions) == 0 {
		return fmt.Errorf("scenario %s sends no traffic from %s (its regions: %s)", e.sc.Name, strings.Join(only, ", "), regionNames(e.sc.Regions))
	}
	e.faults = make([][]Fault, len(e.regions))
	e.faultAll = make([]string, len(e.regions))
	for i, r := range e.regions {
		var all []string
		for _, f := range e.sc.Faults {
			if len(f.Regions) == 0 || slices.Contains(f.Regions, r) {
				e.faults[i] = append(e.faults[i], f)
				all = append(all, f.Inject)
			}
		}
		e.faultAll[i] = strings.Join(all, ",")
	}
	return nil
}

// DefaultMaxConns is the connection limit when Options.MaxConns is 0:
// far more than the lab's scenarios keep busy, and few enough that a start
// burst cannot turn into a storm of dials.
const DefaultMaxConns = 256

// idleConnTimeout is below the shop's 30 s server-side idle limit: the
// generator closes an idle connection before the server does, so a
// request seldom races the server's close of a reused connection.
const idleConnTimeout = 25 * time.Second

// hostPort is the address to dial for an http:// URL.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// newTransport is the transport of an https:// target (the lab's gateway
// speaks plain http, served by connTransport), so that connections
// are reused: as many idle connections are kept as journeys may run.
func newTransport(maxInFlight, maxConns int, timeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // the target is measured, not a proxy in between
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          maxInFlight,
		MaxIdleConnsPerHost:   maxInFlight,
		MaxConnsPerHost:       maxConns,
		IdleConnTimeout:       idleConnTimeout,
		ResponseHeaderTimeout: timeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
}

// ctx is the run's context: cancelled with errInterrupted or
// errDrainTimeout as its cause.
func (e *Engine) ctx() context.Context { return e.runCtx }

// Regions are the regions the run sends traffic from.
func (e *Engine) Regions() []string { return slices.Clone(e.regions) }

// PeakRate is the highest target rate of the schedule, in journeys per
// second.
func (e *Engine) PeakRate() float64 {
	if p, ok := e.pacer.(*LinearPacer); ok {
		peak := p.start
		for _, s := range p.stages {
			peak = math.Max(peak, s.Rate)
		}
		return peak
	}
	return e.pacer.Rate(0)
}

// Duration is the length of the arrival schedule.
func (e *Engine) Duration() time.Duration { return e.pacer.Duration() }

// Scenario is the scenario the engine runs.
func (e *Engine) Scenario() *Scenario { return e.sc }

// Run sends the scenario's traffic and returns its result once every
// journey has finished (or the drain timeout has passed). When ctx ends,
// arrivals stop, requests in flight are abandoned, and the result covers
// what finished before (Result.Interrupted).
func (e *Engine) Run(ctx context.Context) (*Result, error) {
	if !e.ran.CompareAndSwap(false, true) {
		return nil, errors.New("an Engine runs once")
	}
	if e.closeIdle != nil {
		defer e.closeIdle()
	}
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	stopWatch := context.AfterFunc(ctx, func() { cancel(errInterrupted) })
	defer stopWatch()

	e.runCtx = runCtx
	e.start = time.Now()
	started := time.Now().UTC()
	progressDone := e.reportProgress(runCtx)

	e.pace(runCtx)
	close(e.work)
	e.drain(runCtx, cancel)
	elapsed := time.Since(e.start)
	progressDone()

	interrupted := errors.Is(context.Cause(runCtx), errInterrupted)
	return e.result(started, elapsed, interrupted), nil
}

// pace issues arrivals on the pacer's schedule until it ends or ctx does.
func (e *Engine) pace(ctx context.Context) {
	seed := e.o.Seed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	rng := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var hits uint64
	for {
		elapsed := time.Since(e.start)
		wait, stop := e.pacer.Pace(elapsed, hits)
		if stop {
			return
		}
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
				continue
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		default:
		}
		e.dispatch(arrival{
			intended: elapsed + wait,
			region:   uint8(pick(e.regionCum, rng)),
			journey:  uint16(pick(e.journeyCum, rng)),
		})
		hits++
	}
}

// pick chooses an index with probability proportional to its weight,
// given the running sums of the weights.
func pick(cum []float64, rng *mrand.Rand) int {
	x := rng.Float64() * cum[len(cum)-1]
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

// dispatch hands a to an idle worker, starts a new one while fewer than
// maxInFlight exist, or drops a: an open model never delays an arrival.
func (e *Engine) dispatch(a arrival) {
	e.stats.scheduled.Add(1)
	select {
	case e.work <- a:
		return
	default:
	}
	if e.workers < e.maxInFlight {
		e.workers++
		e.wg.Add(1)
		w := e.newWorker()
		go w.loop(a)
		return
	}
	e.stats.dropped.Add(1)
}

// drain waits for the journeys in flight, at most o.Drain.
func (e *Engine) drain(ctx context.Context, cancel context.CancelCauseFunc) {
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(e.o.Drain)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancel(errDrainTimeout)
		<-done
	case <-ctx.Done():
		<-done
	}
}
