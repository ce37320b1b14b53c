package topology

import (
	"slices"
	"testing"

	"github.com/shoplab/shoplab/internal/config"
)

func TestEndpointsFollowThePortTable(t *testing.T) {
	cfg := config.Config{
		Gateway:      config.HTTPService{HTTPPort: 9100},
		Auth:         config.GRPCService{HTTPPort: 9101, GRPCPort: 9201},
		Catalog:      config.GRPCService{HTTPPort: 9102, GRPCPort: 9202},
		Orders:       config.GRPCService{HTTPPort: 9103, GRPCPort: 9203},
		Notification: config.HTTPService{HTTPPort: 9104},
	}
	want := []Endpoint{
		{Service: Gateway, HTTP: "127.0.0.1:9100", HealthURL: "http://127.0.0.1:9100/healthz", MetricsURL: "http://127.0.0.1:9100/metrics"},
		{Service: Auth, HTTP: "127.0.0.1:9101", GRPC: "127.0.0.1:9201", HealthURL: "http://127.0.0.1:9101/healthz", MetricsURL: "http://127.0.0.1:9101/metrics"},
		{Service: Catalog, HTTP: "127.0.0.1:9102", GRPC: "127.0.0.1:9202", HealthURL: "http://127.0.0.1:9102/healthz", MetricsURL: "http://127.0.0.1:9102/metrics"},
		{Service: Orders, HTTP: "127.0.0.1:9103", GRPC: "127.0.0.1:9203", HealthURL: "http://127.0.0.1:9103/healthz", MetricsURL: "http://127.0.0.1:9103/metrics"},
		{Service: Notification, HTTP: "127.0.0.1:9104", HealthURL: "http://127.0.0.1:9104/healthz", MetricsURL: "http://127.0.0.1:9104/metrics"},
	}
	if got := Endpoints(cfg); !slices.Equal(got, want) {
		t.Errorf("Endpoints =\n%+v\nwant\n%+v", got, want)
	}

	var table []string
	for _, p := range PortTable(cfg) {
		table = append(table, p.Service)
	}
	if !slices.Equal(table, Services()) {
		t.Errorf("PortTable lists %v, want the start order %v", table, Services())
	}
	if _, ok := PortsOf(cfg, "broker"); ok {
		t.Error(`PortsOf(cfg, "broker") found ports for a service the shop does not have`)
	}
}
