package doctor

import (
	"context"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/compose"
)

// TestDoctorContainerStates reads docker compose's view of the stack:
// starting is waiting, unhealthy or exited is broken, and Promtail may
// stand in for Alloy.
func TestDoctorContainerStates(t *testing.T) {
	healthy := func(s string) compose.Container {
		return compose.Container{Service: s, State: "running", Health: "healthy"}
	}
	tests := []struct {
		name       string
		containers []compose.Container
		want       Status
		found, fix string
	}{
		{name: "all healthy", containers: []compose.Container{healthy("loki"), healthy("tempo"), healthy("alloy")}, want: Pass},
		{name: "starting", containers: []compose.Container{healthy("loki"), {Service: "tempo", State: "running", Health: "starting"}, healthy("alloy")},
			want: Waiting, found: "tempo is starting"},
		{name: "exited", containers: []compose.Container{healthy("loki"), {Service: "tempo", State: "exited", ExitCode: 1}, healthy("alloy")},
			want: Fail, found: "container tempo is exited", fix: "docker compose -p shoplab logs tempo"},
		{name: "not created", containers: []compose.Container{healthy("loki")}, want: Fail, found: "not created: tempo, alloy", fix: "shoplab up"},
		{name: "promtail instead of alloy", containers: []compose.Container{healthy("loki"), healthy("tempo"), healthy("promtail")}, want: Pass},
		{name: "neither shipper", containers: []compose.Container{healthy("loki"), healthy("tempo"), {Service: "promtail", State: "exited"}}, want: Fail, found: "not created: alloy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDoctor(t, Config{
				Containers:    []string{"loki", "tempo", "alloy"},
				ComposeStatus: func(context.Context) ([]compose.Container, error) { return tt.containers, nil },
			})
			r := d.checkContainers(context.Background(), &Probe{})
			if r.Status != tt.want || !strings.Contains(r.Found, tt.found) || !strings.Contains(r.Fix, tt.fix) {
				t.Errorf("got %s, found %q, fix %q; want %s, %q, %q", r.Status, r.Found, r.Fix, tt.want, tt.found, tt.fix)
			}
		})
	}
}

// TestDoctorGrafanaAnswers reads Grafana's data source health answers.
func TestDoctorGrafanaAnswers(t *testing.T) {
	tests := []struct {
		name         string
		code         int
		body         string
		want         Status
		found, cause string
	}{
		{name: "ok", code: 200, body: `{"status":"OK","message":"Successfully queried the Prometheus API."}`, want: Pass, found: "Successfully queried"},
		{name: "error", code: 400, body: `{"status":"ERROR","message":"Post \"http://prometheus:9090/api/v1/query\": dial tcp: connection refused"}`,
			want: Fail, found: "ERROR: Post", cause: "Grafana cannot query prometheus"},
		{name: "anonymous refused", code: 401, body: `{"message":"Unauthorized"}`, want: Fail, found: "401", cause: "anonymous"},
		{name: "not provisioned", code: 404, body: `{"message":"Data source not found"}`, want: Fail, found: "no data source with uid prometheus", cause: "did not provision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDoctor(t, Config{GrafanaURL: serve(t, tt.code, tt.body)})
			r := d.checkDataSource(context.Background(), "prometheus")
			if r.Status != tt.want || !strings.Contains(r.Found, tt.found) || !strings.Contains(r.Cause, tt.cause) {
				t.Errorf("got %s, found %q, cause %q; want %s, %q, %q", r.Status, r.Found, r.Cause, tt.want, tt.found, tt.cause)
			}
		})
	}
}
