package load

import (
	"math"
	"testing"
	"time"
)

// hitsBefore counts the hits p schedules before t, by asking it for
// each hit's slot as the engine does.
func hitsBefore(p Pacer, t time.Duration) int {
	n := 0
	for {
		wait, stop := p.Pace(0, uint64(n))
		if stop || wait >= t {
			return n
		}
		n++
	}
}

func TestConstantPacerSchedule(t *testing.T) {
	tests := []struct {
		rate   float64
		length time.Duration
		want   int
	}{
		{300, 2 * time.Second, 600},
		{10, time.Second, 10},
		{0.5, 10 * time.Second, 5},
		{7, 1500 * time.Millisecond, 11}, // ceil(10.5)
	}
	for _, tt := range tests {
		p := ConstantPacer{Freq: tt.rate, Length: tt.length}
		if got := hitsBefore(p, time.Hour); got != tt.want {
			t.Errorf("%v/s for %s: %d hits, want %d", tt.rate, tt.length, got, tt.want)
		}
		// An overdue hit reports a negative wait: its slot is in the past.
		if wait, _ := p.Pace(tt.length, 1); wait >= 0 {
			t.Errorf("%v/s: hit 1 at the end of the run waits %s, want a negative wait", tt.rate, wait)
		}
	}
}

func TestLinearPacerFollowsStages(t *testing.T) {
	stages := []Stage{{10 * time.Second, 100}, {20 * time.Second, 100}, {10 * time.Second, 0}}
	p := NewLinearPacer(0, stages)
	// The area under the ramp: 500 up, 2000 held, 500 down.
	windows := []struct {
		from, to time.Duration
		want     float64
	}{
		{0, 5 * time.Second, 125},                  // ½·5s·50/s
		{5 * time.Second, 10 * time.Second, 375},   // the rest of the ramp up
		{10 * time.Second, 30 * time.Second, 2000}, // the hold
		{30 * time.Second, 35 * time.Second, 375},
		{35 * time.Second, 40 * time.Second, 125},
	}
	for _, w := range windows {
		got := hitsBefore(p, w.to) - hitsBefore(p, w.from)
		if math.Abs(float64(got)-w.want) > 1 {
			t.Errorf("hits in [%s, %s) = %d, want %v±1", w.from, w.to, got, w.want)
		}
		if area := p.Hits(w.to) - p.Hits(w.from); math.Abs(area-w.want) > 1e-6 {
			t.Errorf("area in [%s, %s) = %v, want %v", w.from, w.to, area, w.want)
		}
	}
	if total := hitsBefore(p, time.Hour); total != 3000 {
		t.Errorf("total hits = %d, want 3000", total)
	}
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{{0, 0}, {5 * time.Second, 50}, {20 * time.Second, 100}, {35 * time.Second, 50}} {
		if got := p.Rate(c.at); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Rate(%s) = %v, want %v", c.at, got, c.want)
		}
	}
	// Hits are due in order.
	var prev time.Duration = -1
	for n := uint64(0); ; n++ {
		due, stop := p.Pace(0, n)
		if stop {
			break
		}
		if due < prev {
			t.Fatalf("hit %d due at %s, before hit %d at %s", n, due, n-1, prev)
		}
		prev = due
	}
}

func TestScenarioPacerOverrides(t *testing.T) {
	sc := &Scenario{StartRate: 10, Rate: 100, Length: 40 * time.Second,
		Stages: []Stage{{10 * time.Second, 100}, {20 * time.Second, 100}, {10 * time.Second, 10}}}
	p := sc.Pacer(20, 4*time.Second)
	if d := p.Duration(); d != 4*time.Second {
		t.Errorf("scaled duration = %s, want 4s", d)
	}
	if r := p.Rate(2 * time.Second); math.Abs(r-20) > 1e-9 {
		t.Errorf("scaled peak = %v, want 20", r)
	}
	if r := p.Rate(0); math.Abs(r-2) > 1e-9 {
		t.Errorf("scaled start = %v, want 2", r)
	}
	c := (&Scenario{Rate: 5, Length: time.Minute}).Pacer(300, 2*time.Second)
	if got := hitsBefore(c, time.Hour); got != 600 {
		t.Errorf("constant with overrides: %d hits, want 600", got)
	}
}
