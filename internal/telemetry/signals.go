package telemetry

import (
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/shoplab/shoplab/internal/config"
)

// Signals says which signals a service produces (SHOPLAB_SIGNALS); the
// zero value is all of them. Package config documents each switch.
type Signals = config.Signals

// newSilentTracerProvider is the tracer provider of a service whose traces
// are off: it samples nothing, so every span is a non-recording one that
// is never processed, exported or written to a span file. It stays an SDK
// provider, not the API's no-op one, because Telemetry exposes the SDK
// type; the difference is that a span context (trace and span IDs) is
// still made for each span, unsampled.
func newSilentTracerProvider(res *resource.Resource) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.NeverSample()),
	)
}
