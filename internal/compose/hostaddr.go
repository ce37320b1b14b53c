package compose

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
)

// HostName is the name by which containers reach the host (Prometheus
// scrapes the services there).
const HostName = "host.docker.internal"

// HostAddress is the address HostName resolves to inside the Prometheus
// container, read from the container's /etc/hosts (where extra_hosts
// writes host-gateway's value). Docker Desktop answers from its own DNS
// instead: then there is no entry and ok is false.
func (c *Compose) HostAddress(ctx context.Context) (addr string, ok bool, err error) {
	out, err := c.output(ctx, c.args("exec", "-T", "prometheus", "cat", "/etc/hosts")...)
	if err != nil {
		return "", false, fmt.Errorf("read /etc/hosts in the prometheus container: %s", firstLine(err))
	}
	addr, ok = HostsEntry(out, HostName)
	return addr, ok, nil
}

// HostsEntry finds name's IPv4 address in an /etc/hosts text. IPv6
// entries are skipped: the services listen on IPv4 addresses.
func HostsEntry(hosts, name string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(hosts))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		ip := net.ParseIP(fields[0])
		if ip == nil || ip.To4() == nil {
			continue
		}
		for _, n := range fields[1:] {
			if strings.EqualFold(n, name) {
				return ip.String(), true
			}
		}
	}
	return "", false
}
