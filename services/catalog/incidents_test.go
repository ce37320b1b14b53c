package catalog

import (
	"context"
	"strconv"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

const dbSpanName = "SELECT products"

// lastTrace returns the spans of the trace of rpc's calls-th call. The
// server span ends after the answer is sent, so the client can be back
// before it is recorded: lastTrace waits for it rather than read the
// previous call's trace.
func lastTrace(t *testing.T, rec *tracetest.SpanRecorder, rpc string, calls int) []sdktrace.ReadOnlySpan {
	t.Helper()
	var id trace.TraceID
	testkit.WaitFor(t, 10*time.Second, "the server span of "+rpc+" call "+strconv.Itoa(calls), func() bool {
		n := 0
		for _, s := range rec.Ended() {
			if s.Name() == "shop.v1.CatalogService/"+rpc {
				if n++; n == calls {
					id = s.SpanContext().TraceID()
				}
			}
		}
		return n >= calls
	})
	var out []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID() == id {
			out = append(out, s)
		}
	}
	return out
}

// dbSpans are the database spans of spans.
func dbSpans(spans []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == dbSpanName {
			out = append(out, s)
		}
	}
	return out
}

func spanLength(s sdktrace.ReadOnlySpan) time.Duration { return s.EndTime().Sub(s.StartTime()) }

// handlingSum is the total time the catalog's gRPC server spent in rpc,
// as grpc_server_handling_seconds exports it.
func handlingSum(t *testing.T, f *fixture, rpc string) time.Duration {
	t.Helper()
	series := testkit.MetricSeries(t, f.tel.Registry, "grpc_server_handling_seconds", map[string]string{"grpc_method": rpc})
	if len(series) != 1 {
		t.Fatalf("grpc_server_handling_seconds{grpc_method=%s}: %d series", rpc, len(series))
	}
	return time.Duration(series[0].GetHistogram().GetSampleSum() * float64(time.Second))
}

// TestSlowQuerySlowsOneRPC: the chosen RPC's database span, and so its
// handling time, grows by the delay; the other RPC's does not, and once
// cleared neither does the chosen one's.
func TestSlowQuerySlowsOneRPC(t *testing.T) {
	set := incident.NewSet(topology.Catalog)
	rec := tracetest.NewSpanRecorder()
	f := newFixtureWith(t, fixtureOptions{incidents: set, spans: rec})
	ctx := context.Background()
	get := func() {
		t.Helper()
		if _, err := f.client.GetProduct(ctx, &shopv1.GetProductRequest{Id: 1}); err != nil {
			t.Fatal(err)
		}
	}
	list := func() {
		t.Helper()
		if _, err := f.client.ListProducts(ctx, &shopv1.ListProductsRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	get()
	list()
	if n := len(dbSpans(lastTrace(t, rec, "GetProduct", 1))); n != 1 {
		t.Fatalf("GetProduct has %d database spans, want 1", n)
	}

	// The delay is far above what a query takes even on a loaded machine.
	const delay = 1500 * time.Millisecond
	if err := set.On(incident.SlowQuery, incident.Params{incident.ParamRPC: incident.RPCGetProduct, incident.ParamDelay: delay.String()}); err != nil {
		t.Fatal(err)
	}
	getBefore, listBefore := handlingSum(t, f, "GetProduct"), handlingSum(t, f, "ListProducts")
	get()
	list()
	if d := spanLength(dbSpans(lastTrace(t, rec, "GetProduct", 2))[0]); d < delay {
		t.Errorf("GetProduct's database span took %v, want at least %v", d, delay)
	}
	if d := handlingSum(t, f, "GetProduct") - getBefore; d < delay {
		t.Errorf("GetProduct handling time grew by %v, want at least %v", d, delay)
	}
	if d := handlingSum(t, f, "ListProducts") - listBefore; d >= delay {
		t.Errorf("ListProducts handling time grew by %v: the slow query is not GetProduct's alone", d)
	}

	set.Clear()
	getBefore = handlingSum(t, f, "GetProduct")
	get()
	if d := handlingSum(t, f, "GetProduct") - getBefore; d >= delay {
		t.Errorf("GetProduct took %v after clearing", d)
	}
	if d := spanLength(dbSpans(lastTrace(t, rec, "GetProduct", 3))[0]); d >= delay {
		t.Errorf("GetProduct's database span took %v after clearing", d)
	}
}

// TestNPlusOneMultipliesDatabaseSpans: ListProducts makes one database
// span normally, one per product more while the incident is on, and one
// again once it is cleared; the answer stays the same.
func TestNPlusOneMultipliesDatabaseSpans(t *testing.T) {
	set := incident.NewSet(topology.Catalog)
	rec := tracetest.NewSpanRecorder()
	f := newFixtureWith(t, fixtureOptions{incidents: set, spans: rec})
	ctx := context.Background()
	calls := 0
	list := func() (*shopv1.ListProductsResponse, int) {
		t.Helper()
		resp, err := f.client.ListProducts(ctx, &shopv1.ListProductsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		calls++
		return resp, len(dbSpans(lastTrace(t, rec, "ListProducts", calls)))
	}
	want, n := list()
	if n != 1 {
		t.Fatalf("ListProducts has %d database spans, want 1", n)
	}
	products := len(want.GetProducts())

	if err := set.On(incident.NPlusOne, nil); err != nil {
		t.Fatal(err)
	}
	got, n := list()
	if n != products+1 {
		t.Errorf("ListProducts has %d database spans while on, want %d (one per product and the list)", n, products+1)
	}
	for i, p := range got.GetProducts() {
		if p.GetStock() != want.GetProducts()[i].GetStock() || p.GetName() != want.GetProducts()[i].GetName() {
			t.Errorf("product %d = %v, want %v", i, p, want.GetProducts()[i])
		}
	}
	for _, s := range dbSpans(lastTrace(t, rec, "ListProducts", calls)) {
		if !s.Parent().IsValid() || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("database span %v is not a client child span", s)
		}
	}

	set.Clear()
	if _, n := list(); n != 1 {
		t.Errorf("ListProducts has %d database spans after clearing, want 1", n)
	}
}
