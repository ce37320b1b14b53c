package fault

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Set
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "catalog:delay=300ms", want: Set{{Service: "catalog", Delay: 300 * time.Millisecond}}},
		{in: "orders:error=unavailable, catalog:delay=1s", want: Set{{Service: "orders", Code: codes.Unavailable}, {Service: "catalog", Delay: time.Second}}},
		{in: "catalog", wantErr: true},
		{in: "billing:delay=1s", wantErr: true},
		{in: "catalog:delay=forever", wantErr: true},
		{in: "catalog:delay=1h", wantErr: true},
		{in: "catalog:error=teapot", wantErr: true},
		{in: "catalog:explode=1", wantErr: true},
		{in: " catalog : delay = 1s ,, ", want: Set{{Service: "catalog", Delay: time.Second}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Parse(%q)[%d] = %+v, want %+v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestApplyAndRoundTrip(t *testing.T) {
	set, err := Parse("orders:error=unavailable,catalog:delay=20ms")
	if err != nil {
		t.Fatal(err)
	}
	// Forwarded through metadata, the set arrives intact.
	out := NewOutgoingContext(context.Background(), set)
	md, _ := metadata.FromOutgoingContext(out)
	in := metadata.NewIncomingContext(context.Background(), md)
	got := FromIncomingContext(in)
	if got.String() != set.String() {
		t.Fatalf("round trip = %q, want %q", got, set)
	}
	if err := got.Apply(in, "orders"); status.Code(err) != codes.Unavailable {
		t.Fatalf("Apply(orders) = %v, want Unavailable", err)
	}
	start := time.Now()
	if err := got.Apply(in, "catalog"); err != nil {
		t.Fatalf("Apply(catalog) = %v", err)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("Apply(catalog) returned before its delay")
	}
	if err := got.Apply(in, "auth"); err != nil {
		t.Fatalf("Apply(auth) = %v, want nil", err)
	}
}

func TestApplyStopsWithContext(t *testing.T) {
	set := Set{{Service: "catalog", Delay: MaxDelay}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := set.Apply(ctx, "catalog"); status.Code(err) != codes.Canceled {
		t.Fatalf("Apply on cancelled ctx = %v, want Canceled", err)
	}
}
