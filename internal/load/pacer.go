package load

import (
	"math"
	"time"
)

// A Pacer is an arrival schedule. Like vegeta's, it answers one question:
// given the time since the start and the number of hits already issued,
// how long until the next hit is due.
type Pacer interface {
	// Pace returns how long after elapsed hit number hits (counting from
	// zero) is due. The wait is negative when that hit is overdue, so that
	// elapsed+wait is always the hit's slot. stop reports that the schedule
	// has no such hit.
	Pace(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool)
	// Rate is the target rate, in hits per second, at elapsed.
	Rate(elapsed time.Duration) float64
	// Duration is the length of the schedule.
	Duration() time.Duration
}

// ConstantPacer issues Freq hits per second for Length: hit n is due at
// n/Freq seconds, so a run issues exactly ceil(Freq×Length) hits.
type ConstantPacer struct {
	Freq   float64
	Length time.Duration
}

// Pace implements Pacer.
func (p ConstantPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.Freq <= 0 {
		return 0, true
	}
	due := time.Duration(float64(hits) / p.Freq * float64(time.Second))
	if due >= p.Length {
		return 0, true
	}
	return due - elapsed, false
}

// Rate implements Pacer.
func (p ConstantPacer) Rate(time.Duration) float64 { return p.Freq }

// Duration implements Pacer.
func (p ConstantPacer) Duration() time.Duration { return p.Length }

// Stage is one leg of a ramp: over Duration the rate changes linearly
// from the previous stage's Rate (or the ramp's start) to Rate.
type Stage struct {
	Duration time.Duration `json:"duration"`
	Rate     float64       `json:"rate"`
}

// LinearPacer follows a piecewise linear rate. Hit n is due when the
// integral of the rate reaches n, so the number of hits in any window is
// the area under the ramp there, to within one hit.
type LinearPacer struct {
	start  float64
	stages []Stage
	// ends[i] is when stage i ends; hitsAt[i] the hits due before
	// stage i starts (hitsAt[len(stages)] is the total).
	ends   []time.Duration
	hitsAt []float64
}

// NewLinearPacer returns the ramp that starts at rate start and then
// follows stages.
func NewLinearPacer(start float64, stages []Stage) *LinearPacer {
	p := &LinearPacer{start: start, stages: append([]Stage(nil), stages...)}
	var end time.Duration
	h, from := 0.0, start
	p.hitsAt = append(p.hitsAt, 0)
	for _, s := range stages {
		end += s.Duration
		h += (from + s.Rate) / 2 * s.Duration.Seconds()
		p.ends = append(p.ends, end)
		p.hitsAt = append(p.hitsAt, h)
		from = s.Rate
	}
	return p
}

// Pace implements Pacer.
func (p *LinearPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	n := float64(hits)
	from := p.start
	var begin time.Duration
	for i, s := range p.stages {
		if n >= p.hitsAt[i] && n < p.hitsAt[i+1] {
			// Solve h0 + a·t + k·t² = n for t in this stage, with a the
			// rate at its start and k half its slope. This form of the
			// quadratic's root is stable for k of either sign, and for k = 0.
			d := s.Duration.Seconds()
			a, k, x := from, (s.Rate-from)/(2*d), n-p.hitsAt[i]
			var t float64
			if x > 0 {
				t = 2 * x / (a + math.Sqrt(math.Max(a*a+4*k*x, 0)))
			}
			due := begin + time.Duration(math.Min(t, d)*float64(time.Second))
			return due - elapsed, false
		}
		from, begin = s.Rate, p.ends[i]
	}
	return 0, true
}

// Rate implements Pacer.
func (p *LinearPacer) Rate(elapsed time.Duration) float64 {
	from := p.start
	var begin time.Duration
	for i, s := range p.stages {
		if elapsed < p.ends[i] {
			f := float64(elapsed-begin) / float64(s.Duration)
			return from + (s.Rate-from)*f
		}
		from, begin = s.Rate, p.ends[i]
	}
	return from
}

// Duration implements Pacer.
func (p *LinearPacer) Duration() time.Duration {
	if len(p.ends) == 0 {
		return 0
	}
	return p.ends[len(p.ends)-1]
}

// Hits is the number of hits the ramp schedules before elapsed (the area
// under the rate), for tests and progress.
func (p *LinearPacer) Hits(elapsed time.Duration) float64 {
	from := p.start
	var begin time.Duration
	for i, s := range p.stages {
		if elapsed < p.ends[i] {
			t := (elapsed - begin).Seconds()
			return p.hitsAt[i] + from*t + (s.Rate-from)/(2*s.Duration.Seconds())*t*t
		}
		from, begin = s.Rate, p.ends[i]
	}
	return p.hitsAt[len(p.hitsAt)-1]
}
