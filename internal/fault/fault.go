// Package fault lets a request ask a service to misbehave: to wait, or to
// fail with a given gRPC code. The load generator's scenarios use it so
// that an injected cause shows up where a real one would, in the
// service's own spans, logs and metrics.
//
// The gateway reads the X-Shoplab-Fault header and forwards it as gRPC
// metadata; every service applies the items naming it. Format:
//
//	catalog:delay=300ms,orders:error=unavailable
//
// A fault lets any client slow or break the shop, so it is a lab feature:
// the gateway and the services only honour it when SHOPLAB_FAULTS is on,
// and Parse bounds what one request may ask for (MaxLen, MaxItems,
// MaxDelay).
package fault

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Header is the HTTP request header read by the gateway.
const Header = "X-Shoplab-Fault"

// MetadataKey carries the same value in gRPC metadata.
const MetadataKey = "x-shoplab-fault"

// Limits on what one request may ask for. They keep a fault a lesson's
// tool rather than a way to hold connections open or to flood the logs,
// which record the set in every service it passes.
const (
	// MaxDelay bounds the sum of a request's delays, whatever services
	// they name: the delays of one request add up along its call chain.
	MaxDelay = 30 * time.Second
	// MaxItems bounds the items of a request.
	MaxItems = 8
	// MaxLen bounds the value in bytes, every header line included.
	MaxLen = 1024
)

// Fault is one injected misbehaviour of one service.
type Fault struct {
	Service string
	// Delay is waited before the call is handled.
	Delay time.Duration
	// Code, when not OK, fails the call with that code.
	Code codes.Code
}

// Set is every fault a request asks for.
type Set []Fault

var codeByName = map[string]codes.Code{
	"cancelled": codes.Canceled, "unknown": codes.Unknown, "invalid_argument": codes.InvalidArgument,
	"deadline_exceeded": codes.DeadlineExceeded, "not_found": codes.NotFound, "already_exists": codes.AlreadyExists,
	"permission_denied": codes.PermissionDenied, "resource_exhausted": codes.ResourceExhausted,
	"failed_precondition": codes.FailedPrecondition, "aborted": codes.Aborted, "out_of_range": codes.OutOfRange,
	"unimplemented": codes.Unimplemented, "internal": codes.Internal, "unavailable": codes.Unavailable,
	"data_loss": codes.DataLoss, "unauthenticated": codes.Unauthenticated,
}

func codeName(c codes.Code) string {
	for name, code := range codeByName {
		if code == c {
			return name
		}
	}
	return ""
}

// String renders the set in header format. Items without effect (a zero
// delay) are left out.
func (s Set) String() string {
	parts := make([]string, 0, len(s))
	for _, f := range s {
		if f.Delay > 0 {
			parts = append(parts, f.Service+":delay="+f.Delay.String())
		}
		if name := codeName(f.Code); f.Code != codes.OK && name != "" {
			parts = append(parts, f.Service+":error="+name)
		}
	}
	return strings.Join(parts, ",")
}

// Apply performs the faults in s that name service: it waits out the
// delays (or until ctx ends) and returns the first injected error.
func (s Set) Apply(ctx context.Context, service string) error {
	for _, f := range s {
		if f.Service != service {
			continue
		}
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return status.FromContextError(ctx.Err()).Err()
			case <-t.C:
			}
		}
		if f.Code != codes.OK {
			return status.Errorf(f.Code, "fault injected into %s by %s header", service, Header)
		}
	}
	return nil
}
