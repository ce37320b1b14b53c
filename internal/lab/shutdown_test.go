package lab

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// keptSpans keeps what it was sent after its shutdown, unlike
// tracetest.InMemoryExporter, which forgets it.
type keptSpans struct{ *tracetest.InMemoryExporter }

func (keptSpans) Shutdown(context.Context) error { return nil }

type heldAnswer struct {
	status  int
	close   bool
	traceID string
	body    []byte
	err     error
}

// getProducts lists the products through the gateway with the fault
// header f; the answer comes on the channel.
func getProducts(gatewayURL, f string) <-chan heldAnswer {
	out := make(chan heldAnswer, 1)
	go func() {
		req, err := http.NewRequest(http.MethodGet, gatewayURL+"/api/v1/products", nil)
		if err != nil {
			out <- heldAnswer{err: err}
			return
		}
		req.Header.Set(fault.Header, f)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- heldAnswer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- heldAnswer{status: resp.StatusCode, close: resp.Close, traceID: resp.Header.Get("X-Trace-Id"), body: b, err: err}
	}()
	return out
}

// holdCall calls a service directly with the fault f; the call's error
// comes on the channel.
func holdCall(t *testing.T, addr, f string, call func(context.Context, *grpc.ClientConn) error) <-chan error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	out := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), fault.MetadataKey, f), time.Minute)
		defer cancel()
		out <- call(ctx, conn)
	}()
	return out
}

// TestStopKeepsOneBudget: with a request held in every stage of the stop
// (the gateway, orders, catalog), Stop takes one shutdown budget, not one
// per stage; the gateway answers its held request 503 shutting_down;
// a request that finishes while the gateway drains gets its answer; and
// the spans of both are exported by the stop's flush.
func TestStopKeepsOneBudget(t *testing.T) {
	const budget = 3 * time.Second
	spans := keptSpans{tracetest.NewInMemoryExporter()}
	// Spans leave only when the stop flushes them.
	batch := sdktrace.NewBatchSpanProcessor(spans, sdktrace.WithBatchTimeout(time.Hour))
	cfg := testConfig(t, map[string]string{"SHOPLAB_SHUTDOWN_TIMEOUT": budget.String(), "SHOPLAB_FAULTS": "true"})
	l := startLab(t, Options{Config: cfg, SpanProcessors: []sdktrace.SpanProcessor{batch}})
	gw, orders, catalog := endpoint(t, l, topology.Gateway), endpoint(t, l, topology.Orders), endpoint(t, l, topology.Catalog)

	held := getProducts("http://"+gw.HTTP, "catalog:delay=20s")
	drained := getProducts("http://"+gw.HTTP, "catalog:delay=1500ms")
	heldOrders := holdCall(t, orders.GRPC, "orders:delay=20s", func(ctx context.Context, c *grpc.ClientConn) error {
		_, err := shopv1.NewOrdersServiceClient(c).GetOrder(ctx, &shopv1.GetOrderRequest{})
		return err
	})
	heldCatalog := holdCall(t, catalog.GRPC, "catalog:delay=20s", func(ctx context.Context, c *grpc.ClientConn) error {
		_, err := shopv1.NewCatalogServiceClient(c).ListProducts(ctx, &shopv1.ListProductsRequest{})
		return err
	})
	testkit.WaitMetric(t, testkit.Scrape(gw.MetricsURL), "shoplab_http_requests_in_flight", nil, 2, 20*time.Second)
	testkit.WaitMetric(t, testkit.Scrape(orders.MetricsURL), "grpc_server_started_total", map[string]string{"grpc_method": "GetOrder"}, 1, 20*time.Second)
	testkit.WaitMetric(t, testkit.Scrape(catalog.MetricsURL), "grpc_server_started_total", map[string]string{"grpc_method": "ListProducts"}, 3, 20*time.Second)

	start := time.Now()
	err := l.Stop(context.Background())
	took := time.Since(start)
	t.Logf("Stop took %s: %v", took, err)
	if !errors.Is(err, server.ErrCut) {
		t.Errorf("Stop = %v, want an error wrapping server.ErrCut (held requests were cut)", err)
	}
	// Three stages each draining for the whole timeout took three times
	// it; one budget takes it once. The margin is the budget again, for a
	// loaded machine.
	if took > 2*budget {
		t.Errorf("Stop took %s with a shutdown timeout of %s", took, budget)
	}

	a := <-held
	if a.err != nil {
		t.Fatalf("the held request got no answer: %v", a.err)
	}
	var body struct{ Error struct{ Code string } }
	if err := json.Unmarshal(a.body, &body); err != nil || a.status != http.StatusServiceUnavailable || body.Error.Code != server.CodeShuttingDown || !a.close {
		t.Fatalf("the held request: %d (close %v) %s; want 503 %s and Connection: close", a.status, a.close, a.body, server.CodeShuttingDown)
	}
	d := <-drained
	if d.err != nil || d.status != http.StatusOK {
		t.Fatalf("the request that finished while the gateway drained: %d %s %v, want 200", d.status, d.body, d.err)
	}
	for name, c := range map[string]<-chan error{"orders": heldOrders, "catalog": heldCatalog} {
		if err := <-c; err == nil {
			t.Errorf("the call held in %s succeeded after a stop that cut it", name)
		}
	}

	// Both requests' server spans, in the gateway and in catalog, were
	// flushed after the drains.
	for _, r := range []struct {
		name    string
		traceID string
		status  int64
	}{{"held", a.traceID, http.StatusServiceUnavailable}, {"drained", d.traceID, http.StatusOK}} {
		services := map[string]bool{}
		for _, s := range spans.GetSpans() {
			if s.SpanKind != trace.SpanKindServer || s.SpanContext.TraceID().String() != r.traceID {
				continue
			}
			for _, kv := range s.Resource.Attributes() {
				if kv.Key == semconv.ServiceNameKey {
					services[kv.Value.AsString()] = true
				}
			}
			for _, kv := range s.Attributes {
				if kv.Key == semconv.HTTPResponseStatusCodeKey && kv.Value.AsInt64() != r.status {
					t.Errorf("%s request's gateway span has status %d, want %d", r.name, kv.Value.AsInt64(), r.status)
				}
			}
		}
		if !services[topology.Gateway] || !services[topology.Catalog] {
			t.Errorf("%s request (trace %q): server spans exported from %v, want gateway and catalog", r.name, r.traceID, services)
		}
	}
}
