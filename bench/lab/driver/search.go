package main

import (
	"context"
	"fmt"
	"math"
	"time"
)

// record is one line of bench/out/lab.jsonl.
type record struct {
	// Kind is machine, start, step, best, cpu, soak, tui or goal.
	Kind    string  `json:"kind"`
	Run     int     `json:"run,omitempty"`
	Measure string  `json:"measure,omitempty"`
	Rate    float64 `json:"rate,omitempty"`
	Pass    bool    `json:"pass"`
	Why     string  `json:"why,omitempty"`
	P99MS   float64 `json:"p99_ms,omitempty"`
	// Requests were answered; Errors are unexpected answers and transport
	// errors; Dropped and Late arrivals are the generator's.
	Requests int64 `json:"requests,omitempty"`
	Errors   int64 `json:"errors,omitempty"`
	Dropped  int64 `json:"dropped,omitempty"`
	Late     int64 `json:"late,omitempty"`
	// ServerCPUS is the CPU the measured server process (shop or floor)
	// used during the step; per request in microseconds.
	ServerCPUS      float64            `json:"server_cpu_s,omitempty"`
	ServerCPUPerReq float64            `json:"server_cpu_per_request_us,omitempty"`
	GenCPUS         float64            `json:"generator_cpu_s,omitempty"`
	GenCPUPerReq    float64            `json:"generator_cpu_per_request_us,omitempty"`
	Spans           int64              `json:"spans_received,omitempty"`
	HealthyMS       float64            `json:"healthy_ms,omitempty"`
	Machine         *machine           `json:"machine,omitempty"`
	Values          map[string]float64 `json:"values,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func perRequestUS(cpu time.Duration, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return float64(cpu) / float64(time.Microsecond) / float64(n)
}

// step runs scenario at rate for the step's length against target, served
// by p, and judges it: nothing dropped, no error, p99 within limit.
func (d *driver) step(ctx context.Context, p *process, measure, target, scenario string, rate float64, limit time.Duration, maxInFlight int) (record, error) {
	cpu0, err := cpuTime(p.pid())
	if err != nil {
		return record{}, err
	}
	spans0 := d.recv.spans.Load()
	lr, err := d.runLoad(ctx, d.loadArgs(target, scenario, rate, d.o.step, maxInFlight))
	if err != nil {
		return record{}, err
	}
	if err := p.alive(); err != nil {
		return record{}, err
	}
	cpu1, err := cpuTime(p.pid())
	if err != nil {
		return record{}, err
	}
	res := lr.res
	rec := record{
		Kind: "step", Run: d.run, Measure: measure, Rate: rate,
		P99MS: res.Total.Latency.P99, Requests: lr.answered(), Errors: res.Total.Errors,
		Dropped: res.Generator.Dropped, Late: res.Generator.Late,
		ServerCPUS: (cpu1 - cpu0).Seconds(), ServerCPUPerReq: perRequestUS(cpu1-cpu0, lr.answered()),
		GenCPUS: lr.cpu.Seconds(), GenCPUPerReq: perRequestUS(lr.cpu, res.Total.Requests),
		Spans: d.recv.spans.Load() - spans0,
	}
	switch {
	case res.Generator.Dropped > 0:
		rec.Why = fmt.Sprintf("%d arrivals dropped", res.Generator.Dropped)
	case res.Total.Errors > 0:
		rec.Why = fmt.Sprintf("%d errors (%s)", res.Total.Errors, res.Total.SampleError)
	case res.Total.Latency.P99 > ms(limit):
		rec.Why = fmt.Sprintf("p99 %.1f ms > %s", res.Total.Latency.P99, limit)
	case res.Generator.Saturated:
		rec.Why = fmt.Sprintf("generator saturated: %v", res.Generator.Reasons)
	default:
		rec.Pass = true
	}
	d.record(rec)
	verdict := "ok"
	if !rec.Pass {
		verdict = "FAIL: " + rec.Why
	}
	d.logf("  %-30s %7.0f/s  p99 %6.1f ms  cpu %6.1f µs/req  %s", measure, rate, rec.P99MS, rec.ServerCPUPerReq, verdict)
	return rec, nil
}

// search finds the highest rate that passes: up from start by inc until a
// step fails, then bisect times between the last pass and the first
// failure, to a multiple of grain. 0 means even the lowest rate tried
// failed.
func (d *driver) search(start, inc, grain float64, try func(rate float64) (record, error)) (float64, error) {
	lo, hi := 0.0, 0.0
	for r := start; ; r += inc {
		rec, err := try(r)
		if err != nil {
			return 0, err
		}
		if !rec.Pass {
			hi = r
			break
		}
		lo = r
		if r+inc > d.o.maxRate {
			return lo, nil
		}
	}
	for i := 0; i < d.o.bisect; i++ {
		mid := math.Round((lo+hi)/2/grain) * grain
		if mid <= lo || mid >= hi {
			break
		}
		rec, err := try(mid)
		if err != nil {
			return 0, err
		}
		if rec.Pass {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// warmUp sends a little traffic that is not measured: the first requests
// open connections and fill caches.
func (d *driver) warmUp(ctx context.Context, target, scenario string, rate float64) error {
	_, err := d.runLoad(ctx, d.loadArgs(target, scenario, rate, min(d.o.step, 3*time.Second), d.o.maxInFlight))
	return err
}
