package traceview

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Compose reads the compose stack: spans from Tempo, log lines from Loki
// (the URLs `shoplab doctor` uses, SHOPLAB_TEMPO_URL and SHOPLAB_LOKI_URL).
//
// Tempo is asked GET /api/v2/traces/<id> (Tempo's "Query V2", in Tempo
// since 2.5 and what Grafana's Tempo data source uses). Its answer wraps
// the trace, {"trace": {"resourceSpans": [...]}, "status": "COMPLETE" or
// "PARTIAL", "message": ...}, so it says when Tempo returned only part of
// a trace (one over the size limit), which the v1 endpoint's bare trace,
// {"batches": [...]}, cannot; the v2 trace is also plain OTLP JSON where
// v1 keeps Tempo's own "batches" name. A v1-shaped answer is read too.
//
// Loki is asked GET /loki/api/v1/query_range for {job="shoplab"} |
// trace_id="<id>": job is a stream label of every ShopLab line, trace_id
// structured metadata (alloy-config.alloy, promtail-config.yml), so it is
// filtered after the stream selector.
type Compose struct {
	TempoURL, LokiURL string
	// HTTP sends the requests; nil is a client with a 10 s timeout.
	HTTP *http.Client
	// LogLimit caps the log lines asked of Loki (default 5000).
	LogLimit int
}

// NewCompose reads Tempo at tempoURL and Loki at lokiURL.
func NewCompose(tempoURL, lokiURL string) *Compose {
	return &Compose{TempoURL: tempoURL, LokiURL: lokiURL}
}

// Trace fetches traceID from Tempo, then its log lines from Loki. Loki
// being down is a warning on the trace, not an error.
func (c *Compose) Trace(ctx context.Context, traceID string) (*Trace, error) {
	t, err := c.tempoTrace(ctx, traceID)
	if err != nil {
		return nil, err
	}
	first, last := t.Spans[0].Start, t.Spans[0].End
	for _, s := range t.Spans {
		first, last = earliest(first, s.Start), latest(last, s.End)
	}
	// Lines are logged inside their spans; the margin covers clock skew
	// between the services and the shipper's own timestamps.
	lines, err := c.lokiLines(ctx, traceID, first.Add(-time.Minute), last.Add(time.Minute))
	switch {
	case err != nil:
		t.Warnings = append(t.Warnings, "log lines not shown: "+err.Error())
	case len(lines) >= c.logLimit():
		t.Warnings = append(t.Warnings, fmt.Sprintf("only the first %d log lines are shown (the limit asked of Loki)", len(lines)))
	}
	t.dedupe()
	t.attachLogs(lines)
	return t, nil
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (c *Compose) logLimit() int {
	if c.LogLimit > 0 {
		return c.LogLimit
	}
	return 5000
}

func (c *Compose) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// get GETs base+path?params and returns the status and the body.
// Failing to reach the server at all is ErrUnavailable.
func (c *Compose) get(ctx context.Context, what, base, path string, params url.Values) (int, []byte, error) {
	u := strings.TrimSuffix(base, "/") + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("%s URL %q: %w", what, base, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, err
		}
		return 0, nil, fmt.Errorf("%w: %s at %s is unreachable (is the stack up? shoplab status; shoplab up): %w", ErrUnavailable, what, base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s at %s: reading the answer: %w", ErrUnavailable, what, base, err)
	}
	return resp.StatusCode, body, nil
}

func statusError(what, base string, code int, body []byte) error {
	msg := strings.TrimSpace(string(body))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	err := fmt.Errorf("%s at %s answered HTTP %d: %s", what, base, code, msg)
	if code >= 500 {
		// Starting up (503 until ready) or broken: either way it cannot
		// serve the trace now.
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// tempoAnswer is Tempo's v2 trace-by-ID answer (tempopb.TraceByIDResponse
// in JSON); the embedded otlpTrace catches a v1-shaped answer.
type tempoAnswer struct {
	Trace   *otlpTrace      `json:"trace"`
	Status  json.RawMessage `json:"status"`
	Message string          `json:"message"`
	otlpTrace
}

func (c *Compose) tempoTrace(ctx context.Context, traceID string) (*Trace, error) {
	code, body, err := c.get(ctx, "Tempo", c.TempoURL, "/api/v2/traces/"+traceID, nil)
	if err != nil {
		return nil, err
	}
	notFound := fmt.Errorf("%w: Tempo at %s does not have %s (yet): the services export spans in batches (up to 5 s) and Tempo needs a few seconds more before it can be queried; try again shortly, or check the ID (Tempo keeps traces 7 days)",
		ErrNotFound, c.TempoURL, traceID)
	if code == http.StatusNotFound {
		return nil, notFound
	}
	if code != http.StatusOK {
		return nil, statusError("Tempo", c.TempoURL, code, body)
	}
	var a tempoAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("Tempo at %s: decode trace: %w", c.TempoURL, err)
	}
	tr := a.otlpTrace
	if a.Trace != nil {
		tr = *a.Trace
	}
	t := &Trace{TraceID: traceID, Spans: tr.spans(traceID)}
	if len(t.Spans) == 0 {
		return nil, notFound
	}
	// PartialStatus: COMPLETE is 0 (and left out), PARTIAL is 1.
	if s := enumName(a.Status, "", []string{"complete", "partial"}); s == "partial" {
		t.Partial, t.PartialMessage = true, a.Message
	}
	return t, nil
}

// lokiAnswer is query_range's answer for a log query (grafana/loki
// docs/sources/reference/loki-http-api.md): streams, each with its labels
// and its [timestamp, line] values; a value has a third element, its
// structured metadata and parsed labels, only when the request asks for
// categorized labels.
type lokiAnswer struct {
	Status string `json:"status"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Stream map[string]string   `json:"stream"`
			Values [][]json.RawMessage `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// lokiQuery selects a trace's lines (see Compose).
func lokiQuery(traceID string) string {
	return fmt.Sprintf(`{job="shoplab"} | trace_id=%q`, traceID)
}

func (c *Compose) lokiLines(ctx context.Context, traceID string, start, end time.Time) ([]LogLine, error) {
	limit := c.logLimit()
	code, body, err := c.get(ctx, "Loki", c.LokiURL, "/loki/api/v1/query_range", url.Values{
		"query":     {lokiQuery(traceID)},
		"start":     {strconv.FormatInt(start.UnixNano(), 10)},
		"end":       {strconv.FormatInt(end.UnixNano(), 10)},
		"limit":     {strconv.Itoa(limit)},
		"direction": {"forward"},
	})
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, statusError("Loki", c.LokiURL, code, body)
	}
	var a lokiAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("Loki at %s: decode: %w", c.LokiURL, err)
	}
	if a.Status != "success" || a.Data.ResultType != "streams" {
		return nil, fmt.Errorf("Loki at %s: status %q, result type %q, want success and streams", c.LokiURL, a.Status, a.Data.ResultType)
	}
	var out []LogLine
	for _, s := range a.Data.Result {
		for _, v := range s.Values {
			if len(v) < 2 {
				continue
			}
			line := jsonString(v[1])
			l, ok := parseLogLine([]byte(line), traceID)
			if !ok {
				// Not one of the services' JSON lines: show it as it is.
				l = LogLine{Msg: line, Level: s.Stream["level"], Service: s.Stream["service"]}
			}
			if l.Time.IsZero() {
				l.Time = time.Unix(0, jsonInt(v[0])).UTC()
			}
			out = append(out, l)
		}
	}
	return out, nil
}
