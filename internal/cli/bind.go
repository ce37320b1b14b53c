package cli

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/shoplab/shoplab/internal/compose"
)

// loopback is where the services always listen.
const loopback = "127.0.0.1"

// composeBindHosts decides where the services listen in compose mode, so
// that Prometheus in a container can scrape them without the shop being
// reachable from other machines (which listening on 0.0.0.0 would allow):
//
//   - On a Linux engine, host.docker.internal (extra_hosts: host-gateway)
//     is the Docker bridge's address, an address of this machine: the
//     services listen there as well as on 127.0.0.1.
//   - On Docker Desktop it is an address inside Desktop's VM, whose
//     connections Desktop re-creates on the host's 127.0.0.1: loopback
//     alone is enough.
//
// hostAddr is the address the container resolves the name to ("" when it
// has none); localAddrs lists this machine's interface addresses.
func composeBindHosts(hostAddr string, localAddrs func() ([]net.Addr, error)) ([]string, error) {
	ip := net.ParseIP(hostAddr)
	if ip == nil || ip.IsLoopback() {
		return []string{loopback}, nil
	}
	addrs, err := localAddrs()
	if err != nil {
		return nil, fmt.Errorf("list this machine's addresses: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return []string{loopback, ip.String()}, nil
		}
	}
	return []string{loopback}, nil
}

// discoverBindHosts asks the running stack where host.docker.internal
// points and returns the value for SHOPLAB_BIND_HOST. When it cannot tell
// (no docker, the container not running), it keeps the services on
// loopback and says what that means.
func discoverBindHosts(ctx context.Context, app *App) string {
	c, err := compose.New(ctx, composeFile(app.Getenv), app.Stderr)
	if err == nil {
		var addr string
		addr, _, err = c.HostAddress(ctx)
		if err == nil {
			var hosts []string
			if hosts, err = composeBindHosts(addr, net.InterfaceAddrs); err == nil {
				return strings.Join(hosts, ",")
			}
		}
	}
	fmt.Fprintf(app.Stderr, "shoplab: cannot tell where Prometheus reaches this machine (%v); the services listen on %s only, so on a Linux engine Prometheus may not scrape them (set SHOPLAB_BIND_HOST=127.0.0.1,<docker bridge address>)\n", err, loopback)
	return loopback
}
