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

// Endpoints lists where each service of cfg listens, as seen from this
// machine.
func Endpoints(cfg config.Config) []Endpoint {
	ep := func(name string, httpPort, grpcPort int) Endpoint {
		e := Endpoint{Service: name, HTTP: hostPort(httpPort)}
		if grpcPort != 0 {
			e.GRPC = hostPort(grpcPort)
		}
		e.HealthURL = fmt.Sprintf("http://%s/healthz", e.HTTP)
		e.MetricsURL = fmt.Sprintf("http://%s/metrics", e.HTTP)
		return e
	}
	return []Endpoint{
		ep(Gateway, cfg.Gateway.HTTPPort, 0),
		ep(Auth, cfg.Auth.HTTPPort, cfg.Auth.GRPCPort),
		ep(Catalog, cfg.Catalog.HTTPPort, cfg.Catalog.GRPCPort),
		ep(Orders, cfg.Orders.HTTPPort, cfg.Orders.GRPCPort),
		ep(Notification, cfg.Notification.HTTPPort, 0),
	}
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
