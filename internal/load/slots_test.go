package load

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowTransport answers every request after delay (or when the run ends).
type slowTransport struct{ delay time.Duration }

func (s slowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t := time.NewTimer(s.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody}, nil
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
}

// TestDropReasonTellsScenarioFromTarget: dropped arrivals are blamed on
// the scenario when its think times alone need more journey slots than
// the limit (Little's law), and on the target otherwise.
func TestDropReasonTellsScenarioFromTarget(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		rt       http.RoundTripper
		max      int
		want     []string
		dontWant string
	}{
		{
			name: "fast target, long think time",
			src: "rate: 200\nduration: 1s\njourneys:\n  - steps:\n" +
				"      - {method: GET, route: /api/v1/products}\n" +
				"      - {method: GET, route: /api/v1/products, think: 500ms}\n",
			rt:       sharedCanned{},
			max:      20,
			want:     []string{"the scenario needs about", "think time 0.50 s", "raise --max-in-flight"},
			dontWant: "the target cannot keep up",
		},
		{
			name:     "slow target, no think time",
			src:      listScenario("100", "1s"),
			rt:       slowTransport{delay: 300 * time.Millisecond},
			max:      2,
			want:     []string{"the target cannot keep up", "waiting on the target", "think time alone needs about 0 slots"},
			dontWant: "the scenario needs",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runEngine(t, mustScenario(t, tt.src), Options{Target: "http://shop.test", Transport: tt.rt, MaxInFlight: tt.max})
			g := res.Generator
			if g.Dropped == 0 || !g.Saturated {
				t.Fatalf("nothing dropped (%+v): the test's setup no longer saturates", g)
			}
			var reason string
			for _, r := range g.Reasons {
				if strings.Contains(r, "dropped") {
					reason = r
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(reason, w) {
					t.Errorf("reason %q lacks %q", reason, w)
				}
			}
			if strings.Contains(reason, tt.dontWant) {
				t.Errorf("reason %q says %q", reason, tt.dontWant)
			}
		})
	}
}

func TestDefaultMaxInFlightIsSizedFromTheScenario(t *testing.T) {
	browse := `rate: 50
duration: 10s
max_in_flight: %s
journeys:
  - {weight: 3, steps: [{method: GET, route: /api/v1/products}]}
  - weight: 5
    steps:
      - {method: GET, route: /api/v1/products}
      - {method: GET, route: /api/v1/products, think: 200ms..1s}
      - {method: GET, route: /api/v1/products, think: 200ms..1s, chance: 0.5}
  - {weight: 2, steps: [{method: GET, route: /api/v1/products}]}
`
	// browse: mean think 0.5 × (0.6 + 0.5×0.6) = 0.45 s, 1.75 steps.
	tests := []struct {
		name    string
		src     string
		o       Options
		want    int
		wantMin int
	}{
		{"no think time keeps the floor", listScenario("5000", "1s"), Options{}, MinMaxInFlight, 0},
		{"think time at a high rate", strings.Replace(browse, "%s", "0", 1), Options{Rate: 2400}, 0, 2400 * 0.45 * 2},
		{"--no-think drops think time", strings.Replace(browse, "%s", "0", 1), Options{Rate: 2400, NoThink: true}, MinMaxInFlight, 0},
		{"capped", strings.Replace(browse, "%s", "0", 1), Options{Rate: 1e6}, MaxMaxInFlight, 0},
		{"the scenario's own limit", strings.Replace(browse, "%s", "7", 1), Options{Rate: 2400}, 7, 0},
		{"the option wins", strings.Replace(browse, "%s", "7", 1), Options{Rate: 2400, MaxInFlight: 9}, 9, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Target = "http://shop.test"
			e, err := New(mustScenario(t, tt.src), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			got := e.MaxInFlight()
			if tt.want != 0 && got != tt.want {
				t.Errorf("max in flight %d, want %d", got, tt.want)
			}
			if tt.wantMin != 0 && (got < tt.wantMin || got > MaxMaxInFlight) {
				t.Errorf("max in flight %d, want at least %d (Little's law with headroom)", got, tt.wantMin)
			}
		})
	}
}
