package compose

import "testing"

func TestHostsEntry(t *testing.T) {
	tests := []struct {
		name, hosts string
		want        string
		ok          bool
	}{
		{"linux engine", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n172.17.0.1\thost.docker.internal\n172.18.0.3\t5f2a9c\n", "172.17.0.1", true},
		{"ipv6 entry first", "fd00::1 host.docker.internal\n172.17.0.1 host.docker.internal\n", "172.17.0.1", true},
		{"several names, any case", "10.0.0.1 gw Host.Docker.Internal # added by extra_hosts\n", "10.0.0.1", true},
		{"commented out", "# 172.17.0.1 host.docker.internal\n", "", false},
		{"docker desktop: no entry", "127.0.0.1 localhost\n172.18.0.3 5f2a9c\n", "", false},
		{"prefix of another name", "172.17.0.1 host.docker.internal.example\n", "", false},
		{"garbage", "not an address host.docker.internal\n\n   \n", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := HostsEntry(tt.hosts, HostName)
			if got != tt.want || ok != tt.ok {
				t.Errorf("HostsEntry = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
