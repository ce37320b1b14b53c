package server

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// TestGRPCServerFaultSwitch: a service applies the faults a call carries
// only when WithFaults turns them on; by default, and with faults off, a
// call asking catalog to fail or to wait is answered as if it had not.
func TestGRPCServerFaultSwitch(t *testing.T) {
	tests := []struct {
		name  string
		opts  []GRPCOption
		fault string
		want  codes.Code
	}{
		{name: "on", opts: []GRPCOption{WithFaults(true)}, fault: "catalog:error=unavailable", want: codes.Unavailable},
		{name: "off", opts: []GRPCOption{WithFaults(false)}, fault: "catalog:error=unavailable", want: codes.OK},
		{name: "off by default", fault: "catalog:error=unavailable", want: codes.OK},
		// Applied, the delay would outlast the call's deadline.
		{name: "off ignores delay", opts: []GRPCOption{WithFaults(false)}, fault: "catalog:delay=30s", want: codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := serveCatalog(t, tt.opts...)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			ctx = metadata.AppendToOutgoingContext(ctx, fault.MetadataKey, tt.fault)
			resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
			if code := status.Code(err); code != tt.want {
				t.Fatalf("Check with %s = %v, want %s", tt.fault, err, tt.want)
			}
			if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("status %s, want SERVING", resp.GetStatus())
			}
		})
	}
}

// serveCatalog serves a gRPC server named catalog with only the health
// service, and returns a health client for it.
func serveCatalog(t *testing.T, opts ...GRPCOption) healthpb.HealthClient {
	t.Helper()
	tel := newTelemetry(t, telemetry.Config{Service: "catalog"})
	return dialHealth(t, tel, serveHealth(t, tel, opts...))
}
