package topology

import "github.com/shoplab/shoplab/internal/config"

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
