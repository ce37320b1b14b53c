package fault

import (
	"strings"
	"testing"
)

// TestParseLimits: what one request may ask for is bounded as a whole,
// not item by item.
func TestParseLimits(t *testing.T) {
	items := func(n int, item string) string {
		return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
	}
	tests := []struct {
		name    string
		in      string
		wantErr string // "" accepts
	}{
		{name: "one delay at the cap", in: "catalog:delay=30s"},
		{name: "delays summing to the cap", in: "gateway:delay=10s,catalog:delay=20s"},
		{name: "two delays of one service past the cap", in: "gateway:delay=20s,gateway:delay=20s", wantErr: "add up to 40s"},
		{name: "delays of two services past the cap", in: "gateway:delay=15s,orders:delay=15s,catalog:delay=1ns", wantErr: "add up to 30.000000001s"},
		{name: "items at the cap", in: items(MaxItems, "catalog:delay=1ns")},
		{name: "one item too many", in: items(MaxItems+1, "catalog:delay=1ns"), wantErr: "more than 8 fault items"},
		{name: "many tiny delays", in: items(40000, "catalog:delay=1ns"), wantErr: "more than the 1024 allowed"},
		{name: "errors count as items", in: items(MaxItems+1, "orders:error=internal"), wantErr: "more than 8 fault items"},
		{name: "empty items are not counted", in: items(MaxItems, "catalog:delay=1ms") + strings.Repeat(",", 100)},
		{name: "value at the length cap", in: "catalog:delay=1s" + strings.Repeat(" ", MaxLen-len("catalog:delay=1s"))},
		{name: "value past the length cap", in: "catalog:delay=1s" + strings.Repeat(" ", MaxLen-len("catalog:delay=1s")+1), wantErr: "1025 bytes"},
		{name: "notification is refused", in: "notification:delay=1s", wantErr: "notification cannot be faulted by a request"},
		{name: "notification error is refused", in: "catalog:delay=1s,notification:error=unavailable", wantErr: "only consumes Kafka events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Parse(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse = %v, want it accepted", err)
				}
				if len(set) == 0 {
					t.Fatal("Parse accepted an empty set")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse = %v, %v; want an error containing %q", set, err, tt.wantErr)
			}
		})
	}
}
