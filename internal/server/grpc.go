// Package server holds what every ShopLab service serves the same way: an
// instrumented gRPC server and client, the admin HTTP endpoints (/metrics,
// /livez, /healthz), and graceful start and stop.
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
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// GRPCOption configures NewGRPCServer.
type GRPCOption func(*grpcOptions)

type grpcOptions struct {
	faults              bool
	maxAge, finishCalls time.Duration
}

// Connection ages of NewGRPCServer's default (WithMaxConnectionAge).
const (
	// DefaultMaxConnectionAge is short enough for a scale-up to be
	// used within minutes, long enough for the reconnections to cost
	// nothing that matters.
	DefaultMaxConnectionAge = 5 * time.Minute
	// DefaultMaxConnectionAgeGrace lets the calls on an aged connection
	// finish; ShopLab's calls are unary and take well under a second.
	DefaultMaxConnectionAgeGrace = 30 * time.Second
)

// WithFaults sets whether the server applies the faults calls carry
// (package fault). Without it they are ignored: letting callers make a
// service fail is for a lab that trusts them (SHOPLAB_FAULTS).
func WithFaults(on bool) GRPCOption {
	return func(o *grpcOptions) { o.faults = on }
}

// WithMaxConnectionAge sets how long a client connection may live: the
// server then sends it a GOAWAY and closes it once its calls have finished,
// or after grace. A client dialled with Dial then re-resolves the name it
// dialled, which is how it finds the replicas added since: grpc-go's DNS
// resolver does not poll, it resolves again only when a connection is lost.
func WithMaxConnectionAge(age, grace time.Duration) GRPCOption {
	return func(o *grpcOptions) { o.maxAge, o.finishCalls = age, grace }
}

// NewGRPCServer returns a gRPC server that traces (otelgrpc stats handler),
// counts and times every call into the service's registry, logs each call
// with its trace ID, applies injected faults (package fault) if WithFaults
// turns them on, and turns a panic into codes.Internal instead of a crash.
// register adds the service's API; the health service is added too and
// reports SERVING until ServeGRPC, given it, drains. It closes client
// connections older than DefaultMaxConnectionAge (WithMaxConnectionAge
// says why). It fails if the gRPC server metrics are already in t's
// registry (one server per telemetry).
func NewGRPCServer(t *telemetry.Telemetry, register func(*grpc.Server), opts ...GRPCOption) (*grpc.Server, *health.Server, error) {
	o := grpcOptions{maxAge: DefaultMaxConnectionAge, finishCalls: DefaultMaxConnectionAgeGrace}
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
	measure := metrics.UnaryServerInterceptor(exemplar)
	if !t.Signals.Metrics() {
		measure = func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(ctx, req)
		}
	}
	s := grpc.NewServer(
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionAge: o.maxAge, MaxConnectionAgeGrace: o.finishCalls}),
		grpc.StatsHandler(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(t.TracerProvider),
			otelgrpc.WithPropagators(t.Propagator),
		)),
		grpc.ChainUnaryInterceptor(
			measure,
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
		// slog.Attrs, not alternating keys and values: no value is boxed
		// into an interface, so the line costs no allocations of its own.
		attrs := [4]slog.Attr{
			slog.String("grpc_method", info.FullMethod),
			slog.String("grpc_code", code.String()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		}
		n := 3
		if err != nil {
			attrs[n] = slog.String("error", err.Error())
			n++
		}
		log.LogAttrs(ctx, level, "grpc call handled", attrs[:n]...)
		return resp, err
	}
}
