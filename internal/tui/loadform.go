package tui

import (
	"time"
)

// rateSteps and durationSteps are what ←/→ step through: round numbers a
// newcomer can pick without typing.
func rateSteps() []float64 {
	return []float64{1, 2, 5, 10, 20, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000}
}

func durationSteps() []time.Duration {
	return []time.Duration{
		5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second, 45 * time.Second,
		time.Minute, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute, 10 * time.Minute,
		15 * time.Minute, 30 * time.Minute, time.Hour,
	}
}

// step moves v to the next value of steps above it (dir > 0) or below it
// (dir < 0); a value between steps, such as a scenario's own, snaps to
// its neighbour.
func step[T float64 | time.Duration](v T, steps []T, dir int) T {
	if dir > 0 {
		for _, s := range steps {
			if s > v {
				return s
			}
		}
		return steps[len(steps)-1]
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i] < v {
			return steps[i]
		}
	}
	return steps[0]
}

// pickScenario makes scenario i the form's, with its own rate, duration
// and every one of its regions.
func (m *Model) pickScenario(i int) {
	if i < 0 || i >= len(m.scenarios) {
		return
	}
	m.form.scenario = i
	m.form.regions = nil
	m.form.regionCursor = 0
	sc := m.scenarios[i].sc
	if sc == nil {
		m.form.rate, m.form.duration = 0, 0
		return
	}
	m.form.rate, m.form.duration = sc.Rate, sc.Length
	for _, r := range sc.Regions {
		m.form.regions = append(m.form.regions, regionChoice{name: r.Region, on: true})
	}
}

// adjust changes the focused field by one step.
func (m *Model) adjust(dir int) {
	f := &m.form
	switch f.field {
	case fieldScenario:
		if n := len(m.scenarios); n > 0 {
			m.pickScenario(((f.scenario+dir)%n + n) % n)
		}
	case fieldRate:
		if f.rate > 0 {
			f.rate = step(f.rate, rateSteps(), dir)
		}
	case fieldDuration:
		if f.duration > 0 {
			f.duration = step(f.duration, durationSteps(), dir)
		}
	case fieldRegions:
		if n := len(f.regions); n > 0 {
			f.regionCursor = ((f.regionCursor+dir)%n + n) % n
		}
	}
}

// toggleRegion turns the region under the cursor on or off; at least one
// stays on, or there would be nobody to send traffic.
func (m *Model) toggleRegion() {
	f := &m.form
	if f.field != fieldRegions || f.regionCursor >= len(f.regions) {
		return
	}
	on := 0
	for _, r := range f.regions {
		if r.on {
			on++
		}
	}
	r := &f.regions[f.regionCursor]
	if r.on && on == 1 {
		m.notice = &notice{text: "At least one region has to send traffic.", bad: true}
		return
	}
	// Copy before writing: older models share the slice.
	regions := append([]regionChoice(nil), f.regions...)
	regions[f.regionCursor].on = !r.on
	f.regions = regions
}

// selected is the scenario the form points at, if it loaded.
func (m Model) selected() (scenarioEntry, bool) {
	if m.form.scenario < len(m.scenarios) {
		return m.scenarios[m.form.scenario], true
	}
	return scenarioEntry{}, false
}
