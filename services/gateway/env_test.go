package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"

	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// testEnv is a gateway talking real gRPC to fake backends, served over
// real HTTP.
type testEnv struct {
	url   string
	gw    *Gateway
	tel   *telemetry.Telemetry
	logs  *syncBuffer
	spans *tracetest.InMemoryExporter
	rec   *recorder
}

// newEnv starts the fake backends and a gateway in front of them.
func newEnv(t *testing.T, checks map[string]server.Check) *testEnv {
	t.Helper()
	rec := &recorder{}
	authAddr := serveGRPC(t, "auth", func(s *grpc.Server) { shopv1.RegisterAuthServiceServer(s, &fakeAuth{rec: rec}) })
	catalogAddr := serveGRPC(t, "catalog", func(s *grpc.Server) { shopv1.RegisterCatalogServiceServer(s, &fakeCatalog{rec: rec}) })
	ordersAddr := serveGRPC(t, "orders", func(s *grpc.Server) { shopv1.RegisterOrdersServiceServer(s, &fakeOrders{rec: rec}) })

	logs := &syncBuffer{}
	spans := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(context.Background(), telemetry.Config{
		Service:        "gateway",
		Stdout:         logs,
		SpanProcessors: []sdktrace.SpanProcessor{sdktrace.NewSimpleSpanProcessor(spans)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	metrics, err := server.NewClientMetrics(tel)
	if err != nil {
		t.Fatal(err)
	}
	dial := func(addr string) *grpc.ClientConn {
		conn, err := server.Dial(tel, metrics, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	gw, err := New(Options{
		Telemetry: tel,
		Auth:      shopv1.NewAuthServiceClient(dial(authAddr)),
		Catalog:   shopv1.NewCatalogServiceClient(dial(catalogAddr)),
		Orders:    shopv1.NewOrdersServiceClient(dial(ordersAddr)),
		Checks:    checks,
		Faults:    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	return &testEnv{url: srv.URL, gw: gw, tel: tel, logs: logs, spans: spans, rec: rec}
}

// serveGRPC serves a fake backend the way the real ones are served, with
// its own telemetry named service (so faults naming it apply).
func serveGRPC(t *testing.T, service string, register func(*grpc.Server)) string {
	t.Helper()
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: service})
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := server.NewGRPCServer(tel, register, server.WithFaults(true))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
		tel.Shutdown(context.Background())
	})
	return lis.Addr().String()
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request; header values are set as given.
func (e *testEnv) do(t *testing.T, method, path string, header map[string]string, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// errorOf parses an error answer strictly: JSON, the error shape and
// nothing else, with a code and a message.
func (r response) errorOf(t *testing.T) errorDetail {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json; body %s", ct, r.body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	var body errorBody
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body %s is not {\"error\":{\"code\",\"message\"}}: %v", r.body, err)
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("error body %s lacks code or message", r.body)
	}
	return body.Error
}

// decode parses a JSON answer into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// jsonHeader is the header of a well-formed JSON POST.
func jsonHeader(extra ...string) map[string]string {
	h := map[string]string{"Content-Type": "application/json"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

// series returns the gateway's series name whose labels include want
// (testkit.MetricSeries).
func (e *testEnv) series(t *testing.T, name string, want prometheus.Labels) []*dto.Metric {
	t.Helper()
	return testkit.MetricSeries(t, e.tel.Registry, name, want)
}

// counter sums the gateway's counter series name whose labels include
// want; there must be one (testkit.MetricValue).
func (e *testEnv) counter(t *testing.T, name string, want prometheus.Labels) float64 {
	t.Helper()
	return testkit.MetricValue(t, e.tel.Registry, name, want)
}

// scrape fetches /metrics with the given Accept header.
func (e *testEnv) scrape(t *testing.T, accept string) string {
	t.Helper()
	r := e.do(t, http.MethodGet, "/metrics", map[string]string{"Accept": accept}, "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", r.status, r.body)
	}
	return string(r.body)
}

// syncBuffer is a log sink the handler goroutines and the test share.
type syncBuffer struct{ testkit.SyncBuffer }

// lines returns the JSON log lines whose msg is msg.
func (b *syncBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		if line["msg"] == msg {
			out = append(out, line)
		}
	}
	return out
}

// unwindWait bounds the wait for a request's log line or span: they are
// written as the handler unwinds, which may be just after the client has
// its answer.
const unwindWait = 2 * time.Second

// requestLine waits for the request log line of the request whose path
// is path.
func (e *testEnv) requestLine(t *testing.T, path string) map[string]any {
	t.Helper()
	var found map[string]any
	testkit.WaitFor(t, unwindWait, "the request log line of "+path, func() error {
		for _, l := range e.logs.lines(t, "http request handled") {
			if l["path"] == path {
				found = l
				return nil
			}
		}
		return fmt.Errorf("no request log line for %s", path)
	})
	return found
}
