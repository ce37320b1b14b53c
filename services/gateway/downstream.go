package gateway

import (
	"context"
	"time"

	"github.com/shoplab/shoplab/internal/fault"
)

// downstreamTimeout bounds every gRPC call. It is longer than the longest
// injected delay, so that a fault scenario shows the delay itself rather
// than the gateway giving up first; the client's own cancellation still
// ends the call sooner.
const downstreamTimeout = fault.MaxDelay + 5*time.Second

// callContext is the context for one downstream call made for a request.
func callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, downstreamTimeout)
}
