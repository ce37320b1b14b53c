package topology

import (
	"fmt"
	"net"
	"strconv"

	"github.com/shoplab/shoplab/internal/config"
)

// Endpoint is where one service of the shop can be reached.
type Endpoint struct {
	Service string
	// HTTP is the service's HTTP address (API for the gateway; /metrics and
	// /healthz for all).
	HTTP string
	// GRPC is the gRPC API address, empty for services without one.
	GRPC string
	// HealthURL answers 200 when the service is healthy.
	HealthURL string
	// MetricsURL serves the service's Prometheus metrics.
	MetricsURL string
}

// NewEndpoint is service's endpoint at the HTTP address http and the gRPC
// address grpc ("" without a gRPC API).
func NewEndpoint(service, http, grpc string) Endpoint {
	return Endpoint{
		Service: service, HTTP: http, GRPC: grpc,
		HealthURL:  fmt.Sprintf("http://%s/healthz", http),
		MetricsURL: fmt.Sprintf("http://%s/metrics", http),
	}
}

// Endpoints lists where each service of cfg listens, as seen from this
// machine, in the order users read them (the entry point first).
func Endpoints(cfg config.Config) []Endpoint {
	var out []Endpoint
	for _, name := range []string{Gateway, Auth, Catalog, Orders, Notification} {
		p, _ := PortsOf(cfg, name)
		grpc := ""
		if p.HasGRPC {
			grpc = hostPort(p.GRPC)
		}
		out = append(out, NewEndpoint(name, hostPort(p.HTTP), grpc))
	}
	return out
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
