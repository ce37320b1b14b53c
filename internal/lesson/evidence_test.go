package lesson

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

const sampleMetrics = `# TYPE shoplab_http_requests_total counter
shoplab_http_requests_total{method="POST",region="eu-west",route="/api/v1/orders",status="503"} 30
shoplab_http_requests_total{method="POST",region="eu-west",route="/api/v1/orders",status="201"} 2
shoplab_http_requests_total{method="GET",region="eu-west",route="/api/v1/products",status="200"} 7
# TYPE grpc_server_handling_seconds histogram
grpc_server_handling_seconds_bucket{grpc_method="GetProduct",le="0.5"} 3
grpc_server_handling_seconds_bucket{grpc_method="GetProduct",le="+Inf"} 4
grpc_server_handling_seconds_sum{grpc_method="GetProduct"} 1.6
grpc_server_handling_seconds_count{grpc_method="GetProduct"} 4
`

func TestMetricsEvidence(t *testing.T) {
	lab := newFakeLab(t)
	lab.setMetrics(topology.Catalog, sampleMetrics)
	ev := &Evidence{Services: lab.endpoints}
	fams, err := ev.Metrics(context.Background(), topology.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	orders := Find(fams, "shoplab_http_requests_total", map[string]string{"route": "/api/v1/orders"})
	if len(orders) != 2 {
		t.Fatalf("found %d series, want 2", len(orders))
	}
	if by := SumBy(orders, "status"); by["503"] != 30 || by["201"] != 2 {
		t.Errorf("SumBy status = %v", by)
	}
	h := Find(fams, grpcServerSeconds, map[string]string{"grpc_method": "GetProduct"})
	if len(h) != 1 || h[0].Count != 4 || h[0].Mean() != 0.4 {
		t.Errorf("histogram series %+v, want count 4, mean 0.4", h)
	}
	counts := SeriesCounts(fams)
	if counts["shoplab_http_requests_total"] != 3 || counts[grpcServerSeconds] != 5 {
		t.Errorf("series counts %v, want 3 and 5 (2 buckets + +Inf + sum + count)", counts)
	}
	if got := rpcLatencies(context.Background(), ev, topology.Catalog, "GetProduct", "ListProducts"); len(got) != 1 || !strings.Contains(got[0], "GetProduct 400 ms over 4 calls") {
		t.Errorf("rpcLatencies = %q", got)
	}
	if _, err := ev.Metrics(context.Background(), "billing"); err == nil {
		t.Error("metrics of an unknown service: no error")
	}
}

func TestLogEvidence(t *testing.T) {
	dir := t.TempDir()
	since := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	line := func(at time.Time, level, msg, extra string) string {
		return fmt.Sprintf(`{"time":%q,"level":%q,"msg":%q,"service":"orders","trace_id":"abc","span_id":"def"%s}`, at.Format(time.RFC3339Nano), level, msg, extra)
	}
	content := strings.Join([]string{
		line(since.Add(-time.Minute), "ERROR", "order failed", `,"region":"eu-west"`), // before the lesson
		"not json",
		line(since.Add(time.Second), "INFO", "order placed", ""),
		line(since.Add(2*time.Second), "ERROR", "order failed", `,"region":"eu-west","error":"disk I/O error"`),
		line(since.Add(3*time.Second), "ERROR", "order failed", `,"region":"us-east"`),
		line(since.Add(4*time.Second), "ERROR", "order failed", `,"region":"eu-west","error":"again"`),
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "orders.log"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := &Evidence{LogDir: dir, Since: since}
	got, err := ev.Logs(topology.Orders, 5, func(l LogLine) bool { return l.Level == "ERROR" && l.Fields["region"] == "eu-west" })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Fields["error"] != "disk I/O error" || got[1].Fields["error"] != "again" {
		t.Fatalf("lines %+v, want the two eu-west errors since the lesson started, oldest first", got)
	}
	if s := got[0].String(); !strings.Contains(s, `ERROR "order failed"`) || !strings.Contains(s, "trace_id=abc") || strings.Contains(s, "span_id") {
		t.Errorf("line renders as %q", s)
	}
	if newest, _ := ev.Logs(topology.Orders, 1, nil); len(newest) != 1 || newest[0].Fields["error"] != "again" {
		t.Errorf("newest line %+v", newest)
	}
	if _, err := ev.Logs("billing", 1, nil); err == nil {
		t.Error("no log file: no error")
	}
}

// stubTraces is a trace store holding one trace.
type stubTraces struct{ t *traceview.Trace }

func (s stubTraces) Trace(_ context.Context, id string) (*traceview.Trace, error) {
	if s.t == nil || s.t.TraceID != id {
		return nil, traceview.ErrNotFound
	}
	return s.t, nil
}

func TestTraceEvidence(t *testing.T) {
	dir := t.TempDir()
	since := time.Now().Add(-time.Minute)
	id := "0af7651916cd43dd8448eb211c80319c"
	run := &load.Result{Schema: load.SchemaVersion, Scenario: "browse", StartedAt: since.Add(time.Second), Slowest: []load.SlowEndpoint{
		{Method: "GET", Route: productRoute, Requests: []load.SlowRequest{{TraceID: id, LatencyMS: 412, Region: "eu-west", Status: 200}}},
	}}
	if err := traceview.SaveLastRun(dir, run); err != nil {
		t.Fatal(err)
	}
	t0 := since.Add(2 * time.Second)
	span := func(id, parent, svc, name, kind string, from, to time.Duration) *traceview.Span {
		return &traceview.Span{SpanID: id, ParentID: parent, Service: svc, Name: name, Kind: kind, Start: t0.Add(from), End: t0.Add(to)}
	}
	trace := &traceview.Trace{TraceID: id, Spans: []*traceview.Span{
		span("1", "", "gateway", "GET /api/v1/products/{id}", "server", 0, 410*time.Millisecond),
		span("2", "1", "catalog", "shop.v1.CatalogService/GetProduct", "server", time.Millisecond, 405*time.Millisecond),
		span("3", "2", "catalog", dbSpanName, "client", 2*time.Millisecond, 404*time.Millisecond),
	}}
	ev := &Evidence{DataDir: dir, Since: since, Traces: stubTraces{trace}}
	got := slowTrace(context.Background(), ev, "GET", productRoute, topology.Catalog)
	if len(got) != 2 || !strings.Contains(got[0], id) || !strings.Contains(got[1], `"SELECT products", 402 ms`) || !strings.Contains(got[1], "1 database query") {
		t.Errorf("slowTrace = %q", got)
	}
	// A run from before the lesson is not its evidence.
	ev.Since = time.Now()
	if got := slowTrace(context.Background(), ev, "GET", productRoute, topology.Catalog); got != nil {
		t.Errorf("a run older than the lesson gave %q", got)
	}
}

func TestNewestShipped(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	loki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/loki/api/v1/query_range" || r.URL.Query().Get("query") != `{job="shoplab"}` {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["%d","line"]]}]}}`, at.UnixNano())
	}))
	defer loki.Close()
	ev := &Evidence{LokiURL: loki.URL}
	got, err := ev.NewestShipped(context.Background())
	if err != nil || !got.Equal(at) {
		t.Errorf("NewestShipped = %v, %v; want %v", got, err, at)
	}
}
