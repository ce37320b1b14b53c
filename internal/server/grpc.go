// Package server holds what every ShopLab service serves the same way: an
// instrumented gRPC server and client, the admin HTTP endpoints (/metrics,
// /healthz), and graceful start and stop.
package server

import (
	"context"
	"log/slog"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// GRPCOption configures NewGRPCServer.
type GRPCOption func(*grpcOptions)

type grpcOptions struct {
	faults bool
}

// WithFaults sets whether the server applies the faults calls carry
// (package fault). Without it they are ignored: letting callers make a
// service fail is for a lab that trusts them (SHOPLAB_FAULTS).
func WithFaults(on bool) GRPCOption {
	return func(o *grpcOptions) { o.faults = on }
}

// NewGRPCServer returns a gRPC server that traces (otelgrpc stats handler),
// counts and times every call into the service's registry, logs each call
// with its trace ID, applies injected faults (package fault) if WithFaults
// turns them on, and turns a panic into codes.Internal instead of a crash.
// register adds the service's API; the health service is added too and
// reports SERVING until ServeGRPC, given it, drains. It fails if the gRPC
// server metrics are already in t's registry (one server per telemetry).
func NewGRPCServer(t *telemetry.Telemetry, register func(*grpc.Server), opts ...GRPCOption) (*grpc.Server, *health.Server, error) {
	var o grpcOptions
	for _, opt := range opts {
		opt(&o)
	}
	metrics := grpcprom.NewServerMetrics(
		grpcprom.WithServerHandlingTimeHistogram(grpcprom.WithHistogramBuckets(telemetry.LatencyBuckets())),
	)
	if err := telemetry.Register(t.Registry, metrics); err != nil {
		return nil, nil, err
	}
	exemplar := grpcprom.WithExemplarFromContext(telemetry.ExemplarLabels)
	s := grpc.NewServer(
		grpc.StatsHandler(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(t.TracerProvider),
			otelgrpc.WithPropagators(t.Propagator),
		)),
		grpc.ChainUnaryInterceptor(
			metrics.UnaryServerInterceptor(exemplar),
			logCalls(t.Logger),
			fault.UnaryServerInterceptor(t.Service, t.Logger, o.faults),
			recovery.UnaryServerInterceptor(recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
				t.Logger.ErrorContext(ctx, "panic in gRPC handler", "panic", p)
				return status.Error(codes.Internal, "internal error")
			})),
		),
	)
	register(s)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	// Every method's series exist at zero before its first call, so that
	// rate() and dashboards show 0 rather than "no data".
	metrics.InitializeMetrics(s)
	return s, hs, nil
}

func logCalls(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		code := status.Code(err)
		level := slog.LevelInfo
		if code == codes.Internal || code == codes.Unknown || code == codes.DataLoss {
			level = slog.LevelError
		}
		attrs := []any{"grpc_method", info.FullMethod, "grpc_code", code.String(), "duration_ms", float64(time.Since(start).Microseconds()) / 1000}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		log.Log(ctx, level, "grpc call handled", attrs...)
		return resp, err
	}
}

// Dial connects to a ShopLab gRPC service. The connection traces its calls
// and records client metrics into t's registry (registered once per
// telemetry by NewClientMetrics).
func Dial(t *telemetry.Telemetry, metrics *grpcprom.ClientMetrics, addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(
			otelgrpc.WithTracerProvider(t.TracerProvider),
			otelgrpc.WithPropagators(t.Propagator),
		)),
		grpc.WithChainUnaryInterceptor(metrics.UnaryClientInterceptor(grpcprom.WithExemplarFromContext(telemetry.ExemplarLabels))),
	)
}

// NewClientMetrics registers the gRPC client metrics in t's registry. Call
// it once per service, then pass it to every Dial: a second call on the
// same telemetry fails.
func NewClientMetrics(t *telemetry.Telemetry) (*grpcprom.ClientMetrics, error) {
	m := grpcprom.NewClientMetrics(
		grpcprom.WithClientHandlingTimeHistogram(grpcprom.WithHistogramBuckets(telemetry.LatencyBuckets())),
	)
	if err := telemetry.Register(t.Registry, m); err != nil {
		return nil, err
	}
	return m, nil
}
