package fault

import (
	"context"
	"strings"

	"google.golang.org/grpc/metadata"
)

// NewOutgoingContext forwards s to the services called with ctx.
func NewOutgoingContext(ctx context.Context, s Set) context.Context {
	if len(s) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, MetadataKey, s.String())
}

// FromIncomingContext returns the faults a gRPC call carries. Its values
// are read as one, so that Parse's limits hold however a caller splits
// them. A malformed value is ignored as a whole: only the gateway
// validates what a client sent.
func FromIncomingContext(ctx context.Context) Set {
	vals := metadata.ValueFromIncomingContext(ctx, MetadataKey)
	if len(vals) == 0 {
		return nil
	}
	set, err := Parse(strings.Join(vals, ","))
	if err != nil {
		return nil
	}
	return set
}
