package region

import (
	"context"
	"testing"
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
