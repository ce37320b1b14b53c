package region

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/baggage"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"us-east", "us-east"},
		{" EU-West ", "eu-west"},
		{"", Unknown},
		{"mars-north", Unknown},
		{"us-east; drop table", Unknown},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContextRoundTrip(t *testing.T) {
	ctx := WithRegion(context.Background(), "ap-south")
	if got := FromContext(ctx); got != "ap-south" {
		t.Fatalf("FromContext = %q, want ap-south", got)
	}
	if got := FromContext(context.Background()); got != "" {
		t.Fatalf("FromContext(empty) = %q, want empty", got)
	}
}

func TestKeepOnly(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the baggage left, as a header value
	}{
		{name: "others dropped", in: "role=admin,shoplab.region=eu-west,tenant=x", want: "shoplab.region=eu-west"},
		{name: "region normalised", in: "shoplab.region=EU-West", want: "shoplab.region=eu-west"},
		{name: "unknown region", in: "shoplab.region=mars", want: "shoplab.region=unknown"},
		{name: "properties dropped", in: "shoplab.region=us-east;admin=1", want: "shoplab.region=us-east"},
		{name: "no region", in: "role=admin,region=eu-west", want: ""},
		{name: "none", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := baggage.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			ctx := KeepOnly(baggage.ContextWithBaggage(context.Background(), b))
			if got := baggage.FromContext(ctx).String(); got != tt.want {
				t.Errorf("KeepOnly(%q) left %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
