package traceview

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// tempoJSON writes t's spans as Tempo's HTTP API does: protobuf JSON of
// OTLP, so base64 IDs, enum names and 64-bit integers as strings (grafana/
// tempo docs/sources/tempo/api_docs/pushing-spans-with-http.md, "Retrieve
// traces").
func tempoJSON(t *testing.T, tr *Trace) []byte {
	t.Helper()
	kinds := map[string]tracepb.Span_SpanKind{
		"internal": tracepb.Span_SPAN_KIND_INTERNAL, "server": tracepb.Span_SPAN_KIND_SERVER, "client": tracepb.Span_SPAN_KIND_CLIENT,
		"producer": tracepb.Span_SPAN_KIND_PRODUCER, "consumer": tracepb.Span_SPAN_KIND_CONSUMER,
	}
	kvs := func(m map[string]string) []*commonpb.KeyValue {
		var out []*commonpb.KeyValue
		for k, v := range m {
			out = append(out, &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}})
		}
		return out
	}
	id := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	byService := map[string]*tracepb.ScopeSpans{}
	data := &tracepb.TracesData{}
	for _, s := range tr.Spans {
		ss := byService[s.Service]
		if ss == nil {
			ss = &tracepb.ScopeSpans{}
			byService[s.Service] = ss
			data.ResourceSpans = append(data.ResourceSpans, &tracepb.ResourceSpans{
				Resource:   &resourcepb.Resource{Attributes: kvs(map[string]string{"service.name": s.Service})},
				ScopeSpans: []*tracepb.ScopeSpans{ss},
			})
		}
		sp := &tracepb.Span{
			TraceId: id(tr.TraceID), SpanId: id(s.SpanID), ParentSpanId: id(s.ParentID), Name: s.Name, Kind: kinds[s.Kind],
			StartTimeUnixNano: uint64(s.Start.UnixNano()), EndTimeUnixNano: uint64(s.End.UnixNano()), Attributes: kvs(s.Attributes),
			Status: &tracepb.Status{Message: s.StatusMessage},
		}
		if s.Failed() {
			sp.Status.Code = tracepb.Status_STATUS_CODE_ERROR
		}
		for _, e := range s.Events {
			sp.Events = append(sp.Events, &tracepb.Span_Event{TimeUnixNano: uint64(e.Time.UnixNano()), Name: e.Name, Attributes: kvs(e.Attributes)})
		}
		ss.Spans = append(ss.Spans, sp)
	}
	b, err := protojson.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lokiLine is a log line as the services write it and Loki stores it.
func lokiLine(t *testing.T, traceID string, l LogLine) string {
	m := map[string]any{"time": l.Time, "level": l.Level, "msg": l.Msg, "service": l.Service, "trace_id": traceID, "span_id": l.SpanID}
	for k, v := range l.Fields {
		if n, err := strconv.Atoi(v); err == nil {
			m[k] = n
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lokiJSON answers query_range with tr's log lines, one stream per
// service and level (grafana/loki docs/sources/reference/
// loki-http-api.md, "Query logs within a range of time"); the first value
// carries the third element Loki adds for categorized labels.
func lokiJSON(t *testing.T, tr *Trace) []byte {
	lines := slices.Clone(tr.Logs)
	for _, s := range tr.Spans {
		lines = append(lines, s.Logs...)
	}
	type stream struct {
		Stream map[string]string `json:"stream"`
		Values [][]any           `json:"values"`
	}
	streams := map[string]*stream{}
	var order []string
	for i, l := range lines {
		key := l.Service + "/" + l.Level
		if streams[key] == nil {
			streams[key] = &stream{Stream: map[string]string{"job": "shoplab", "service": l.Service, "level": l.Level, "region": "eu-west"}}
			order = append(order, key)
		}
		v := []any{strconv.FormatInt(l.Time.UnixNano(), 10), lokiLine(t, tr.TraceID, l)}
		if i == 0 {
			v = append(v, map[string]any{"structuredMetadata": map[string]string{"trace_id": tr.TraceID}})
		}
		streams[key].Values = append(streams[key].Values, v)
	}
	var result []*stream
	for _, k := range order {
		result = append(result, streams[k])
	}
	b, err := json.Marshal(map[string]any{"status": "success", "data": map[string]any{"resultType": "streams", "result": result}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// standIn is a Tempo and a Loki on one server; each answer is a status and
// a body.
type standIn struct {
	*httptest.Server
	mu           sync.Mutex
	tempo, loki  func() (int, []byte)
	lokiRequests []*http.Request
}

func newStandIn(t *testing.T) *standIn {
	s := &standIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var code int
		var body []byte
		switch {
		case r.URL.Path == "/api/v2/traces/"+checkoutTraceID:
			code, body = s.tempo()
		case strings.HasPrefix(r.URL.Path, "/api/v2/traces/"):
			code, body = http.StatusNotFound, []byte("trace not found\n")
		case r.URL.Path == "/loki/api/v1/query_range":
			s.mu.Lock()
			s.lokiRequests = append(s.lokiRequests, r)
			s.mu.Unlock()
			code, body = s.loki()
		default:
			code, body = http.StatusNotFound, []byte("404 page not found\n")
		}
		w.WriteHeader(code)
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func answer(code int, body []byte) func() (int, []byte) {
	return func() (int, []byte) { return code, body }
}

func render(v *View) string {
	return strings.Join(v.Lines(120), "\n")
}

func TestComposeReadsTempoV2AndLoki(t *testing.T) {
	want := checkoutTrace()
	s := newStandIn(t)
	s.tempo = answer(http.StatusOK, []byte(`{"trace":`+string(tempoJSON(t, want))+`}`))
	s.loki = answer(http.StatusOK, lokiJSON(t, want))

	got, err := NewCompose(s.URL, s.URL).Trace(context.Background(), checkoutTraceID)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := render(Analyze(got)), render(Analyze(want)); g != w {
		t.Errorf("the trace read from the stand-ins renders differently:\n--- got\n%s\n--- want\n%s", g, w)
	}
	if len(s.lokiRequests) != 1 {
		t.Fatalf("%d Loki requests", len(s.lokiRequests))
	}
	q := s.lokiRequests[0].URL.Query()
	if q.Get("query") != `{job="shoplab"} | trace_id="`+checkoutTraceID+`"` || q.Get("direction") != "forward" {
		t.Errorf("Loki query %q, direction %q", q.Get("query"), q.Get("direction"))
	}
	start, _ := strconv.ParseInt(q.Get("start"), 10, 64)
	end, _ := strconv.ParseInt(q.Get("end"), 10, 64)
	first, last := want.Spans[0].Start, want.Spans[0].End
	for _, sp := range want.Spans {
		first, last = earliest(first, sp.Start), latest(last, sp.End)
	}
	if start > first.UnixNano() || end < last.UnixNano() {
		t.Errorf("Loki range %d-%d does not cover the trace %d-%d", start, end, first.UnixNano(), last.UnixNano())
	}
}

func TestComposeTempoAnswers(t *testing.T) {
	// The answer in Tempo's documentation, with this test's trace ID.
	const docs = `{"trace": {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},"scopeSpans":[{"scope":{"name":"my.library","version":"1.0.0"},"spans":[{"traceId":"S/kvNXezTaajzpKdDg5HNg==","spanId":"7uGbfsPBsQA=","name":"I am a span!","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1689969302000000000","endTimeUnixNano":"1689970000000000000","attributes":[{"key":"my.span.attr","value":{"stringValue":"some value"}}],"status":{}}]}]}]}}`
	// Tempo's v1 answer: the bare trace, its list named batches.
	v1 := `{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},"scopeSpans":[{"spans":[{"traceId":"S/kvNXezTaajzpKdDg5HNg==","spanId":"7uGbfsPBsQA=","name":"orders.persist","kind":"SPAN_KIND_INTERNAL","startTimeUnixNano":"1689969302000000000","endTimeUnixNano":"1689969302500000000","status":{"code":"STATUS_CODE_ERROR","message":"persist failed"}}]}]}]}`
	partial := strings.TrimSuffix(docs, "}") + `, "status": "PARTIAL", "message": "trace exceeds max size (max bytes: 5000000)"}`

	s := newStandIn(t)
	s.loki = answer(http.StatusOK, []byte(`{"status":"success","data":{"resultType":"streams","result":[]}}`))
	tests := []struct {
		name    string
		tempo   func() (int, []byte)
		check   func(t *testing.T, tr *Trace)
		wantErr error
		msg     string
	}{
		{name: "documented v2 answer", tempo: answer(200, []byte(docs)), check: func(t *testing.T, tr *Trace) {
			sp := tr.Spans[0]
			if len(tr.Spans) != 1 || sp.SpanID != "eee19b7ec3c1b100" || sp.Service != "my.service" || sp.Kind != "server" ||
				sp.Attributes["my.span.attr"] != "some value" || sp.Duration().Seconds() != 698 || tr.Partial {
				t.Errorf("read %+v", sp)
			}
		}},
		{name: "v1-shaped answer", tempo: answer(200, []byte(v1)), check: func(t *testing.T, tr *Trace) {
			if sp := tr.Spans[0]; len(tr.Spans) != 1 || sp.Name != "orders.persist" || !sp.Failed() || sp.StatusMessage != "persist failed" {
				t.Errorf("read %+v", sp)
			}
		}},
		{name: "partial trace", tempo: answer(200, []byte(partial)), check: func(t *testing.T, tr *Trace) {
			if !tr.Partial || !strings.Contains(tr.PartialMessage, "max size") {
				t.Errorf("partial %v %q", tr.Partial, tr.PartialMessage)
			}
			if !strings.Contains(render(Analyze(tr)), "Tempo returned part of this trace only: trace exceeds max size") {
				t.Errorf("the render does not say the trace is partial")
			}
		}},
		{name: "unknown trace", tempo: answer(404, []byte("trace not found\n")), wantErr: ErrNotFound, msg: "does not have " + checkoutTraceID + " (yet)"},
		{name: "empty trace", tempo: answer(200, []byte(`{"trace":{}}`)), wantErr: ErrNotFound, msg: "(yet)"},
		{name: "Tempo not ready", tempo: answer(503, []byte("Ingester not ready\n")), wantErr: ErrUnavailable, msg: "HTTP 503"},
		{name: "bad request", tempo: answer(400, []byte("invalid trace id\n")), msg: "HTTP 400: invalid trace id"},
		{name: "not JSON", tempo: answer(200, []byte("<html>")), msg: "decode trace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.tempo = tt.tempo
			tr, err := NewCompose(s.URL, s.URL).Trace(context.Background(), checkoutTraceID)
			if tt.check != nil {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, tr)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want one saying %q", err, tt.msg)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			want := 1
			switch tt.wantErr {
			case ErrNotFound:
				want = ExitNotFound
			case ErrUnavailable:
				want = ExitUnavailable
			}
			if ExitCode(err) != want {
				t.Errorf("exit code %d, want %d", ExitCode(err), want)
			}
		})
	}
}

func closedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

func TestComposeStackDown(t *testing.T) {
	down := closedURL(t)
	_, err := NewCompose(down, down).Trace(context.Background(), checkoutTraceID)
	if !errors.Is(err, ErrUnavailable) || ExitCode(err) != ExitUnavailable || !strings.Contains(err.Error(), "Tempo at "+down+" is unreachable (is the stack up?") {
		t.Errorf("Tempo down: %v (exit %d)", err, ExitCode(err))
	}
}

func TestComposeLokiTroubleIsAWarning(t *testing.T) {
	want := checkoutTrace()
	s := newStandIn(t)
	s.tempo = answer(http.StatusOK, []byte(`{"trace":`+string(tempoJSON(t, want))+`}`))
	for _, tt := range []struct {
		name string
		loki string
		msg  string
	}{
		{name: "down", loki: closedURL(t), msg: "unreachable"},
		{name: "refuses the query", loki: s.URL, msg: "HTTP 400: parse error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.loki = answer(http.StatusBadRequest, []byte("parse error : syntax error\n"))
			tr, err := NewCompose(s.URL, tt.loki).Trace(context.Background(), checkoutTraceID)
			if err != nil {
				t.Fatalf("Loki trouble failed the whole trace: %v", err)
			}
			if len(tr.Spans) != len(want.Spans) || len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], tt.msg) {
				t.Errorf("%d spans, warnings %q; want %d spans and one warning saying %q", len(tr.Spans), tr.Warnings, len(want.Spans), tt.msg)
			}
			if !strings.Contains(render(Analyze(tr)), "! log lines not shown: ") {
				t.Errorf("the render does not show the warning")
			}
		})
	}
}

func TestComposeSaysWhenLokiCutTheLines(t *testing.T) {
	want := checkoutTrace()
	s := newStandIn(t)
	s.tempo = answer(http.StatusOK, []byte(`{"trace":`+string(tempoJSON(t, want))+`}`))
	s.loki = answer(http.StatusOK, lokiJSON(t, want))
	c := NewCompose(s.URL, s.URL)
	c.LogLimit = 5
	tr, err := c.Trace(context.Background(), checkoutTraceID)
	if err != nil {
		t.Fatal(err)
	}
	if q := s.lokiRequests[0].URL.Query().Get("limit"); q != "5" {
		t.Errorf("limit asked of Loki = %q, want 5", q)
	}
	if len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], "only the first 5 log lines") {
		t.Errorf("warnings %q", tr.Warnings)
	}
}
