package gateway

import (
	"fmt"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/testkit"
)

// TestTracePropagation: the gateway joins the caller's trace, names it in
// X-Trace-Id, and carries it to the backend.
func TestTracePropagation(t *testing.T) {
	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		spanID  = "00f067aa0ba902b7"
	)
	env := newEnv(t, nil)
	r := env.do(t, http.MethodGet, "/api/v1/products/7", map[string]string{
		"traceparent": "00-" + traceID + "-" + spanID + "-01",
		"X-Region":    "sa-east",
	}, "")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if got := r.header.Get(TraceIDHeader); got != traceID {
		t.Errorf("X-Trace-Id %q, want %q", got, traceID)
	}
	c, _ := env.rec.last("GetProduct")
	if c.traceID.String() != traceID {
		t.Errorf("catalog saw trace %s, want %s", c.traceID, traceID)
	}

	s := env.serverSpan(t, "GET /api/v1/products/{id}")
	if s.Parent.SpanID().String() != spanID || !s.Parent.IsRemote() {
		t.Errorf("span parent %v, want the caller's span %s", s.Parent.SpanID(), spanID)
	}
	want := map[attribute.Key]attribute.Value{
		"http.request.method":       attribute.StringValue("GET"),
		"http.route":                attribute.StringValue("/api/v1/products/{id}"),
		"http.response.status_code": attribute.IntValue(200),
		"url.path":                  attribute.StringValue("/api/v1/products/7"),
		"shoplab.region":            attribute.StringValue("sa-east"),
	}
	wantAttrs(t, s, want)
	if s.Status.Code == codes.Error {
		t.Errorf("a 200 has span status %v", s.Status)
	}

	line := env.requestLine(t, "/api/v1/products/7")
	if line["trace_id"] != traceID || line["span_id"] != s.SpanContext.SpanID().String() {
		t.Errorf("log line trace %v span %v, want %s %s", line["trace_id"], line["span_id"], traceID, s.SpanContext.SpanID())
	}
	for _, k := range []string{"method", "route", "status", "duration_ms", "region"} {
		if _, ok := line[k]; !ok {
			t.Errorf("log line lacks %s: %v", k, line)
		}
	}
	if line["route"] != "/api/v1/products/{id}" || line["level"] != "INFO" {
		t.Errorf("log line %v", line)
	}
}

// TestServerSpanStatus: a 5xx marks the span as failed, a 4xx does not,
// and an unmatched request gets no route.
func TestServerSpanStatus(t *testing.T) {
	env := newEnv(t, nil)
	tests := []struct {
		path     string
		spanName string
		failed   bool
	}{
		{path: fmt.Sprintf("/api/v1/products/%d", productBroken), spanName: "GET /api/v1/products/{id}", failed: true},
		{path: fmt.Sprintf("/api/v1/products/%d", productAbsent), spanName: "GET /api/v1/products/{id}", failed: false},
		{path: "/nowhere", spanName: "GET", failed: false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			env.spans.Reset()
			r := env.do(t, http.MethodGet, tc.path, nil, "")
			s := env.serverSpan(t, tc.spanName)
			if s.SpanContext.TraceID().String() != r.header.Get(TraceIDHeader) {
				t.Errorf("span trace %s, X-Trace-Id %s", s.SpanContext.TraceID(), r.header.Get(TraceIDHeader))
			}
			if got := s.Status.Code == codes.Error; got != tc.failed {
				t.Errorf("span failed = %v, want %v (status %d)", got, tc.failed, r.status)
			}
			_, hasRoute := attrOf(s, "http.route")
			if hasRoute != (tc.spanName != "GET") {
				t.Errorf("http.route present = %v", hasRoute)
			}
		})
	}
}

// serverSpan waits for the gateway's server span named name.
func (e *testEnv) serverSpan(t *testing.T, name string) tracetest.SpanStub {
	t.Helper()
	var found tracetest.SpanStub
	testkit.WaitFor(t, unwindWait, "the server span "+name, func() error {
		var names []string
		for _, s := range e.spans.GetSpans() {
			if s.SpanKind == trace.SpanKindServer && s.Name == name {
				found = s
				return nil
			}
			names = append(names, s.Name)
		}
		return fmt.Errorf("no server span %q among %v", name, names)
	})
	return found
}

func attrOf(s tracetest.SpanStub, k attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if kv.Key == k {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func wantAttrs(t *testing.T, s tracetest.SpanStub, want map[attribute.Key]attribute.Value) {
	t.Helper()
	for k, v := range want {
		got, ok := attrOf(s, k)
		if !ok || got != v {
			t.Errorf("span attribute %s = %v, want %v", k, got.Emit(), v.Emit())
		}
	}
}
