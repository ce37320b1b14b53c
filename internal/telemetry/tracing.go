package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/shoplab/shoplab/internal/region"
)

// RegionAttribute is the span attribute that carries the client's region.
const RegionAttribute = "shoplab.region"

// Propagator is the W3C trace context plus baggage (which carries the
// region). It holds no state, so every service may share it.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// newResource is the resource of one service instance's spans and logs:
// the service, and the attributes that tell the instance apart from the
// other replicas (newIdentity).
func newResource(service string, instance ...attribute.KeyValue) *resource.Resource {
	return resource.NewWithAttributes(semconv.SchemaURL, append([]attribute.KeyValue{
		semconv.ServiceName(service),
		semconv.ServiceNamespace("shopease"),
	}, instance...)...)
}

// newTracerProvider builds the service's own tracer provider. Without an
// endpoint it still records spans, so trace IDs reach the logs, but
// exports nothing and so logs no export errors.
func newTracerProvider(ctx context.Context, res *resource.Resource, o OTLP, extra ...sdktrace.SpanProcessor) (*sdktrace.TracerProvider, error) {
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithSpanProcessor(regionProcessor{}),
	}
	if u := o.tracesURL(); u != "" {
		exp, err := newSpanExporter(ctx, o.Protocol, u)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	for _, p := range extra {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

func newSpanExporter(ctx context.Context, protocol, endpointURL string) (sdktrace.SpanExporter, error) {
	var (
		exp sdktrace.SpanExporter
		err error
	)
	if protocol == ProtocolGRPC {
		exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(endpointURL))
	} else {
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpointURL))
	}
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter for %s: %w", endpointURL, err)
	}
	return exp, nil
}

// regionProcessor copies the region from the parent context's baggage onto
// every span, so that a trace can be searched by region in Tempo.
type regionProcessor struct{}

func (regionProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if r := region.FromContext(parent); r != "" {
		s.SetAttributes(attribute.String(RegionAttribute, r))
	}
}
func (regionProcessor) OnEnd(sdktrace.ReadOnlySpan)      {}
func (regionProcessor) Shutdown(context.Context) error   { return nil }
func (regionProcessor) ForceFlush(context.Context) error { return nil }
