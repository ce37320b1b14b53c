package server

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
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
			tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "catalog", Signals: tt.signals})
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := NewGRPCServer(tel, func(*grpc.Server) {})
			if err != nil {
				t.Fatal(err)
			}
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				s.Serve(lis)
			}()
			metrics, err := NewClientMetrics(tel)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := Dial(tel, metrics, lis.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				conn.Close()
				s.Stop()
				<-done
				tel.Shutdown(context.Background())
			})
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
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
