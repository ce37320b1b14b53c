package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/topology"
)

// preconditions are what must hold before a probe can tell anything.
func (d *Doctor) preconditions() []Check {
	var cs []Check
	if d.cfg.Mode == ModeCompose {
		cs = append(cs,
			Check{
				ID: "docker", Hop: HopPrecondition,
				Name:    "docker: the engine answers and Compose v2 is installed",
				Teaches: "Compose mode runs Prometheus, Loki, Tempo, Grafana, Kafka, Alloy and Mailpit in containers; the services run on this machine.",
				Run:     d.checkDocker,
			},
			Check{
				ID: "containers", Hop: HopPrecondition,
				Name:    "containers: every container of the stack is healthy",
				Teaches: "Every container has a healthcheck; docker compose reports it starting until the check passes.",
				Run:     d.checkContainers,
			},
			Check{
				ID: "ports", Hop: HopPrecondition,
				Name:    "ports: the stack's ports answer on this machine",
				Teaches: "The stack publishes its ports on 127.0.0.1 only; the services and this doctor reach it there.",
				Run:     d.checkPorts,
			},
		)
	}
	cs = append(cs,
		Check{
			ID: "services", Hop: HopPrecondition,
			Name:    "services: all five answer /healthz",
			Teaches: "Each service serves /healthz and /metrics on its HTTP port; the gateway's health includes its gRPC peers.",
			Run:     d.checkServices,
		},
		Check{
			ID: "kafka", Hop: HopPrecondition,
			Name:    "kafka: the broker accepts connections",
			Teaches: "order.placed travels from orders to notification through Kafka; without a broker no e-mail goes out.",
			Run:     d.checkBroker,
		},
	)
	if d.cfg.Mode == ModeLocal {
		cs = append(cs, Check{
			ID: "grafana-datasources", Hop: HopPrecondition, Name: "grafana: the data sources are healthy",
			Run: func(context.Context, *Probe) Result {
				return Result{Status: Skip, Found: "needs the compose stack (Grafana): shoplab up, then shoplab doctor"}
			},
		})
	} else {
		for _, uid := range d.cfg.DataSources {
			cs = append(cs, Check{
				ID: "grafana-datasource-" + uid, Hop: HopPrecondition,
				Name:    "grafana: data source " + uid + " is healthy",
				Teaches: "Grafana queries the stack from inside the compose network (http://" + uid + ":…); its health check is the same test its Explore page runs.",
				Run:     func(ctx context.Context, _ *Probe) Result { return d.checkDataSource(ctx, uid) },
			})
		}
		cs = append(cs, d.alertingChecks()...)
	}
	return cs
}

func (d *Doctor) checkDocker(ctx context.Context, p *Probe) Result {
	if d.cfg.ComposeStatus == nil {
		p.dockerErr = errors.New("no way to ask docker compose")
		return Result{Status: Fail, Found: p.dockerErr.Error()}
	}
	cs, err := d.cfg.ComposeStatus(ctx)
	p.dockerErr = err
	if err != nil {
		r := Result{
			Status:   Fail,
			Expected: "a running Docker engine with Compose v2",
			Found:    err.Error(),
			Cause:    "compose mode needs Docker",
			Fix:      "docker compose version && docker info; without Docker: shoplab up --local, then shoplab doctor --local",
		}
		if errors.Is(err, compose.ErrNoDocker) {
			r.Cause = "Docker is not installed"
		}
		return r
	}
	return Result{Status: Pass, Found: fmt.Sprintf("docker compose ps lists %d containers of project %s", len(cs), compose.Project)}
}

func (d *Doctor) checkContainers(ctx context.Context, p *Probe) Result {
	if p.dockerErr != nil {
		return Result{Status: Skip, Found: "needs docker (see above)"}
	}
	cs, err := d.cfg.ComposeStatus(ctx)
	if err != nil {
		return Result{Status: Fail, Expected: "docker compose ps answers", Found: err.Error(), Fix: "docker compose -p " + compose.Project + " ps"}
	}
	byService := map[string]compose.Container{}
	for _, c := range cs {
		byService[c.Service] = c
	}
	var missing, failed, starting []string
	for _, s := range d.cfg.Containers {
		c, ok := byService[s]
		if alt, isAlt := shipperAlternative(s); isAlt && (!ok || c.State != "running") && byService[alt].Ready() {
			// The other log shipper runs instead (compose profile
			// promtail with --scale alloy=0).
			continue
		}
		switch {
		case !ok:
			missing = append(missing, s)
		case c.Failed():
			failed = append(failed, s+" is "+c.Status())
		case !c.Ready():
			starting = append(starting, s+" is "+c.Status())
		}
	}
	expected := fmt.Sprintf("%d containers running and healthy: %s", len(d.cfg.Containers), strings.Join(d.cfg.Containers, ", "))
	switch {
	case len(missing) > 0:
		return Result{
			Status: Fail, Expected: expected,
			Found: "not created: " + strings.Join(missing, ", "),
			Cause: "the compose stack is not started",
			Fix:   "shoplab up",
		}
	case len(failed) > 0:
		first := strings.Fields(failed[0])[0]
		return Result{
			Status: Fail, Expected: expected,
			Found: "container " + strings.Join(failed, ", container "),
			Cause: "its healthcheck fails or it exited: its own log says why",
			Fix:   "docker compose -p " + compose.Project + " logs " + first,
		}
	case len(starting) > 0:
		return Result{
			Status: Waiting, Expected: expected,
			Found: strings.Join(starting, ", "),
			Cause: "still starting (the first start of Loki and Tempo takes a while)",
			Fix:   "docker compose -p " + compose.Project + " ps",
		}
	}
	return Result{Status: Pass, Found: fmt.Sprintf("%d of %d healthy", len(d.cfg.Containers), len(d.cfg.Containers))}
}

// shipperAlternative names the log shipper that may run instead of
// service: Alloy by default, Promtail as the opt-in profile (stack.go).
func shipperAlternative(service string) (string, bool) {
	switch service {
	case "alloy":
		return "promtail", true
	case "promtail":
		return "alloy", true
	}
	return "", false
}

func (d *Doctor) checkPorts(ctx context.Context, _ *Probe) Result {
	var mu sync.Mutex
	var down, names []string
	var wg sync.WaitGroup
	for _, pt := range d.cfg.Ports {
		names = append(names, pt.Name+" "+pt.Addr)
		wg.Go(func() {
			if err := dial(ctx, pt.Addr); err != nil {
				mu.Lock()
				down = append(down, fmt.Sprintf("nothing answers on %s (%s)", pt.Addr, pt.Name))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(down) > 0 {
		sort.Strings(down)
		return Result{
			Status:   Fail,
			Expected: "listening: " + strings.Join(names, ", "),
			Found:    strings.Join(down, "; "),
			Cause:    "the container that publishes the port is not running, or docker-compose.yml publishes another port",
			Fix:      "docker compose -p " + compose.Project + " ps; the ports: section of docker-compose.yml",
		}
	}
	return Result{Status: Pass, Found: strings.Join(names, ", ")}
}

func dial(ctx context.Context, addr string) error {
	var dl net.Dialer
	c, err := dl.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

func (d *Doctor) checkServices(ctx context.Context, _ *Probe) Result {
	var down []string
	for _, e := range d.cfg.Services {
		if err := topology.CheckHTTP(ctx, d.http, e.HealthURL); err != nil {
			down = append(down, fmt.Sprintf("%s (%s): %v", e.Service, e.HealthURL, err))
		}
	}
	if len(down) > 0 {
		return Result{
			Status:   Fail,
			Expected: "200 from every service's /healthz",
			Found:    strings.Join(down, "; "),
			Cause:    "the services are not running, or a service's dependency (a gRPC peer, its database) is down",
			Fix:      "shoplab status; " + d.startCommand() + "; " + d.logPath("<service>"),
		}
	}
	return Result{Status: Pass, Found: fmt.Sprintf("%d services healthy", len(d.cfg.Services))}
}

func (d *Doctor) checkBroker(ctx context.Context, _ *Probe) Result {
	var down []string
	for _, b := range d.cfg.Brokers {
		if err := dial(ctx, b); err != nil {
			down = append(down, fmt.Sprintf("%s: %v", b, err))
		}
	}
	if len(d.cfg.Brokers) == 0 {
		down = append(down, "no broker address configured")
	}
	if len(down) > 0 {
		r := Result{
			Status:   Fail,
			Expected: "a broker at " + strings.Join(d.cfg.Brokers, ", "),
			Found:    strings.Join(down, "; "),
			Cause:    "the Kafka container is down or still starting",
			Fix:      "docker compose -p " + compose.Project + " logs kafka",
		}
		if d.cfg.Mode == ModeLocal {
			r.Cause = "the embedded broker runs inside `shoplab up --local`: the lab is not running (or KAFKA_BROKERS names a broker that is down)"
			r.Fix = "shoplab up --local; shoplab status"
		}
		return r
	}
	return Result{Status: Pass, Found: strings.Join(d.cfg.Brokers, ", ")}
}

// checkDataSource asks Grafana to run a data source's health check:
// GET /api/datasources/uid/<uid>/health answers 200 {"status":"OK",
// "message":...}, or 400 with status "ERROR" and Grafana's reason
// (grafana/grafana pkg/api/datasources.go, checkDatasourceHealth; HTTP API
// docs: "Check data source health by UID").
func (d *Doctor) checkDataSource(ctx context.Context, uid string) Result {
	url := strings.TrimSuffix(d.cfg.GrafanaURL, "/") + "/api/datasources/uid/" + uid + "/health"
	expected := "Grafana's health check of data source " + uid + " answers status OK"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{Status: Fail, Found: err.Error()}
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return Result{
			Status: Fail, Expected: expected, Found: err.Error(),
			Cause: "Grafana is not reachable at " + d.cfg.GrafanaURL,
			Fix:   "docker compose -p " + compose.Project + " logs grafana",
		}
	}
	defer resp.Body.Close()
	var body struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	_ = json.Unmarshal(raw, &body)
	switch {
	case resp.StatusCode == http.StatusOK && body.Status == "OK":
		return Result{Status: Pass, Found: body.Message}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Result{
			Status: Fail, Expected: expected, Found: resp.Status,
			Cause: "Grafana refused an anonymous request: the lab's Grafana lets anonymous visitors in as Editors",
			Fix:   "GF_AUTH_ANONYMOUS_ENABLED and GF_AUTH_ANONYMOUS_ORG_ROLE in docker-compose.yml",
		}
	case resp.StatusCode == http.StatusNotFound:
		return Result{
			Status: Fail, Expected: expected, Found: "no data source with uid " + uid,
			Cause: "Grafana did not provision the data source",
			Fix:   "provisioning/datasources/datasources.yaml (mounted at /etc/grafana/provisioning/datasources); docker compose -p " + compose.Project + " logs grafana",
		}
	}
	found := strings.TrimSpace(body.Status + ": " + body.Message)
	if body.Status == "" {
		found = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(raw)))
	}
	return Result{
		Status: Fail, Expected: expected, Found: found,
		Cause: "Grafana cannot query " + uid + " at the URL provisioned for it (a compose service name): the container is down or the URL is wrong",
		Fix:   "provisioning/datasources/datasources.yaml; docker compose -p " + compose.Project + " ps " + uid,
	}
}
