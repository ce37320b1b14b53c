package gateway

import (
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/fault"
)

// faultService is the name faults for the gateway itself use.
const faultService = "gateway"

// injectFaults reads X-Shoplab-Fault: it performs the gateway's own items
// and forwards the whole set to the backends as gRPC metadata. It is the
// only place the header is validated, so a typo is a 400 here rather than
// a silently ignored fault further in. With faults off the header is
// refused rather than ignored, for the same reason: a scenario that asks
// for a fault must not run as if it had one.
func injectFaults(log *slog.Logger, enabled bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw := strings.Join(r.Header.Values(fault.Header), ",")
			if !enabled {
				if strings.Trim(raw, " \t,") != "" {
					fail(log, w, r, apiError{Status: http.StatusBadRequest, Code: CodeFaultsDisabled, Message: fault.Header + ": fault injection is off on this shop (SHOPLAB_FAULTS)"})
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			set, err := fault.Parse(raw)
			if err != nil {
				fail(log, w, r, apiError{Status: http.StatusBadRequest, Code: CodeInvalidFault, Message: fault.Header + ": " + err.Error()})
				return
			}
			if len(set) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			ctx := r.Context()
			trace.SpanFromContext(ctx).SetAttributes(attribute.String("shoplab.fault", set.String()))
			log.InfoContext(ctx, "fault injection requested", "fault", set.String())
			if err := set.Apply(ctx, faultService); err != nil {
				log.WarnContext(ctx, "fault injected", "fault", set.String(), "error", err)
				failGRPC(log, w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(fault.NewOutgoingContext(ctx, set)))
		})
	}
}
