// Package region normalises the client's region and carries it with a
// request as W3C baggage, so that every hop (gRPC, Kafka) can label its
// spans and logs with it.
package region

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/baggage"
)

// Unknown is the region of a request whose X-Region is missing or not one
// of All.
const Unknown = "unknown"

// Header is the request header the gateway reads the region from.
const Header = "X-Region"

// baggageKey is the baggage member that carries the region between services.
const baggageKey = "shoplab.region"

// All is the fixed set of regions. Keeping it fixed keeps the region metric
// label bounded.
var all = []string{"us-east", "us-west", "eu-west", "ap-south", "sa-east"}

// All returns the known regions, in a stable order.
func All() []string { return append([]string(nil), all...) }

// Normalize maps a raw header value onto the fixed set; anything else is
// Unknown.
func Normalize(raw string) string {
	r := strings.ToLower(strings.TrimSpace(raw))
	for _, known := range all {
		if r == known {
			return known
		}
	}
	return Unknown
}

// WithRegion returns ctx whose baggage carries region r.
func WithRegion(ctx context.Context, r string) context.Context {
	m, err := baggage.NewMemberRaw(baggageKey, r)
	if err != nil {
		return ctx
	}
	b, err := baggage.FromContext(ctx).SetMember(m)
	if err != nil {
		return ctx
	}
	return baggage.ContextWithBaggage(ctx, b)
}

// FromContext returns the region carried by ctx, or "" when there is none.
// A value that arrived from outside is normalised again: baggage crosses
// process boundaries and must not widen the label set.
func FromContext(ctx context.Context) string {
	v := baggage.FromContext(ctx).Member(baggageKey).Value()
	if v == "" {
		return ""
	}
	return Normalize(v)
}

// KeepOnly returns ctx whose baggage holds nothing but the region member,
// normalised. Baggage that comes from outside the shop must be cut down to
// it: every member travels to every service and into Kafka headers, and a
// client could otherwise plant, say, role=admin there.
func KeepOnly(ctx context.Context) context.Context {
	v := baggage.FromContext(ctx).Member(baggageKey).Value()
	ctx = baggage.ContextWithoutBaggage(ctx)
	if v == "" {
		return ctx
	}
	return WithRegion(ctx, Normalize(v))
}
