package load

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func mustScenario(t testing.TB, src string) *Scenario {
	t.Helper()
	sc, err := Parse(t.Name()+".yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func runEngine(t testing.TB, sc *Scenario, o Options) *Result {
	t.Helper()
	e, err := New(sc, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// listScenario is one GET per journey, at rate for length.
func listScenario(rate, length string) string {
	return "rate: " + rate + "\nduration: " + length + "\njourneys:\n  - steps: [{method: GET, route: /api/v1/products}]\n"
}

var traceparentRe = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-01$`)

// TestAchievedRateMatchesTarget counts the requests the server saw: an
// open-model pacer issues rate × duration of them, whatever the latency.
func TestAchievedRateMatchesTarget(t *testing.T) {
	tests := []struct {
		rate, length string
		want         int
	}{
		{"300", "2s", 600},
		{"150", "1500ms", 225},
	}
	for _, tt := range tests {
		t.Run(tt.rate+"/s for "+tt.length, func(t *testing.T) {
			var count atomic.Int64
			var mu sync.Mutex
			traces := map[string]bool{}
			var bad []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				count.Add(1)
				tp := r.Header.Get("Traceparent")
				m := traceparentRe.FindStringSubmatch(tp)
				mu.Lock()
				switch {
				case m == nil:
					bad = append(bad, "traceparent "+tp)
				case traces[m[1]]:
					bad = append(bad, "repeated trace ID "+m[1])
				case r.Header.Get("X-Region") == "":
					bad = append(bad, "no X-Region")
				default:
					traces[m[1]] = true
				}
				mu.Unlock()
				w.Write([]byte(`{"products":[]}`))
			}))
			defer srv.Close()
			res := runEngine(t, mustScenario(t, listScenario(tt.rate, tt.length)), Options{Target: srv.URL})
			got := int(count.Load())
			if math.Abs(float64(got-tt.want)) > float64(tt.want)/100 {
				t.Errorf("server saw %d requests, want %d±1%%", got, tt.want)
			}
			if res.Total.Requests != int64(got) || res.Generator.Scheduled != int64(tt.want) {
				t.Errorf("result counts %d requests and %d arrivals; server saw %d, schedule has %d", res.Total.Requests, res.Generator.Scheduled, got, tt.want)
			}
			if res.Generator.Saturated || !res.Passed {
				t.Errorf("saturated at a few hundred requests/s: %v", res.Generator.Reasons)
			}
			if len(bad) > 0 {
				t.Errorf("%d bad requests, e.g. %s", len(bad), bad[0])
			}
		})
	}
}

// TestStallIsChargedToEveryRequestScheduledDuringIt stalls the server for
// 1s at 0.5s. Every request scheduled during the stall waited until it
// ended, and its latency must say so (no coordinated omission).
func TestStallIsChargedToEveryRequestScheduledDuringIt(t *testing.T) {
	const rate, n = 200, 600 // 3s
	const stallFrom, stallTo = 500 * time.Millisecond, 1500 * time.Millisecond
	// What the schedule implies: a request whose slot falls in the stall
	// waits for its end; the others are (nearly) instant.
	lat := make([]float64, n)
	for i := range lat {
		at := time.Duration(i) * time.Second / rate
		if at >= stallFrom && at < stallTo {
			lat[i] = float64(stallTo-at) / float64(time.Millisecond)
		}
	}
	sort.Float64s(lat)
	wantP99 := lat[int(math.Ceil(0.99*n))-1]

	tests := []struct {
		name     string
		maxConns int
		// naive is the p99 a generator timing from the send would report,
		// as a fraction of wantP99: the whole stall when the requests
		// waited at the server, almost nothing when they waited in the
		// generator for the one connection.
		naiveMin, naiveMax float64
	}{
		{"a connection per request", 0, 0.9, 1.1},
		{"one connection", 1, 0, 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var once sync.Once
			var first time.Time
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				once.Do(func() { first = time.Now() })
				if since := time.Since(first); since >= stallFrom && since < stallTo {
					time.Sleep(stallTo - since)
				}
				w.Write([]byte(`{}`))
			}))
			defer srv.Close()
			res := runEngine(t, mustScenario(t, listScenario("200", "3s")), Options{Target: srv.URL, MaxInFlight: 1000, MaxConns: tt.maxConns})
			if res.Total.Requests != n {
				t.Fatalf("%d requests answered, want %d", res.Total.Requests, n)
			}
			got := res.Total.Latency.P99
			if math.Abs(got-wantP99) > 0.05*wantP99 {
				t.Errorf("p99 = %.1fms, want %.1fms±5%% (from the schedule)", got, wantP99)
			}
			naive := res.Total.Service.P99
			t.Logf("p99 from the slot %.1fms, from the send %.1fms; schedule says %.1fms", got, naive, wantP99)
			if naive < tt.naiveMin*wantP99 || naive > tt.naiveMax*wantP99 {
				t.Errorf("p99 from the send = %.1fms, want %.0f%%-%.0f%% of %.1fms", naive, tt.naiveMin*100, tt.naiveMax*100, wantP99)
			}
			// Late starts are the machine's doing (a loaded CI box), not
			// the stall's: only a dropped arrival would make the numbers
			// above meaningless.
			if res.Generator.Dropped != 0 {
				t.Errorf("%d arrivals dropped: %v", res.Generator.Dropped, res.Generator.Reasons)
			}
		})
	}
}

// TestSaturationIsReported runs a target far slower than the in-flight
// limit allows: arrivals are dropped, counted, and the run fails.
func TestSaturationIsReported(t *testing.T) {
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		time.Sleep(300 * time.Millisecond)
	}))
	defer srv.Close()
	res := runEngine(t, mustScenario(t, listScenario("100", "1s")), Options{Target: srv.URL, MaxInFlight: 5})
	g := res.Generator
	if g.Scheduled != 100 || g.Started+g.Dropped != g.Scheduled {
		t.Errorf("scheduled %d, started %d, dropped %d: want 100 = started + dropped", g.Scheduled, g.Started, g.Dropped)
	}
	if g.Dropped < 50 || g.Started != count.Load() {
		t.Errorf("dropped %d (want most of them), started %d, server saw %d", g.Dropped, g.Started, count.Load())
	}
	if !g.Saturated || res.Passed || len(g.Reasons) == 0 || !strings.Contains(g.Reasons[0], "dropped") {
		t.Errorf("saturated = %v, passed = %v, reasons %q", g.Saturated, res.Passed, g.Reasons)
	}
	var b strings.Builder
	res.WriteText(&b, nil)
	if !strings.Contains(b.String(), "GENERATOR SATURATED") {
		t.Errorf("summary does not shout:\n%s", b.String())
	}
}

// TestUnansweredRequestsAreErrors lets a target hang past the drain
// timeout: the requests it never answered are counted as errors, with
// their latency so far, and the run still ends.
func TestUnansweredRequestsAreErrors(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	res := runEngine(t, mustScenario(t, listScenario("20", "500ms")), Options{Target: srv.URL, Drain: 300 * time.Millisecond})
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("run took %s with a 300ms drain", took)
	}
	if res.Total.Requests != 10 || res.Total.Errors != 10 || res.Total.TransportErrors != 10 ||
		!strings.Contains(res.Total.SampleError, "drain timeout") || res.Total.Latency.Max < 300 {
		t.Errorf("total %+v", res.Total)
	}
}

// TestInterruptedRunReportsWhatFinished cancels a run midway.
func TestInterruptedRunReportsWhatFinished(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	e, err := New(mustScenario(t, listScenario("100", "1m")), Options{Target: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	res, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Passed || res.Total.Requests < 10 || res.Total.Requests > 80 || res.Total.Errors != 0 {
		t.Errorf("interrupted %v, passed %v, %d requests, %d errors", res.Interrupted, res.Passed, res.Total.Requests, res.Total.Errors)
	}
	if res.DurationS > 1 {
		t.Errorf("duration %vs: want the time it ran, not the schedule's minute", res.DurationS)
	}
	if _, err := e.Run(context.Background()); err == nil {
		t.Error("an engine ran twice")
	}
}
