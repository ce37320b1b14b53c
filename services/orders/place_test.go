package orders

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

func TestPlaceOrder(t *testing.T) { testkit.ForEachBackend(t, testPlaceOrder) }

func testPlaceOrder(t *testing.T, b testkit.Backend) {
	f := newFixtureWith(t, fixtureOptions{backend: b})
	ctx, span := f.callerTel.Tracer().Start(context.Background(), "checkout")
	traceID := span.SpanContext().TraceID()
	order, err := f.place(ctx, "user-1", line(1, 2), line(10, 3))
	span.End()
	if err != nil {
		t.Fatal(err)
	}

	// The answer: priced by the catalog (1299 and 899 cents).
	if _, err := uuid.Parse(order.GetId()); err != nil {
		t.Errorf("order ID %q is not a UUID", order.GetId())
	}
	if order.GetStatus() != "placed" || order.GetTotalCents() != 2*1299+3*899 || order.GetCurrency() != "USD" ||
		len(order.GetLines()) != 2 || order.GetLines()[0].GetName() != "Ceramic Coffee Mug" || order.GetEmail() != "user-1@example.com" {
		t.Fatalf("order = %v", order)
	}

	// Stored, and the stock is taken in the catalog.
	got, err := f.client.GetOrder(ctx, &shopv1.GetOrderRequest{OrderId: order.GetId(), UserId: "user-1"})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, order) {
		t.Errorf("GetOrder = %v, want %v", got, order)
	}
	if s := f.stockOf(t, 1); s != 240-2 {
		t.Errorf("stock of product 1 = %d, want 238", s)
	}
	if s := f.stockOf(t, 10); s != 400-3 {
		t.Errorf("stock of product 10 = %d, want 397", s)
	}

	// The outbox row carries the trace: its parent is the orders.persist span.
	var headers string
	if err := f.svc.db.QueryRow(`SELECT headers FROM outbox`).Scan(&headers); err != nil {
		t.Fatal(err)
	}
	var carrier propagation.MapCarrier
	if err := json.Unmarshal([]byte(headers), &carrier); err != nil {
		t.Fatal(err)
	}
	stored := trace.SpanContextFromContext(f.svc.tel.Propagator.Extract(context.Background(), carrier))
	if stored.TraceID() != traceID {
		t.Errorf("outbox traceparent %q: trace %s, want the PlaceOrder trace %s", carrier.Get("traceparent"), stored.TraceID(), traceID)
	}
	persist := findSpan(t, f, "orders.persist")
	if stored.SpanID() != persist.SpanContext.SpanID() || persist.SpanContext.TraceID() != traceID {
		t.Errorf("outbox parent span = %s, want orders.persist %s", stored.SpanID(), persist.SpanContext.SpanID())
	}
	// The catalog's span is part of the same trace (the call carried it).
	testkit.WaitFor(t, 5*time.Second, "the catalog's ReserveStock span", func() bool {
		for _, s := range f.catalogSpans.GetSpans() {
			if s.Name == "shop.v1.CatalogService/ReserveStock" && s.SpanContext.TraceID() == traceID {
				return true
			}
		}
		return false
	})

	// Metrics: one order, its value observed with the trace as exemplar.
	if n := metricOf(t, f.svc.metrics.placed).GetCounter().GetValue(); n != 1 {
		t.Errorf("orders_placed_total = %v, want 1", n)
	}
	assertValueExemplar(t, f, float64(order.GetTotalCents()), traceID)

	// The relay publishes it, and a consumer reads it in the same trace.
	if f.backlog(t) != 1 {
		t.Fatalf("backlog = %d before flush, want 1", f.backlog(t))
	}
	if n, err := f.svc.relay.Flush(ctx); err != nil || n != 1 {
		t.Fatalf("Flush = %d, %v; want 1 event published", n, err)
	}
	if f.backlog(t) != 0 {
		t.Fatalf("backlog = %d after flush, want 0", f.backlog(t))
	}
	env, consumedTrace := consumeOne(t, f)
	var placed events.OrderPlaced
	if err := json.Unmarshal(env.Data, &placed); err != nil {
		t.Fatal(err)
	}
	if env.Type != "order.placed" || placed.OrderID != order.GetId() || placed.Email != "user-1@example.com" ||
		placed.TotalCents != order.GetTotalCents() || len(placed.Lines) != 2 {
		t.Errorf("event = %s %+v, want order.placed of %s", env.Type, placed, order.GetId())
	}
	if consumedTrace != traceID {
		t.Errorf("consumer trace = %s, want %s", consumedTrace, traceID)
	}
}

func findSpan(t *testing.T, f *fixture, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range f.spans.GetSpans() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no %s span recorded", name)
	return tracetest.SpanStub{}
}

func assertValueExemplar(t *testing.T, f *fixture, value float64, traceID trace.TraceID) {
	t.Helper()
	h := metricOf(t, f.svc.metrics.value).GetHistogram()
	if h.GetSampleCount() != 1 || h.GetSampleSum() != value {
		t.Fatalf("order_value_cents: count %d sum %v, want 1 and %v", h.GetSampleCount(), h.GetSampleSum(), value)
	}
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() < value || b.GetExemplar() == nil {
			continue
		}
		for _, l := range b.GetExemplar().GetLabel() {
			if l.GetName() == "trace_id" && l.GetValue() == traceID.String() {
				return
			}
		}
	}
	t.Errorf("order_value_cents has no exemplar with trace_id %s", traceID)
}

// consumeOne reads the first order.placed event from the broker, as the
// notification service would.
func consumeOne(t *testing.T, f *fixture) (events.Envelope, trace.TraceID) {
	t.Helper()
	tel, _ := newTelemetry(t, "notification")
	c, err := events.NewConsumer(tel, f.broker.Addrs(), "orders-test", []string{events.TopicOrderPlaced})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type got struct {
		env   events.Envelope
		trace trace.TraceID
	}
	ch := make(chan got, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, func(hctx context.Context, _ string, env events.Envelope) error {
			select {
			case ch <- got{env, trace.SpanContextFromContext(hctx).TraceID()}:
			default:
			}
			return nil
		})
	}()
	defer func() { cancel(); <-done }()
	select {
	case g := <-ch:
		return g.env, g.trace
	case <-ctx.Done():
		t.Fatal("no order.placed event consumed within 30s")
		return events.Envelope{}, trace.TraceID{}
	}
}

func TestPlaceOrderInvalid(t *testing.T) {
	tooMany := make([]*shopv1.StockLine, 51)
	for i := range tooMany {
		tooMany[i] = line(int64(i+1), 1)
	}
	tests := []struct {
		name   string
		userID string
		lines  []*shopv1.StockLine
	}{
		{name: "no user", userID: "", lines: []*shopv1.StockLine{line(1, 1)}},
		{name: "no lines", userID: "u"},
		{name: "51 lines", userID: "u", lines: tooMany},
		{name: "zero product id", userID: "u", lines: []*shopv1.StockLine{line(0, 1)}},
		{name: "negative product id", userID: "u", lines: []*shopv1.StockLine{line(-2, 1)}},
		{name: "zero quantity", userID: "u", lines: []*shopv1.StockLine{line(1, 0)}},
		{name: "quantity over 1000", userID: "u", lines: []*shopv1.StockLine{line(1, 1001)}},
		{name: "duplicate product", userID: "u", lines: []*shopv1.StockLine{line(3, 1), line(3, 1)}},
	}
	stub := &stubCatalog{}
	f := newFixture(t, stub)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.place(context.Background(), tt.userID, tt.lines...)
			if code := status.Code(err); code != codes.InvalidArgument {
				t.Fatalf("code = %v (%v), want InvalidArgument", code, err)
			}
		})
	}
	if len(stub.reserved) != 0 {
		t.Errorf("catalog called for invalid orders: %v", stub.reserved)
	}
	if n := metricOf(t, f.svc.metrics.failed.WithLabelValues(reasonInvalid)).GetCounter().GetValue(); n != float64(len(tests)) {
		t.Errorf("orders_failed_total{reason=invalid} = %v, want %d", n, len(tests))
	}
}

// TestPlaceOrderCatalogRefusals checks that the real catalog's refusals
// reach the caller unchanged, with their reason, and leave nothing behind.
func TestPlaceOrderCatalogRefusals(t *testing.T) {
	testkit.ForEachBackend(t, testPlaceOrderCatalogRefusals)
}

func testPlaceOrderCatalogRefusals(t *testing.T, b testkit.Backend) {
	tests := []struct {
		name        string
		lines       []*shopv1.StockLine
		wantCode    codes.Code
		wantReason  string
		wantMessage string
		wantMetric  string
	}{
		{name: "unknown product", lines: []*shopv1.StockLine{line(1, 1), line(999, 1)},
			wantCode: codes.NotFound, wantReason: "UNKNOWN_PRODUCT", wantMessage: "999", wantMetric: reasonUnknownProduct},
		{name: "insufficient stock", lines: []*shopv1.StockLine{line(1, 1), line(5, 51)},
			wantCode: codes.FailedPrecondition, wantReason: "INSUFFICIENT_STOCK", wantMessage: "available 50", wantMetric: reasonInsufficientStock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, fixtureOptions{backend: b})
			_, err := f.place(context.Background(), "u", tt.lines...)
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", code, err, tt.wantCode)
			}
			if got := reasonOf(err); got != tt.wantReason {
				t.Errorf("reason = %q, want %q", got, tt.wantReason)
			}
			if msg := status.Convert(err).Message(); !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("message %q does not mention %q", msg, tt.wantMessage)
			}
			if f.countOrders(t) != 0 || f.backlog(t) != 0 || f.pendingNotes(t) != 0 {
				t.Errorf("refused order left %d orders, %d events and %d pending notes", f.countOrders(t), f.backlog(t), f.pendingNotes(t))
			}
			if s := f.stockOf(t, 1); s != 240 {
				t.Errorf("stock of product 1 = %d, want 240", s)
			}
			if n := metricOf(t, f.svc.metrics.failed.WithLabelValues(tt.wantMetric)).GetCounter().GetValue(); n != 1 {
				t.Errorf("orders_failed_total{reason=%s} = %v, want 1", tt.wantMetric, n)
			}
		})
	}
}

// TestPlaceOrderCatalogFailures checks the catalog's own failures: the
// code is kept (never turned into Internal), internal details are not,
// and a reservation whose outcome is unknown is released.
func TestPlaceOrderCatalogFailures(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantCode    codes.Code
		wantRelease bool
		// wantNote: the reconciler is left to release the stock, in case
		// the catalog reserved it after all.
		wantNote   bool
		wantMetric string
	}{
		{name: "unavailable", err: status.Error(codes.Unavailable, "connection error: dial tcp 10.0.0.7:50052: connect: connection refused"),
			wantCode: codes.Unavailable, wantNote: true, wantMetric: reasonCatalogUnavailable},
		{name: "deadline", err: status.Error(codes.DeadlineExceeded, "context deadline exceeded at 10.0.0.7"),
			wantCode: codes.DeadlineExceeded, wantRelease: true, wantMetric: reasonCatalogUnavailable},
		{name: "internal", err: status.Error(codes.Internal, "sqlite at 10.0.0.7: disk I/O error"),
			wantCode: codes.Internal, wantMetric: reasonCatalogError},
		{name: "invalid argument", err: status.Error(codes.InvalidArgument, "lines[0]: quantity must be between 1 and 1000"),
			wantCode: codes.InvalidArgument, wantMetric: reasonInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := &stubCatalog{reserveErr: tt.err}
			f := newFixture(t, stub)
			_, err := f.place(context.Background(), "u", line(1, 1))
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", code, err, tt.wantCode)
			}
			if tt.wantCode != codes.InvalidArgument && strings.Contains(err.Error(), "10.0.0.7") {
				t.Errorf("internal detail leaked: %v", err)
			}
			if len(stub.reserved) != 1 {
				t.Fatalf("ReserveStock calls = %v, want 1", stub.reserved)
			}
			if tt.wantRelease != (len(stub.released) == 1 && stub.released[0] == stub.reserved[0]) {
				t.Errorf("released %v after reserving %v; want release: %v", stub.released, stub.reserved, tt.wantRelease)
			}
			if f.countOrders(t) != 0 {
				t.Errorf("failed order was stored")
			}
			wantNotes := 0
			if tt.wantNote {
				wantNotes = 1
			}
			if n := f.pendingNotes(t); n != wantNotes {
				t.Errorf("%d pending notes, want %d", n, wantNotes)
			}
			if n := metricOf(t, f.svc.metrics.failed.WithLabelValues(tt.wantMetric)).GetCounter().GetValue(); n != 1 {
				t.Errorf("orders_failed_total{reason=%s} = %v, want 1", tt.wantMetric, n)
			}
		})
	}
}

// TestPersistFailureReleasesStock checks the compensation: when the order
// cannot be committed, the catalog gets its stock back.
func TestPersistFailureReleasesStock(t *testing.T) {
	testkit.ForEachBackend(t, testPersistFailureReleasesStock)
}

func testPersistFailureReleasesStock(t *testing.T, b testkit.Backend) {
	f := newFixtureWith(t, fixtureOptions{backend: b})
	refuse := `CREATE TRIGGER refuse BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'disk full'); END`
	if f.svc.dialect == database.Postgres {
		refuse = `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
			CREATE TRIGGER refuse BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse();`
	}
	if _, err := f.svc.db.Exec(refuse); err != nil {
		t.Fatal(err)
	}
	_, err := f.place(context.Background(), "u", line(2, 4))
	if status.Code(err) != codes.Internal || strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want Internal without the cause", err)
	}
	if s := f.stockOf(t, 2); s != 180 {
		t.Errorf("stock of product 2 = %d, want 180 (released)", s)
	}
	if f.backlog(t) != 0 || f.countOrders(t) != 0 || f.pendingNotes(t) != 0 {
		t.Errorf("failed order left %d events, %d orders and %d pending notes", f.backlog(t), f.countOrders(t), f.pendingNotes(t))
	}
	if n := metricOf(t, f.svc.metrics.failed.WithLabelValues(reasonPersist)).GetCounter().GetValue(); n != 1 {
		t.Errorf("orders_failed_total{reason=persist} = %v, want 1", n)
	}
}
