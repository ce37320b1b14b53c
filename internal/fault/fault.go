// Package fault lets a request ask a service to misbehave: to wait, or to
// fail with a given gRPC code. The load generator's scenarios use it so
// that an injected cause shows up where a real one would, in the
// service's own spans, logs and metrics.
//
// The gateway reads the X-Shoplab-Fault header and forwards it as gRPC
// metadata; every service applies the items naming it. Format:
//
//	catalog:delay=300ms,orders:error=unavailable
package fault

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Header is the HTTP request header read by the gateway.
const Header = "X-Shoplab-Fault"

// MetadataKey carries the same value in gRPC metadata.
const MetadataKey = "x-shoplab-fault"

// MaxDelay bounds an injected delay, so that a typo cannot hang a service.
const MaxDelay = 30 * time.Second

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

// Services that may be named in a fault.
var services = []string{"gateway", "auth", "catalog", "orders", "notification"}

// Parse reads a header value. The empty string is the empty Set.
func Parse(raw string) (Set, error) {
	var set Set
	for _, item := range strings.Split(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		svc, spec, ok := strings.Cut(item, ":")
		if !ok {
			return nil, fmt.Errorf("fault %q: want service:delay=DURATION or service:error=CODE", item)
		}
		svc = strings.TrimSpace(svc)
		if !knownService(svc) {
			return nil, fmt.Errorf("fault %q: unknown service %q (want one of %s)", item, svc, strings.Join(services, ", "))
		}
		kind, value, ok := strings.Cut(spec, "=")
		if !ok {
			return nil, fmt.Errorf("fault %q: want delay=DURATION or error=CODE", item)
		}
		f := Fault{Service: svc}
		switch strings.TrimSpace(kind) {
		case "delay":
			d, err := time.ParseDuration(strings.TrimSpace(value))
			if err != nil || d < 0 || d > MaxDelay {
				return nil, fmt.Errorf("fault %q: delay must be a duration between 0 and %s", item, MaxDelay)
			}
			f.Delay = d
		case "error":
			c, ok := codeByName[strings.ToLower(strings.TrimSpace(value))]
			if !ok {
				return nil, fmt.Errorf("fault %q: unknown error code %q (want a gRPC code name such as unavailable)", item, value)
			}
			f.Code = c
		default:
			return nil, fmt.Errorf("fault %q: unknown kind %q (want delay or error)", item, kind)
		}
		set = append(set, f)
	}
	return set, nil
}

func knownService(s string) bool {
	for _, k := range services {
		if s == k {
			return true
		}
	}
	return false
}

// String renders the set in header format.
func (s Set) String() string {
	parts := make([]string, 0, len(s))
	for _, f := range s {
		if f.Delay > 0 {
			parts = append(parts, f.Service+":delay="+f.Delay.String())
		}
		if f.Code != codes.OK {
			for name, c := range codeByName {
				if c == f.Code {
					parts = append(parts, f.Service+":error="+name)
				}
			}
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

// NewOutgoingContext forwards s to the services called with ctx.
func NewOutgoingContext(ctx context.Context, s Set) context.Context {
	if len(s) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, MetadataKey, s.String())
}

// FromIncomingContext returns the faults a gRPC call carries. A malformed
// value is ignored: only the gateway validates what a client sent.
func FromIncomingContext(ctx context.Context) Set {
	md, _ := metadata.FromIncomingContext(ctx)
	var set Set
	for _, v := range md.Get(MetadataKey) {
		s, err := Parse(v)
		if err == nil {
			set = append(set, s...)
		}
	}
	return set
}
