package auth

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// newTestService builds a service, filling what o leaves empty: a SQLite
// database in t.TempDir(), fresh telemetry, a publisher that accepts everything and
// the cheapest bcrypt cost.
func newTestService(t *testing.T, o Options) *Service {
	t.Helper()
	if o.Database.IsZero() {
		o.Database = testkit.SQLiteSource(t)
	}
	if o.Telemetry == nil {
		o.Telemetry = newTelemetry(t)
	}
	if o.Publisher == nil {
		o.Publisher = acceptingPublisher{}
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.MinCost
	}
	s, err := New(t.Context(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// Close is idempotent enough for tests that close early to simulate a
	// restart.
	t.Cleanup(func() { s.Close() })
	return s
}

func newTelemetry(t *testing.T, processors ...sdktrace.SpanProcessor) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "auth", SpanProcessors: processors})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel
}

// serve runs s behind a real gRPC server on a loopback port and returns a
// client for it.
func serve(t *testing.T, s *Service) shopv1.AuthServiceClient {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs, _, err := server.NewGRPCServer(s.tel, s.Register)
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(l)
	t.Cleanup(gs.Stop)
	metrics, err := server.NewClientMetrics(s.tel)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := server.Dial(s.tel, metrics, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return shopv1.NewAuthServiceClient(conn)
}

// runInBackground runs s.Run until the test ends.
func runInBackground(t *testing.T, s *Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// reasonOf returns the ErrorInfo reason carried by a gRPC error, or "".
func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.Reason
		}
	}
	return ""
}

// clock is a settable time source, safe for the gRPC handler goroutines.
type clock struct{ ns atomic.Int64 }

func newClock(at time.Time) *clock {
	c := &clock{}
	c.ns.Store(at.UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// acceptingPublisher pretends every publish succeeded.
type acceptingPublisher struct{}

func (acceptingPublisher) Publish(context.Context, ...kafka.Message) error { return nil }

// failingPublisher is a broker that is down.
type failingPublisher struct{ calls atomic.Int64 }

func (p *failingPublisher) Publish(context.Context, ...kafka.Message) error {
	p.calls.Add(1)
	return errors.New("broker unreachable")
}

// compareCosts returns the bcrypt cost of every "bcrypt compare" span in
// spans, in order: the hashes a login compared against.
func compareCosts(spans *tracetest.InMemoryExporter) []int {
	var costs []int
	for _, sp := range spans.GetSpans() {
		if sp.Name != "bcrypt compare" {
			continue
		}
		for _, a := range sp.Attributes {
			if a.Key == "bcrypt.cost" {
				costs = append(costs, int(a.Value.AsInt64()))
			}
		}
	}
	return costs
}
