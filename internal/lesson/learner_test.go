package lesson_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

// learner is what a learner of a local-mode lab can see and do, and all a
// solver gets: the shop's API (to make traffic of its own), each service's
// /metrics, the services' log files and the trace store (the span files
// that shoplab trace and the TUI read). It has no way to the progress
// file or to the incidents' control surface.
type learner struct {
	t       *testing.T
	gateway string
	metrics map[string]string
	logDir  string
	traces  *traceview.Local
	// since is when the lesson started: older telemetry is another
	// lesson's. logFrom is where each log file ended then.
	since   time.Time
	logFrom map[string]int64
	// buyer is a signed-in customer who orders from any region.
	buyer *testkit.Client
	// evidence is what the solver found, in its words.
	evidence []string
	// users numbers the customers the learner signs up.
	users *atomic.Int64
}

func newLearner(t *testing.T, shop *labharness.Shop, users *atomic.Int64) *learner {
	t.Helper()
	lr := &learner{
		t: t, gateway: shop.GatewayURL(), metrics: map[string]string{},
		logDir: shop.Config.LogDir, traces: traceview.NewLocal(shop.Config.LogDir), users: users,
	}
	for _, e := range shop.Lab.Endpoints() {
		lr.metrics[e.Service] = e.MetricsURL
	}
	return lr
}

// note records one piece of evidence.
func (lr *learner) note(format string, args ...any) {
	lr.evidence = append(lr.evidence, fmt.Sprintf(format, args...))
}

// scrape reads service's /metrics.
func (lr *learner) scrape(service string) []*dto.MetricFamily {
	lr.t.Helper()
	fams, err := testkit.Scrape(lr.metrics[service]).Gather()
	if err != nil {
		lr.t.Fatalf("scrape %s: %v", service, err)
	}
	return fams
}

// signUp registers and logs in a new customer shopping from region.
func (lr *learner) signUp(region string) *testkit.Client {
	lr.t.Helper()
	n := lr.users.Add(1)
	c := &testkit.Client{Base: lr.gateway, Region: region, HTTP: &http.Client{Timeout: 30 * time.Second}}
	email := fmt.Sprintf("learner%d@example.com", n)
	c.Do(lr.t, http.MethodPost, "/api/v1/auth/register", map[string]string{"email": email, "password": "correct horse", "name": fmt.Sprintf("Learner %d", n)}).Want(lr.t, http.StatusCreated)
	var login struct {
		Token string `json:"token"`
	}
	c.Do(lr.t, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse"}).Want(lr.t, http.StatusOK).Decode(lr.t, &login)
	c.Token = login.Token
	return c
}

// orderableProducts are products with a deep stock, so that the lessons'
// orders never sell one out.
var orderableProducts = []int{7, 10, 11, 12, 1}

// order places an order as c from region and returns the status, which
// the solvers do not read: what happened is for the telemetry to say.
func (lr *learner) order(c *testkit.Client, region string) int {
	lr.t.Helper()
	n := lr.users.Add(1)
	cc := *c
	cc.Region = region
	return cc.Do(lr.t, http.MethodPost, "/api/v1/orders", map[string]any{
		"items": []map[string]int{{"product_id": orderableProducts[int(n)%len(orderableProducts)], "quantity": 1}},
	}).Status
}

// get sends GET path from region.
func (lr *learner) get(path, region string) int {
	lr.t.Helper()
	c := testkit.Client{Base: lr.gateway, Region: region, HTTP: &http.Client{Timeout: 30 * time.Second}}
	return c.Do(lr.t, http.MethodGet, path, nil).Status
}

// logLine is one JSON line of a service's log file.
type logLine struct {
	Service string
	Time    time.Time
	Level   string
	Msg     string
	TraceID string
	Error   string
}

// begin starts a lesson's investigation: telemetry from before now is
// not its evidence.
func (lr *learner) begin() {
	lr.t.Helper()
	lr.since, lr.evidence, lr.logFrom = time.Now(), nil, map[string]int64{}
	for _, svc := range topology.Services() {
		st, err := os.Stat(lr.logPath(svc))
		if err != nil {
			lr.t.Fatal(err)
		}
		lr.logFrom[svc] = st.Size()
	}
}

func (lr *learner) logPath(service string) string { return filepath.Join(lr.logDir, service+".log") }

// logLines reads every service's log file and returns the lines since the
// lesson started that keep accepts.
func (lr *learner) logLines(keep func(logLine) bool) []logLine {
	lr.t.Helper()
	var out []logLine
	for _, svc := range topology.Services() {
		f, err := os.Open(lr.logPath(svc))
		if err != nil {
			lr.t.Fatal(err)
		}
		if _, err := f.Seek(lr.logFrom[svc], io.SeekStart); err != nil {
			lr.t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var raw struct {
				Time    time.Time `json:"time"`
				Level   string    `json:"level"`
				Msg     string    `json:"msg"`
				TraceID string    `json:"trace_id"`
				Error   string    `json:"error"`
			}
			if json.Unmarshal(sc.Bytes(), &raw) != nil || raw.Time.Before(lr.since) {
				continue
			}
			l := logLine{Service: svc, Time: raw.Time, Level: raw.Level, Msg: raw.Msg, TraceID: raw.TraceID, Error: raw.Error}
			if keep(l) {
				out = append(out, l)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			lr.t.Fatal(err)
		}
	}
	return out
}

// recentTraces lists the requests' traces since the lesson started whose
// entry span is named name (as the TUI's Traces screen lists them),
// slowest first.
func (lr *learner) recentTraces(name string) []traceview.Summary {
	got, err := lr.traces.Recent(context.Background(), 1000)
	if err != nil {
		return nil
	}
	var out []traceview.Summary
	for _, s := range got {
		if s.Name == name && !s.Start.Before(lr.since) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b traceview.Summary) int { return int(math.Copysign(1, b.DurationMS-a.DurationMS)) })
	return out
}

// trace reads one trace from the trace store.
func (lr *learner) trace(id string) (*traceview.Trace, error) {
	return lr.traces.Trace(context.Background(), id)
}

// serverSpan is the longest server span of service in t whose name ends
// with suffix, or nil.
func serverSpan(t *traceview.Trace, service, suffix string) *traceview.Span {
	var best *traceview.Span
	for _, s := range t.Spans {
		if s.Service == service && s.Kind == "server" && strings.HasSuffix(s.Name, suffix) && (best == nil || s.Duration() > best.Duration()) {
			best = s
		}
	}
	return best
}

// children are the spans of t whose parent is p.
func children(t *traceview.Trace, p *traceview.Span) []*traceview.Span {
	var out []*traceview.Span
	for _, s := range t.Spans {
		if s.ParentID == p.SpanID {
			out = append(out, s)
		}
	}
	return out
}

// ancestor is the nearest span above s (s included) that keep accepts,
// or nil.
func ancestor(t *traceview.Trace, s *traceview.Span, keep func(*traceview.Span) bool) *traceview.Span {
	byID := map[string]*traceview.Span{}
	for _, sp := range t.Spans {
		byID[sp.SpanID] = sp
	}
	for depth := 0; s != nil && depth < len(t.Spans)+1; depth++ {
		if keep(s) {
			return s
		}
		s = byID[s.ParentID]
	}
	return nil
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
