package orders

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/segmentio/kafka-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/outbox"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
	"github.com/shoplab/shoplab/services/catalog"
)

// fixture is the orders service served over real gRPC, calling a real
// catalog service over loopback gRPC and publishing to an embedded broker.
type fixture struct {
	svc *Service
	// client calls orders the way the gateway does: instrumented, from a
	// trace of its own.
	client    shopv1.OrdersServiceClient
	callerTel *telemetry.Telemetry
	// stock is the test's own, uninstrumented view of the catalog.
	stock        shopv1.CatalogServiceClient
	spans        *tracetest.InMemoryExporter
	catalogSpans *tracetest.InMemoryExporter
	pub          *switchPublisher
	kafka        *events.Publisher
	broker       *broker.Broker
	// src and catalog let a test start a second service, as after a
	// restart.
	src     database.Source
	catalog shopv1.CatalogServiceClient
}

// fixtureOptions vary the fixture.
type fixtureOptions struct {
	// stub, if set, replaces the real catalog as the orders service's
	// catalog client.
	stub shopv1.CatalogServiceClient
	// wrap, if set, wraps the real catalog client the service uses.
	wrap func(shopv1.CatalogServiceClient) shopv1.CatalogServiceClient
	// faults makes the orders server apply and forward injected faults.
	faults bool
	// reservationTimeout and reconcileInterval tune the reconciler.
	reservationTimeout time.Duration
	reconcileInterval  time.Duration
	// incidents are the service's lab incidents.
	incidents *incident.Set
	// backend makes the databases, orders' and the catalog's; the zero
	// Backend makes SQLite ones.
	backend testkit.Backend
}

// newFixture starts everything; a non-nil stub replaces the real catalog
// as the orders service's catalog client.
func newFixture(t *testing.T, stub shopv1.CatalogServiceClient) *fixture {
	t.Helper()
	return newFixtureWith(t, fixtureOptions{stub: stub})
}

func newFixtureWith(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{}
	newDB := testkit.SQLiteSource
	if o.backend.New != nil {
		newDB = o.backend.New
	}
	stub := o.stub

	catTel, catSpans := newTelemetry(t, "catalog")
	f.catalogSpans = catSpans
	cat, err := catalog.New(ctx, catalog.Options{Database: newDB(t), Telemetry: catTel})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	catAddr := serve(t, catTel, cat.Register)
	f.stock = shopv1.NewCatalogServiceClient(plainConn(t, catAddr))

	tel, spans := newTelemetry(t, "orders")
	f.spans = spans
	var catClient shopv1.CatalogServiceClient = stub
	if stub == nil {
		metrics, err := server.NewClientMetrics(tel)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := server.Dial(tel, metrics, catAddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		catClient = shopv1.NewCatalogServiceClient(conn)
		if o.wrap != nil {
			catClient = o.wrap(catClient)
		}
	}
	f.catalog = catClient

	f.broker, err = broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.broker.Close)
	f.kafka, err = events.NewPublisher(tel, f.broker.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.kafka.Close() })
	f.pub = &switchPublisher{to: f.kafka}

	f.src = newDB(t)
	f.svc, err = New(ctx, Options{
		Database: f.src, Telemetry: tel, Catalog: catClient, Publisher: f.pub,
		ReservationTimeout: o.reservationTimeout, ReconcileInterval: o.reconcileInterval,
		Incidents: o.incidents,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.svc.Close() })
	ordersAddr := serve(t, tel, f.svc.Register, server.WithFaults(o.faults))

	f.callerTel, _ = newTelemetry(t, "gateway")
	callerMetrics, err := server.NewClientMetrics(f.callerTel)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := server.Dial(f.callerTel, callerMetrics, ordersAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f.client = shopv1.NewOrdersServiceClient(conn)
	return f
}

func newTelemetry(t *testing.T, service string) (*telemetry.Telemetry, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(context.Background(), telemetry.Config{
		Service:        service,
		SpanProcessors: []sdktrace.SpanProcessor{sdktrace.NewSimpleSpanProcessor(exp)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel, exp
}

// serve runs an instrumented gRPC server on a loopback port.
func serve(t *testing.T, tel *telemetry.Telemetry, register func(*grpc.Server), opts ...server.GRPCOption) string {
	t.Helper()
	g, _, err := server.NewGRPCServer(tel, register, opts...)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(l)
	t.Cleanup(g.Stop)
	return l.Addr().String()
}

func plainConn(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func (f *fixture) stockOf(t *testing.T, id int64) int64 {
	t.Helper()
	p, err := f.stock.GetProduct(context.Background(), &shopv1.GetProductRequest{Id: id})
	if err != nil {
		t.Fatalf("GetProduct(%d): %v", id, err)
	}
	return p.GetStock()
}

func (f *fixture) place(ctx context.Context, userID string, lines ...*shopv1.StockLine) (*shopv1.Order, error) {
	return f.client.PlaceOrder(ctx, &shopv1.PlaceOrderRequest{UserId: userID, Email: userID + "@example.com", Lines: lines})
}

func (f *fixture) backlog(t *testing.T) int {
	t.Helper()
	n, err := f.svc.relay.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) countOrders(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.svc.db.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func line(productID, quantity int64) *shopv1.StockLine {
	return &shopv1.StockLine{ProductId: productID, Quantity: quantity}
}

func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func metricOf(t *testing.T, m prometheus.Metric) *dto.Metric {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// switchPublisher lets a test take the broker away and give it back.
type switchPublisher struct {
	mu sync.Mutex
	to outbox.Publisher
}

func (p *switchPublisher) set(to outbox.Publisher) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.to = to
}

func (p *switchPublisher) Publish(ctx context.Context, msgs ...kafka.Message) error {
	p.mu.Lock()
	to := p.to
	p.mu.Unlock()
	return to.Publish(ctx, msgs...)
}

// brokerDown fails like a publisher whose broker is unreachable.
type brokerDown struct{}

func (brokerDown) Publish(context.Context, ...kafka.Message) error {
	return errors.New("dial tcp 127.0.0.1:9092: connect: connection refused")
}

// stubCatalog answers ReserveStock with a fixed error and records calls.
type stubCatalog struct {
	reserveErr error

	mu       sync.Mutex
	reserved []string
	released []string
}

func (c *stubCatalog) ListProducts(context.Context, *shopv1.ListProductsRequest, ...grpc.CallOption) (*shopv1.ListProductsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "stub")
}

func (c *stubCatalog) GetProduct(context.Context, *shopv1.GetProductRequest, ...grpc.CallOption) (*shopv1.Product, error) {
	return nil, status.Error(codes.Unimplemented, "stub")
}

func (c *stubCatalog) ReserveStock(_ context.Context, req *shopv1.ReserveStockRequest, _ ...grpc.CallOption) (*shopv1.ReserveStockResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reserved = append(c.reserved, req.GetOrderId())
	return nil, c.reserveErr
}

func (c *stubCatalog) ReleaseStock(_ context.Context, req *shopv1.ReleaseStockRequest, _ ...grpc.CallOption) (*shopv1.ReleaseStockResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.released = append(c.released, req.GetOrderId())
	return &shopv1.ReleaseStockResponse{}, nil
}

// recordingCatalog passes calls on to the real catalog and records the
// fault metadata each carried. While failRelease is set, ReleaseStock
// fails without reaching the catalog, as a lost compensation does.
type recordingCatalog struct {
	shopv1.CatalogServiceClient

	mu          sync.Mutex
	faults      map[string][][]string
	failRelease bool
}

func (c *recordingCatalog) record(ctx context.Context, method string) {
	md, _ := metadata.FromOutgoingContext(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.faults == nil {
		c.faults = map[string][][]string{}
	}
	c.faults[method] = append(c.faults[method], md.Get(fault.MetadataKey))
}

// calls returns the fault metadata of each call of method.
func (c *recordingCatalog) calls(method string) [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.faults[method]
}

func (c *recordingCatalog) setFailRelease(fail bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failRelease = fail
}

func (c *recordingCatalog) ReserveStock(ctx context.Context, req *shopv1.ReserveStockRequest, opts ...grpc.CallOption) (*shopv1.ReserveStockResponse, error) {
	c.record(ctx, "ReserveStock")
	return c.CatalogServiceClient.ReserveStock(ctx, req, opts...)
}

func (c *recordingCatalog) ReleaseStock(ctx context.Context, req *shopv1.ReleaseStockRequest, opts ...grpc.CallOption) (*shopv1.ReleaseStockResponse, error) {
	c.record(ctx, "ReleaseStock")
	c.mu.Lock()
	fail := c.failRelease
	c.mu.Unlock()
	if fail {
		return nil, status.Error(codes.Unavailable, "connection error: the catalog went away")
	}
	return c.CatalogServiceClient.ReleaseStock(ctx, req, opts...)
}
