package doctor

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// getJSON GETs base+path?params and decodes a 200 answer into out. A
// non-200 answer is an *httpStatusError.
func (d *Doctor) getJSON(ctx context.Context, base, path string, params url.Values, out any) error {
	u := strings.TrimSuffix(base, "/") + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &httpStatusError{url: u, code: resp.StatusCode, body: strings.TrimSpace(string(b))}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("GET %s: decode: %w", u, err)
	}
	return nil
}

type httpStatusError struct {
	url  string
	code int
	body string
}

func (e *httpStatusError) Error() string {
	body := e.body
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Sprintf("GET %s: HTTP %d: %s", e.url, e.code, body)
}

func isStatus(err error, code int) bool {
	var se *httpStatusError
	return errors.As(err, &se) && se.code == code
}

// --- Prometheus: https://prometheus.io/docs/prometheus/latest/querying/api/
// Every answer is {"status":"success"|"error","data":...,"errorType","error"}.

type promEnvelope struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
}

func (d *Doctor) prom(ctx context.Context, path string, params url.Values, out any) error {
	var env promEnvelope
	err := d.getJSON(ctx, d.cfg.PrometheusURL, path, params, &env)
	var se *httpStatusError
	if errors.As(err, &se) && json.Unmarshal([]byte(se.body), &env) == nil && env.Error != "" {
		return fmt.Errorf("prometheus %s: %s: %s", path, env.ErrorType, env.Error)
	}
	if err != nil {
		return err
	}
	if env.Status != "success" {
		return fmt.Errorf("prometheus %s: status %q: %s: %s", path, env.Status, env.ErrorType, env.Error)
	}
	return json.Unmarshal(env.Data, out)
}

// promTarget is one entry of /api/v1/targets's activeTargets.
type promTarget struct {
	Labels    map[string]string `json:"labels"`
	ScrapeURL string            `json:"scrapeUrl"`
	LastError string            `json:"lastError"`
	Health    string            `json:"health"`
}

func (d *Doctor) promTargets(ctx context.Context) ([]promTarget, error) {
	var data struct {
		ActiveTargets []promTarget `json:"activeTargets"`
	}
	err := d.prom(ctx, "/api/v1/targets", url.Values{"state": {"active"}}, &data)
	return data.ActiveTargets, err
}

// promQuery runs an instant query whose result is a vector and returns
// its samples' values.
func (d *Doctor) promQuery(ctx context.Context, expr string) ([]float64, error) {
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := d.prom(ctx, "/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("prometheus query %s: result type %q, want vector", expr, data.ResultType)
	}
	var out []float64
	for _, s := range data.Result {
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("prometheus query %s: sample value %v: %w", expr, s.Value[1], err)
		}
		out = append(out, v)
	}
	return out, nil
}

// promExemplars returns the trace_id of every exemplar of expr's series
// in [start, end], newest first.
func (d *Doctor) promExemplars(ctx context.Context, expr string, start, end time.Time) ([]string, error) {
	var data []struct {
		SeriesLabels map[string]string `json:"seriesLabels"`
		Exemplars    []struct {
			Labels    map[string]string `json:"labels"`
			Timestamp float64           `json:"timestamp"`
		} `json:"exemplars"`
	}
	err := d.prom(ctx, "/api/v1/query_exemplars", url.Values{
		"query": {expr},
		"start": {strconv.FormatInt(start.Unix(), 10)},
		"end":   {strconv.FormatInt(end.Unix(), 10)},
	}, &data)
	if err != nil {
		return nil, err
	}
	type ex struct {
		id string
		ts float64
	}
	var all []ex
	for _, s := range data {
		for _, e := range s.Exemplars {
			all = append(all, ex{e.Labels["trace_id"], e.Timestamp})
		}
	}
	// Newest first: those are the ones a user hovers over.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].ts > all[j-1].ts; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	ids := make([]string, len(all))
	for i, e := range all {
		ids[i] = e.id
	}
	return ids, nil
}

// --- Tempo: GET /api/v2/traces/<traceID> answers 404 for an unknown
// trace, else {"trace": {"resourceSpans": [...]}}, OTLP JSON whose IDs
// Tempo writes in base64 (grafana/tempo docs/sources/tempo/api_docs/
// _index.md "Query V2" and pushing-spans-with-http.md "Retrieve traces").
// The v1 endpoint's top-level "batches" and hex IDs (the OTLP/JSON
// specification's encoding) are read too.

type otlpResourceSpans struct {
	Resource struct {
		Attributes []otlpKeyValue `json:"attributes"`
	} `json:"resource"`
	ScopeSpans []otlpScopeSpans `json:"scopeSpans"`
	// Before OTLP 0.15 (and in old Tempo answers).
	InstrumentationLibrarySpans []otlpScopeSpans `json:"instrumentationLibrarySpans"`
}

type otlpScopeSpans struct {
	Spans []otlpSpan `json:"spans"`
}

type otlpKeyValue struct {
	Key   string `json:"key"`
	Value struct {
		StringValue string `json:"stringValue"`
	} `json:"value"`
}

type otlpSpan struct {
	TraceID string          `json:"traceId"`
	SpanID  string          `json:"spanId"`
	Name    string          `json:"name"`
	Kind    json.RawMessage `json:"kind"`
}

type otlpTrace struct {
	ResourceSpans []otlpResourceSpans `json:"resourceSpans"`
	Batches       []otlpResourceSpans `json:"batches"`
}

// traceSpan is one span of a trace, as the checks need it.
type traceSpan struct {
	Service string
	Name    string
	// Kind is server, client, producer, consumer, internal or "".
	Kind    string
	TraceID string
}

// tempoTrace fetches a trace; found is false when Tempo does not know it.
func (d *Doctor) tempoTrace(ctx context.Context, traceID string) (spans []traceSpan, found bool, err error) {
	var body struct {
		Trace *otlpTrace `json:"trace"`
		otlpTrace
	}
	err = d.getJSON(ctx, d.cfg.TempoURL, "/api/v2/traces/"+traceID, nil, &body)
	if isStatus(err, http.StatusNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	t := body.otlpTrace
	if body.Trace != nil {
		t = *body.Trace
	}
	for _, rs := range append(t.ResourceSpans, t.Batches...) {
		service := ""
		for _, a := range rs.Resource.Attributes {
			if a.Key == "service.name" {
				service = a.Value.StringValue
			}
		}
		for _, ss := range append(rs.ScopeSpans, rs.InstrumentationLibrarySpans...) {
			for _, s := range ss.Spans {
				spans = append(spans, traceSpan{Service: service, Name: s.Name, Kind: spanKind(s.Kind), TraceID: otlpID(s.TraceID)})
			}
		}
	}
	return spans, len(spans) > 0, nil
}

// spanKind reads an OTLP span kind written as its enum name
// ("SPAN_KIND_PRODUCER", protobuf JSON) or number (4, OTLP/JSON).
func spanKind(raw json.RawMessage) string {
	names := []string{"", "internal", "server", "client", "producer", "consumer"}
	var n int
	if json.Unmarshal(raw, &n) == nil && n >= 0 && n < len(names) {
		return names[n]
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		s = strings.ToLower(strings.TrimPrefix(s, "SPAN_KIND_"))
		if s == "unspecified" {
			return ""
		}
		return s
	}
	return ""
}

// otlpID turns a trace or span ID written in hex or base64 into
// lowercase hex.
func otlpID(s string) string {
	if b, err := hex.DecodeString(s); err == nil && (len(b) == 16 || len(b) == 8) {
		return strings.ToLower(s)
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return hex.EncodeToString(b)
	}
	return s
}

// --- Loki: GET /loki/api/v1/query_range with a log query answers
// {"status":"success","data":{"resultType":"streams","result":[{"stream":
// {labels},"values":[["<ns>","<line>"],...]}]}} (grafana/loki
// docs/sources/reference/loki-http-api.md, "Query logs within a range of
// time").

// lokiLinesByService counts the log lines of query per service label.
func (d *Doctor) lokiLinesByService(ctx context.Context, query string, start, end time.Time) (map[string]int, error) {
	var env struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Stream map[string]string `json:"stream"`
				Values [][2]string       `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	err := d.getJSON(ctx, d.cfg.LokiURL, "/loki/api/v1/query_range", url.Values{
		"query":     {query},
		"start":     {strconv.FormatInt(start.UnixNano(), 10)},
		"end":       {strconv.FormatInt(end.UnixNano(), 10)},
		"limit":     {"1000"},
		"direction": {"forward"},
	}, &env)
	if err != nil {
		return nil, err
	}
	if env.Status != "success" || env.Data.ResultType != "streams" {
		return nil, fmt.Errorf("loki: status %q, result type %q, want success and streams", env.Status, env.Data.ResultType)
	}
	out := map[string]int{}
	for _, s := range env.Data.Result {
		out[s.Stream["service"]] += len(s.Values)
	}
	return out, nil
}

// --- Mailpit: GET /api/v1/search?query=... answers a MessagesSummary
// {"messages":[{"ID","Subject","To":[{"Name","Address"}],...}],
// "messages_count",...}; GET /api/v1/message/<ID>/headers answers
// {"Header":["value",...]} (axllent/mailpit server/ui/api/v1/swagger.json;
// search filters such as to: in internal/storage/search.go).

type mailSummary struct {
	ID      string `json:"ID"`
	Subject string `json:"Subject"`
	To      []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

func (d *Doctor) mailpitSearch(ctx context.Context, query string) ([]mailSummary, error) {
	var body struct {
		Messages []mailSummary `json:"messages"`
	}
	err := d.getJSON(ctx, d.cfg.MailpitURL, "/api/v1/search", url.Values{"query": {query}, "limit": {"50"}}, &body)
	return body.Messages, err
}

func (d *Doctor) mailpitHeaders(ctx context.Context, id string) (map[string][]string, error) {
	var h map[string][]string
	err := d.getJSON(ctx, d.cfg.MailpitURL, "/api/v1/message/"+url.PathEscape(id)+"/headers", nil, &h)
	return h, err
}
