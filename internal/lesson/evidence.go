package lesson

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/shoplab/shoplab/internal/exposition"
	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

// Evidence reads what the debrief shows from the running lab, the way a
// learner could: the services' /metrics, their log files, the last load
// run the traffic kept, and the trace store. Every read is cheap and may
// fail; a debrief leaves out what it could not read.
type Evidence struct {
	Services []topology.Endpoint
	LogDir   string
	DataDir  string
	// Traces finds a trace by ID (local span files or Tempo); nil skips
	// the traces.
	Traces traceview.Source
	// LokiURL, when set, is asked for the newest shipped log line.
	LokiURL string
	// Since is when the lesson started: older load runs and log lines are
	// not its evidence.
	Since time.Time
	HTTP  *http.Client
}

func (ev *Evidence) client() *http.Client {
	if ev.HTTP != nil {
		return ev.HTTP
	}
	return &http.Client{Timeout: 3 * time.Second}
}

func (ev *Evidence) endpoint(service string) (topology.Endpoint, bool) {
	for _, e := range ev.Services {
		if e.Service == service {
			return e, true
		}
	}
	return topology.Endpoint{}, false
}

// Metrics scrapes service's /metrics.
func (ev *Evidence) Metrics(ctx context.Context, service string) ([]*dto.MetricFamily, error) {
	e, ok := ev.endpoint(service)
	if !ok {
		return nil, fmt.Errorf("no service %s", service)
	}
	return exposition.Scrape(ctx, ev.client(), e.MetricsURL)
}

// Series is one metric series: its labels and its value (a histogram's
// sum and count).
type Series struct {
	Labels map[string]string
	Value  float64
	Sum    float64
	Count  uint64
}

// Mean is a histogram series' average observation.
func (s Series) Mean() float64 {
	if s.Count == 0 {
		return 0
	}
	return s.Sum / float64(s.Count)
}

// Find returns the series of name whose labels include match.
func Find(fams []*dto.MetricFamily, name string, match map[string]string) []Series {
	var out []Series
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			s := Series{Labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				s.Labels[l.GetName()] = l.GetValue()
			}
			for k, v := range match {
				if s.Labels[k] != v {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				s.Value = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				s.Value = m.GetGauge().GetValue()
			case m.GetUntyped() != nil:
				s.Value = m.GetUntyped().GetValue()
			case m.GetHistogram() != nil:
				s.Sum, s.Count = m.GetHistogram().GetSampleSum(), m.GetHistogram().GetSampleCount()
				s.Value = float64(s.Count)
			}
			out = append(out, s)
		}
	}
	return out
}

// SumBy adds up the series' values by the value of label.
func SumBy(series []Series, label string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range series {
		out[s.Labels[label]] += s.Value
	}
	return out
}

// SeriesCounts counts the series of each metric family, as Prometheus
// would store them (a histogram's buckets, sum and count included).
func SeriesCounts(fams []*dto.MetricFamily) map[string]int {
	out := map[string]int{}
	for _, f := range fams {
		n := 0
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				n += len(h.GetBucket()) + 3 // +Inf, _sum, _count
				continue
			}
			n++
		}
		out[f.GetName()] = n
	}
	return out
}

// LogLine is one JSON line of a service's log file, with its trace ID.
type LogLine struct {
	traceview.LogLine
	TraceID string
}

// String is the line as the debrief shows it.
func (l LogLine) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %q", l.Time.Format("15:04:05"), l.Level, l.Msg)
	keys := make([]string, 0, len(l.Fields))
	for k := range l.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, l.Fields[k])
	}
	if l.TraceID != "" {
		fmt.Fprintf(&b, " trace_id=%s", l.TraceID)
	}
	return b.String()
}

// logTail is how much of the end of a log file Logs reads.
const logTail = 4 << 20

// Logs returns the newest n lines of service's log file since the lesson
// started that keep accepts, oldest first.
func (ev *Evidence) Logs(service string, n int, keep func(LogLine) bool) ([]LogLine, error) {
	f, err := os.Open(filepath.Join(ev.LogDir, service+".log"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > logTail {
		if _, err := f.Seek(st.Size()-logTail, io.SeekStart); err != nil {
			return nil, err
		}
	}
	var out []LogLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		tl, traceID, ok := traceview.ParseLogLine(sc.Bytes())
		l := LogLine{LogLine: tl, TraceID: traceID}
		if !ok || l.Time.Before(ev.Since) || (keep != nil && !keep(l)) {
			continue
		}
		out = append(out, l)
		if len(out) > n {
			out = out[1:]
		}
	}
	return out, sc.Err()
}

// LastRun is the traffic's newest finished load run, if it started after
// the lesson did.
func (ev *Evidence) LastRun() (*load.Result, error) {
	r, err := traceview.ReadLastRun(ev.DataDir)
	if err != nil {
		return nil, err
	}
	if r.StartedAt.Before(ev.Since) {
		return nil, errors.New("no load run since the lesson started")
	}
	return r, nil
}

// Slowest lists the slowest requests of method route in the last run,
// slowest first, at most n.
func (ev *Evidence) Slowest(method, route string, n int) []load.SlowRequest {
	r, err := ev.LastRun()
	if err != nil {
		return nil
	}
	for _, s := range r.Slowest {
		if s.Method == method && s.Route == route {
			return s.Requests[:min(n, len(s.Requests))]
		}
	}
	return nil
}

// Trace reads one trace from the trace store.
func (ev *Evidence) Trace(ctx context.Context, id string) (*traceview.Trace, error) {
	if ev.Traces == nil {
		return nil, errors.New("no trace store")
	}
	return ev.Traces.Trace(ctx, id)
}

// NewestShipped is the time of the newest log line Loki has of the
// shop's services within the last hour; zero when it has none.
func (ev *Evidence) NewestShipped(ctx context.Context) (time.Time, error) {
	if ev.LokiURL == "" {
		return time.Time{}, errors.New("no Loki")
	}
	now := time.Now()
	q := strings.TrimRight(ev.LokiURL, "/") + "/loki/api/v1/query_range?" + url.Values{
		"query": {`{job="shoplab"}`}, "limit": {"1"}, "direction": {"backward"},
		"start": {fmt.Sprint(now.Add(-time.Hour).UnixNano())}, "end": {fmt.Sprint(now.UnixNano())},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q, nil)
	if err != nil {
		return time.Time{}, err
	}
	resp, err := ev.client().Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("Loki answered %s", resp.Status)
	}
	var ans struct {
		Data struct {
			Result []struct {
				Values [][2]string `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return time.Time{}, fmt.Errorf("Loki's answer: %w", err)
	}
	var newest time.Time
	for _, r := range ans.Data.Result {
		for _, v := range r.Values {
			var ns int64
			if _, err := fmt.Sscan(v[0], &ns); err == nil {
				if t := time.Unix(0, ns); t.After(newest) {
					newest = t
				}
			}
		}
	}
	return newest, nil
}
