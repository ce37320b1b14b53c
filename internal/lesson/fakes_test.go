package lesson

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/topology"
)

const testToken = "test-token"

// fakeLab is the five services as far as lessons see them: /healthz,
// /metrics (the text in metrics) and the incident control surface, the
// real handler over a real incident.Set.
type fakeLab struct {
	endpoints []topology.Endpoint
	sets      map[string]*incident.Set
	mu        sync.Mutex
	metrics   map[string]string
}

func newFakeLab(t *testing.T) *fakeLab {
	t.Helper()
	return newFakeLabFaults(t, true)
}

// newFakeLabFaults is a fake lab whose control surfaces are enabled
// (SHOPLAB_FAULTS) or not.
func newFakeLabFaults(t *testing.T, enabled bool) *fakeLab {
	t.Helper()
	lab := &fakeLab{sets: map[string]*incident.Set{}, metrics: map[string]string{}}
	for _, svc := range []string{topology.Gateway, topology.Auth, topology.Catalog, topology.Orders, topology.Notification} {
		set := incident.NewSet(svc)
		lab.sets[svc] = set
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(http.ResponseWriter, *http.Request) {})
		mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
			lab.mu.Lock()
			defer lab.mu.Unlock()
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			w.Write([]byte(lab.metrics[svc]))
		})
		control := incident.NewHandler(set, testToken, enabled)
		mux.Handle(incident.RoutePrefix, control)
		mux.Handle(incident.RoutePrefix+"/", control)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		lab.endpoints = append(lab.endpoints, topology.NewEndpoint(svc, strings.TrimPrefix(srv.URL, "http://"), ""))
	}
	return lab
}

func (l *fakeLab) setMetrics(service, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.metrics[service] = text
}

// on lists every incident that is on, as "service/name".
func (l *fakeLab) on() []string {
	var out []string
	for _, svc := range topology.Services() {
		for _, a := range l.sets[svc].Active() {
			out = append(out, svc+"/"+a.Name)
		}
	}
	return out
}

// fakeTraffic records the traffic a lesson starts; kill makes a pid dead.
type fakeTraffic struct {
	mu      sync.Mutex
	next    int
	started []TrafficSpec
	alive   map[int]bool
	stopped []int
}

func (f *fakeTraffic) Start(_ context.Context, s TrafficSpec) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.alive == nil {
		f.alive = map[int]bool{}
	}
	f.next++
	pid := 1000 + f.next
	f.alive[pid] = true
	f.started = append(f.started, s)
	return pid, nil
}

func (f *fakeTraffic) Alive(pid int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.alive[pid]
}

func (f *fakeTraffic) Stop(_ context.Context, pid int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alive[pid] = false
	f.stopped = append(f.stopped, pid)
	return nil
}

func (f *fakeTraffic) kill(pid int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alive[pid] = false
}

// fakeContainers records docker compose stop and start.
type fakeContainers struct {
	mu              sync.Mutex
	stopped, starts []string
	fail            error
}

func (f *fakeContainers) Stop(_ context.Context, services ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, services...)
	return f.fail
}

func (f *fakeContainers) Start(_ context.Context, services ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, services...)
	return f.fail
}

// testEngine is an Engine over lab with traffic, in mode.
func testEngine(t *testing.T, lab *fakeLab, mode Mode, traffic Traffic, containers Containers) (*Engine, string) {
	t.Helper()
	dir := t.TempDir()
	d := Deps{
		DataDir:    dir,
		Services:   lab.endpoints,
		Control:    incident.Client{Token: testToken},
		Mode:       func(context.Context) (Mode, error) { return mode, nil },
		Traffic:    traffic,
		Containers: containers,
		Evidence:   Evidence{LogDir: t.TempDir(), DataDir: dir},
		Grafana:    Grafana{Base: "http://grafana.test", Prometheus: "http://prometheus.test"},
	}
	return New(d), dir
}

var errRefused = errors.New("refused")
