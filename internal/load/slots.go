package load

import (
	"fmt"
	"math"
	"time"
)

// The default journey-slot limit (Options.MaxInFlight) is sized by
// Little's law, L = λ·W: the scenario's peak rate times how long a
// journey is expected to stay open (its think times plus StepAllowance
// a step for a fast target's answer), times SlotHeadroom for the
// randomness of think times and a target that is slower than that,
// never below MinMaxInFlight (a scenario without think time keeps the
// limit it always had) nor above MaxMaxInFlight (a worker costs a
// goroutine and its buffers).
const (
	StepAllowance  = 10 * time.Millisecond
	SlotHeadroom   = 2.0
	MinMaxInFlight = 1000
	MaxMaxInFlight = 20000
)

// journeyShape is what a journey of the scenario takes on average: its
// think time and its steps, weighted by the journeys' weights and the
// steps' chances.
func journeyShape(sc *Scenario, noThink bool) (think time.Duration, steps float64) {
	var sumW, thinkS float64
	for _, j := range sc.Journeys {
		sumW += j.Weight
		for _, s := range j.Steps {
			steps += j.Weight * s.Chance
			if !noThink {
				thinkS += j.Weight * s.Chance * (s.ThinkMin + s.ThinkMax).Seconds() / 2
			}
		}
	}
	if sumW == 0 {
		return 0, 0
	}
	return time.Duration(thinkS / sumW * float64(time.Second)), steps / sumW
}

// defaultMaxInFlight sizes the slot limit for a scenario at peak
// journeys per second.
func defaultMaxInFlight(sc *Scenario, peak float64, noThink bool) int {
	think, steps := journeyShape(sc, noThink)
	w := think.Seconds() + steps*StepAllowance.Seconds()
	n := math.Ceil(peak * w * SlotHeadroom)
	return int(min(max(n, MinMaxInFlight), MaxMaxInFlight))
}

// MaxInFlight is the run's journey-slot limit: the option, else the
// scenario's max_in_flight, else sized from the scenario.
func (e *Engine) MaxInFlight() int { return e.maxInFlight }

// dropReason says why arrivals found every slot busy. By Little's law a
// rate λ of journeys that stay open W seconds on average keeps λ·W of
// them open; W is think time (the scenario's sleeps) plus the time spent
// waiting on the target. When think time alone needs the limit, no
// target could have avoided the drops: the scenario needs more slots.
func (e *Engine) dropReason(g Generator) string {
	st := e.stats
	rate := e.PeakRate()
	var think, journey float64 // seconds per journey
	if n := st.journeysDone.Load(); n > 0 {
		think = time.Duration(st.thinkNanos.Load() / n).Seconds()
		journey = time.Duration(st.journeyNanos.Load() / n).Seconds()
	} else {
		// No journey ended (every one was still waiting): what the
		// scenario plans is all there is to go by.
		t, _ := journeyShape(e.sc, e.o.NoThink)
		think, journey = t.Seconds(), t.Seconds()
	}
	waited := max(journey-think, 0)
	thinkSlots := rate * think
	if thinkSlots >= float64(g.MaxInFlight) {
		return fmt.Sprintf("%d of %d arrivals dropped: the scenario needs about %.0f journey slots at this rate (%.4g journeys/s × %.2f s a journey, think time %.2f s of it), more than the %d allowed; raise --max-in-flight",
			g.Dropped, g.Scheduled, math.Ceil(rate*journey), rate, journey, think, g.MaxInFlight)
	}
	return fmt.Sprintf("%d of %d arrivals dropped: all %d journey slots were busy; journeys took %.2f s on average, %.2f s of it waiting on the target (think time alone needs about %.0f slots at %.4g journeys/s): the target cannot keep up (lower the rate, or raise --max-in-flight)",
		g.Dropped, g.Scheduled, g.MaxInFlight, journey, waited, math.Ceil(thinkSlots), rate)
}
