package fault

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// UnaryServerInterceptor applies the faults that name service before the
// call is handled, and forwards them to the calls the handler makes, so a
// fault for catalog reaches catalog through orders.
//
// When enabled is false (SHOPLAB_FAULTS off) the faults a call carries are
// neither applied nor forwarded: a caller that reaches the service
// directly must not be able to make it fail either.
func UnaryServerInterceptor(service string, log *slog.Logger, enabled bool) grpc.UnaryServerInterceptor {
	if !enabled {
		return ignore(log)
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		set := FromIncomingContext(ctx)
		if len(set) == 0 {
			return handler(ctx, req)
		}
		trace.SpanFromContext(ctx).SetAttributes(attribute.String("shoplab.fault", set.String()))
		log.InfoContext(ctx, "fault injection requested", "fault", set.String(), "grpc_method", info.FullMethod)
		if err := set.Apply(ctx, service); err != nil {
			log.WarnContext(ctx, "fault injected", "fault", set.String(), "error", err)
			return nil, err
		}
		return handler(NewOutgoingContext(ctx, set), req)
	}
}

// ignore notes, at debug level, calls that carry faults this service will
// not apply: a gateway with faults on in front of a service with faults
// off is a configuration mistake worth finding, but the value itself is
// the caller's and is not logged.
func ignore(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if log.Enabled(ctx, slog.LevelDebug) && len(metadata.ValueFromIncomingContext(ctx, MetadataKey)) > 0 {
			log.DebugContext(ctx, "fault metadata ignored: faults are off (SHOPLAB_FAULTS)", "grpc_method", info.FullMethod)
		}
		return handler(ctx, req)
	}
}
