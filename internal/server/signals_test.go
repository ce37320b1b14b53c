package server

import (
	"context"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

// TestGRPCMetricsSwitch: with metrics off (SHOPLAB_SIGNALS) a call is
// answered but neither the server nor the client counts it.
func TestGRPCMetricsSwitch(t *testing.T) {
	for _, tt := range []struct {
		name    string
		signals telemetry.Signals
		want    float64
	}{
		{name: "on", want: 1},
		{name: "off", signals: telemetry.Signals{MetricsOff: true}, want: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t, telemetry.Config{Service: "catalog", Signals: tt.signals})
			client := dialHealth(t, tel, serveHealth(t, tel))
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				t.Fatal(err)
			}
			labels := map[string]string{"grpc_method": "Check", "grpc_code": "OK"}
			// The server's series exist at zero from the start (and
			// the client's only once counted): sum what there is.
			for _, name := range []string{"grpc_server_handled_total", "grpc_client_handled_total"} {
				got := 0.0
				for _, m := range testkit.MetricSeries(t, tel.Registry, name, labels) {
					got += m.GetCounter().GetValue()
				}
				if got != tt.want {
					t.Errorf("%s = %v, want %v", name, got, tt.want)
				}
			}
		})
	}
}
