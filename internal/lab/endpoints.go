package lab

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

// Ports are the ports one service listens on. A port of 0 means "any
// free port"; HasGRPC, not the port, says whether there is a gRPC API.
type Ports struct {
	Service string
	HTTP    int
	GRPC    int
	HasGRPC bool
}

// PortTable lists every service's ports in cfg, in start order: the one
// table the runner, `shoplab serve` and Endpoints use.
func PortTable(cfg config.Config) []Ports {
	return []Ports{
		{Service: Catalog, HTTP: cfg.Catalog.HTTPPort, GRPC: cfg.Catalog.GRPCPort, HasGRPC: true},
		{Service: Auth, HTTP: cfg.Auth.HTTPPort, GRPC: cfg.Auth.GRPCPort, HasGRPC: true},
		{Service: Orders, HTTP: cfg.Orders.HTTPPort, GRPC: cfg.Orders.GRPCPort, HasGRPC: true},
		{Service: Notification, HTTP: cfg.Notification.HTTPPort},
		{Service: Gateway, HTTP: cfg.Gateway.HTTPPort},
	}
}

// PortsOf returns name's ports in cfg.
func PortsOf(cfg config.Config, name string) (Ports, bool) {
	for _, p := range PortTable(cfg) {
		if p.Service == name {
			return p, true
		}
	}
	return Ports{}, false
}

// Endpoints lists where each service of cfg listens, as seen from this
// machine, in the order users read them (the entry point first).
func Endpoints(cfg config.Config) []Endpoint {
	var out []Endpoint
	for _, name := range []string{Gateway, Auth, Catalog, Orders, Notification} {
		p, _ := PortsOf(cfg, name)
		e := Endpoint{Service: name, HTTP: hostPort(p.HTTP)}
		if p.HasGRPC {
			e.GRPC = hostPort(p.GRPC)
		}
		e.HealthURL = fmt.Sprintf("http://%s/healthz", e.HTTP)
		e.MetricsURL = fmt.Sprintf("http://%s/metrics", e.HTTP)
		out = append(out, e)
	}
	return out
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// Service names: the service.name of their spans, the service field of
// their logs, the name of their log file and their Prometheus job.
const (
	Gateway      = "gateway"
	Auth         = "auth"
	Catalog      = "catalog"
	Orders       = "orders"
	Notification = "notification"
)

// Services lists the shop's services in start order.
func Services() []string { return []string{Catalog, Auth, Orders, Notification, Gateway} }
