package fault

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shoplab/shoplab/internal/topology"
)

// services are those a fault may name. notification is not one of them: it
// only consumes Kafka events, and a request's fault travels as gRPC
// metadata, which ends at orders. Carrying it further would mean storing a
// client's value in the outbox and having a shared consumer stall or fail
// for it, which would hit other requests' events too.
var services = []string{topology.Gateway, topology.Auth, topology.Catalog, topology.Orders}

// Parse reads a header value. The empty string is the empty Set. A value
// longer than MaxLen, with more than MaxItems items or with delays adding
// up to more than MaxDelay is refused as a whole.
func Parse(raw string) (Set, error) {
	if len(raw) > MaxLen {
		return nil, fmt.Errorf("fault value is %d bytes, more than the %d allowed", len(raw), MaxLen)
	}
	var set Set
	var total time.Duration
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if len(set) == MaxItems {
			return nil, fmt.Errorf("more than %d fault items: ask for fewer", MaxItems)
		}
		f, err := parseItem(item)
		if err != nil {
			return nil, err
		}
		total += f.Delay
		set = append(set, f)
	}
	if total > MaxDelay {
		return nil, fmt.Errorf("fault delays add up to %s, more than the %s one request may be held", total, MaxDelay)
	}
	return set, nil
}

func parseItem(item string) (Fault, error) {
	svc, spec, ok := strings.Cut(item, ":")
	if !ok {
		return Fault{}, fmt.Errorf("fault %q: want service:delay=DURATION or service:error=CODE", item)
	}
	svc = strings.TrimSpace(svc)
	if svc == topology.Notification {
		return Fault{}, fmt.Errorf("fault %q: notification cannot be faulted by a request: it only consumes Kafka events, which do not carry faults (want one of %s)", item, strings.Join(services, ", "))
	}
	if !slices.Contains(services, svc) {
		return Fault{}, fmt.Errorf("fault %q: unknown service %q (want one of %s)", item, svc, strings.Join(services, ", "))
	}
	kind, value, ok := strings.Cut(spec, "=")
	if !ok {
		return Fault{}, fmt.Errorf("fault %q: want delay=DURATION or error=CODE", item)
	}
	f := Fault{Service: svc}
	switch strings.TrimSpace(kind) {
	case "delay":
		d, err := time.ParseDuration(strings.TrimSpace(value))
		if err != nil || d < 0 || d > MaxDelay {
			return Fault{}, fmt.Errorf("fault %q: delay must be a duration between 0 and %s", item, MaxDelay)
		}
		f.Delay = d
	case "error":
		c, ok := codeByName[strings.ToLower(strings.TrimSpace(value))]
		if !ok {
			return Fault{}, fmt.Errorf("fault %q: unknown error code %q (want a gRPC code name such as unavailable)", item, value)
		}
		f.Code = c
	default:
		return Fault{}, fmt.Errorf("fault %q: unknown kind %q (want delay or error)", item, kind)
	}
	return f, nil
}
