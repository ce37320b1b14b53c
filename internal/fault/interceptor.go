package fault

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// UnaryServerInterceptor applies the faults that name service before the
// call is handled, and forwards them to the calls the handler makes, so a
// fault for catalog reaches catalog through orders.
func UnaryServerInterceptor(service string, log *slog.Logger) grpc.UnaryServerInterceptor {
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
