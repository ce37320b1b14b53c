package catalog

import (
	"context"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// fixture is a catalog served by the real instrumented gRPC server on a
// loopback port, so that tests see the status codes the gateway will see.
type fixture struct {
	tel    *telemetry.Telemetry
	svc    *Service
	client shopv1.CatalogServiceClient
}

func newFixture(t *testing.T, src database.Source) *fixture {
	t.Helper()
	return newFixtureWith(t, fixtureOptions{src: src})
}

// fixtureOptions vary the fixture.
type fixtureOptions struct {
	// src is the database; zero is a fresh SQLite one.
	src database.Source
	// incidents are the service's lab incidents.
	incidents *incident.Set
	// spans, if set, records the service's spans.
	spans sdktrace.SpanProcessor
}

func newFixtureWith(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	src := o.src
	if src.IsZero() {
		src = testkit.SQLiteSource(t)
	}
	ctx := context.Background()
	cfg := telemetry.Config{Service: "catalog"}
	if o.spans != nil {
		cfg.SpanProcessors = []sdktrace.SpanProcessor{o.spans}
	}
	tel, err := telemetry.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(ctx, Options{Database: src, Telemetry: tel, Incidents: o.incidents})
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := server.NewGRPCServer(tel, svc.Register)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(l)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		svc.Close()
		tel.Shutdown(context.Background())
	})
	return &fixture{tel: tel, svc: svc, client: shopv1.NewCatalogServiceClient(conn)}
}

func (f *fixture) stock(t *testing.T, id int64) int64 {
	t.Helper()
	p, err := f.client.GetProduct(context.Background(), &shopv1.GetProductRequest{Id: id})
	if err != nil {
		t.Fatalf("GetProduct(%d): %v", id, err)
	}
	return p.GetStock()
}

func (f *fixture) reserve(orderID string, lines ...*shopv1.StockLine) (*shopv1.ReserveStockResponse, error) {
	return f.client.ReserveStock(context.Background(), &shopv1.ReserveStockRequest{OrderId: orderID, Lines: lines})
}

func line(productID, quantity int64) *shopv1.StockLine {
	return &shopv1.StockLine{ProductId: productID, Quantity: quantity}
}

// reasonOf returns the ErrorInfo reason carried by err, or "".
func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// seedStock is the seeded stock of product id.
func seedStock(t *testing.T, id int64) int64 {
	t.Helper()
	for _, p := range seedProducts() {
		if p.ID == id {
			return p.Stock
		}
	}
	t.Fatalf("product %d is not seeded", id)
	return 0
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
