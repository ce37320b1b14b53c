package server

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// newTelemetry returns a service's telemetry, shut down when the test ends.
func newTelemetry(t *testing.T, cfg telemetry.Config) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel
}

// serveHealth serves, as NewGRPCServer builds it with opts, a gRPC server
// with only the health service on a port of its own until the test ends,
// and returns its address.
func serveHealth(t *testing.T, tel *telemetry.Telemetry, opts ...GRPCOption) string {
	t.Helper()
	s, _, err := NewGRPCServer(tel, func(*grpc.Server) {}, opts...)
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
	})
	return lis.Addr().String()
}

// dialHealth dials target with Dial and returns a health client; the
// connection closes when the test ends.
func dialHealth(t *testing.T, tel *telemetry.Telemetry, target string, opts ...grpc.DialOption) healthpb.HealthClient {
	t.Helper()
	metrics, err := NewClientMetrics(tel)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := Dial(tel, metrics, target, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return healthpb.NewHealthClient(conn)
}
