package server

import (
	"context"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// balanceCalls is the service config of every connection Dial opens:
// round_robin keeps a connection to each address the name resolves to and
// sends each call to the next, where grpc-go's default, pick_first, sends
// them all over one. Behind a Kubernetes headless Service the name
// resolves to every ready pod, so the calls spread over all of them; with
// one address (the lab) the two policies behave alike.
const balanceCalls = `{"loadBalancingConfig":[{"round_robin":{}}]}`

// Dial connects to a ShopLab gRPC service at addr: host:port, resolved by
// DNS (every address the host has is used, see balanceCalls), or a target
// with its resolver's scheme ("dns:///auth:8201"). A host:port needs no
// "dns:///": grpc.NewClient gives a target without a registered scheme
// the dns one, unless a program changes the default process-wide with
// resolver.SetDefaultScheme, which ShopLab does not. The connection traces
// its calls and records client metrics into t's registry (registered once
// per telemetry by NewClientMetrics). opts are added to ShopLab's own, e.g.
// grpc.WithResolvers in a test.
func Dial(t *telemetry.Telemetry, metrics *grpcprom.ClientMetrics, addr string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	measure := metrics.UnaryClientInterceptor(grpcprom.WithExemplarFromContext(telemetry.ExemplarLabels))
	if !t.Signals.Metrics() {
		measure = func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
	}
	return grpc.NewClient(addr, append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(balanceCalls),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(
			otelgrpc.WithTracerProvider(t.TracerProvider),
			otelgrpc.WithPropagators(t.Propagator),
		)),
		grpc.WithChainUnaryInterceptor(measure),
	}, opts...)...)
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
