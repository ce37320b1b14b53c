package fault

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// TestInterceptorSwitch: with faults off a call's fault metadata is
// neither applied nor forwarded. The context is already cancelled, so a
// delay that were applied would end the call with Canceled at once
// instead of taking its time.
func TestInterceptorSwitch(t *testing.T) {
	tests := []struct {
		name       string
		enabled    bool
		value      []string
		wantCode   codes.Code
		wantCalled bool
		wantFwd    string
	}{
		{name: "on: error applied", enabled: true, value: []string{"catalog:error=unavailable"}, wantCode: codes.Unavailable},
		{name: "on: delay applied", enabled: true, value: []string{"catalog:delay=30s"}, wantCode: codes.Canceled},
		{name: "on: other service forwarded", enabled: true, value: []string{"orders:error=internal"}, wantCalled: true, wantFwd: "orders:error=internal"},
		{name: "on: values over the limits together ignored", enabled: true, value: []string{"catalog:delay=20s", "catalog:delay=20s"}, wantCalled: true},
		{name: "off: error ignored", value: []string{"catalog:error=unavailable"}, wantCalled: true},
		{name: "off: delay ignored", value: []string{"catalog:delay=30s"}, wantCalled: true},
		{name: "off: nothing forwarded", value: []string{"orders:error=internal"}, wantCalled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			md := metadata.MD{}
			md.Append(MetadataKey, tt.value...)
			ctx, cancel := context.WithCancel(metadata.NewIncomingContext(context.Background(), md))
			cancel()
			called := false
			var fwd []string
			handler := func(ctx context.Context, req any) (any, error) {
				called = true
				out, _ := metadata.FromOutgoingContext(ctx)
				fwd = out.Get(MetadataKey)
				return "ok", nil
			}
			icpt := UnaryServerInterceptor("catalog", log, tt.enabled)
			_, err := icpt(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/shop.v1.CatalogService/ListProducts"}, handler)
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("code %s (%v), want %s", code, err, tt.wantCode)
			}
			if called != tt.wantCalled {
				t.Fatalf("handler called = %v, want %v", called, tt.wantCalled)
			}
			if got := strings.Join(fwd, ","); got != tt.wantFwd {
				t.Errorf("forwarded %q, want %q", got, tt.wantFwd)
			}
			if !tt.enabled {
				if !strings.Contains(logs.String(), "faults are off") {
					t.Errorf("ignored fault not noted in the debug log: %q", logs.String())
				}
				if strings.Contains(logs.String(), tt.value[0]) {
					t.Errorf("the caller's value reached the log: %q", logs.String())
				}
			}
		})
	}
}
