package cli

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestComposeBindHosts(t *testing.T) {
	linux := func() ([]net.Addr, error) {
		return []net.Addr{
			&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)},
			&net.IPNet{IP: net.ParseIP("192.168.1.20"), Mask: net.CIDRMask(24, 32)},
			&net.IPNet{IP: net.ParseIP("172.17.0.1"), Mask: net.CIDRMask(16, 32)},
		}, nil
	}
	tests := []struct {
		name, hostAddr string
		addrs          func() ([]net.Addr, error)
		want           []string
		wantErr        bool
	}{
		{"linux engine: the bridge is ours", "172.17.0.1", linux, []string{"127.0.0.1", "172.17.0.1"}, false},
		// 172.17.0.5 is inside docker0's network but is a container's
		// address, not this machine's.
		{"an address in the bridge's network is not enough", "172.17.0.5", linux, []string{"127.0.0.1"}, false},
		{"docker desktop: the VM's address", "192.168.65.254", linux, []string{"127.0.0.1"}, false},
		{"docker desktop: no entry", "", linux, []string{"127.0.0.1"}, false},
		{"loopback", "127.0.0.1", linux, []string{"127.0.0.1"}, false},
		{"cannot list addresses", "172.17.0.1", func() ([]net.Addr, error) { return nil, errors.New("boom") }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := composeBindHosts(tt.hostAddr, tt.addrs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("bind hosts = %v, want %v", got, tt.want)
			}
			// Never every interface: that is what this function exists to avoid.
			if slices.Contains(got, "0.0.0.0") {
				t.Error("binds 0.0.0.0")
			}
		})
	}
}

// listeningAddrs reads the addresses that listen on port from
// /proc/net/tcp and /proc/net/tcp6 (Linux), so a test can see what a
// server is bound to. Go serves "0.0.0.0" on a dual-stack [::] socket,
// which only tcp6 shows.
func listeningAddrs(t *testing.T, port int) []string {
	t.Helper()
	var out []string
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			t.Skipf("cannot read %s on this system: %v", file, err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			// sl local_address rem_address st ...; st 0A is LISTEN.
			if len(fields) < 4 || fields[3] != "0A" {
				continue
			}
			hexIP, hexPort, ok := strings.Cut(fields[1], ":")
			if !ok || hexPort != fmt.Sprintf("%04X", port) {
				continue
			}
			out = append(out, procIP(hexIP).String())
		}
		f.Close()
	}
	return out
}

// procIP decodes /proc/net/tcp's address: 32-bit words in host (little-
// endian) order.
func procIP(h string) net.IP {
	ip := make(net.IP, len(h)/2)
	for w := 0; w < len(ip); w += 4 {
		for i := range 4 {
			fmt.Sscanf(h[2*(w+i):2*(w+i)+2], "%02X", &ip[w+3-i])
		}
	}
	return ip
}
