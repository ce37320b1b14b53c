package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/topology"
)

// What each hop teaches, shared by both modes where the hop is the same.
const (
	teachTargets   = "Prometheus pulls every service's /metrics every 5 s (prometheus.yml); a target that is down leaves gaps in all of that service's panels."
	teachCounter   = "The gateway counts each request by route template, method, status and region; Prometheus has the increment after its next scrape."
	teachTrace     = "Trace context travels in the traceparent header over HTTP and gRPC and in Kafka message headers (kept with the outbox row), so one trace runs from the gateway to the e-mail."
	teachLogs      = "Each service writes JSON lines to logs/<service>.log with trace_id; Alloy ships them to Loki, keeping trace_id as structured metadata, not as a label."
	teachExemplars = "The gateway's latency histogram keeps the trace ID of a request in each bucket (an exemplar); Grafana turns it into a link to that trace."
	teachEmail     = "orders stores order.placed with the order (transactional outbox); its relay publishes it to Kafka; notification consumes it and e-mails over SMTP with an X-Trace-Id header."
)

// hops are the checks that follow the probe.
func (d *Doctor) hops() []Check {
	if d.cfg.Mode == ModeLocal {
		return d.localHops()
	}
	return []Check{
		{ID: "prometheus-targets", Hop: HopMetrics, Name: "metrics: every service's scrape target is up", Teaches: teachTargets, Run: d.checkTargets},
		{ID: "prometheus-counter", Hop: HopMetrics, Name: "metrics: Prometheus counted the probe (the gateway's counter, its route and region)", Teaches: teachCounter, NeedsProbe: true, Run: d.checkPromCounter},
		{ID: "tempo-trace", Hop: HopTraces, Name: "traces: the probe's trace is in Tempo, from every service, across Kafka", Teaches: teachTrace, NeedsProbe: true, Run: d.checkTempoTrace},
		{ID: "loki-logs", Hop: HopLogs, Name: "logs: Loki has the probe's lines from every service it touched", Teaches: teachLogs, NeedsProbe: true, Run: d.checkLokiLogs},
		{ID: "exemplar-trace", Hop: HopExemplars, Name: "exemplars: a gateway latency exemplar leads to a trace in Tempo", Teaches: teachExemplars, NeedsProbe: true, Run: d.checkExemplarTrace},
		{ID: "mailpit-email", Hop: HopEmail, Name: "e-mail: the probe order's e-mail reached the SMTP catcher, Mailpit", Teaches: teachEmail, NeedsProbe: true, Run: d.checkMailpit},
	}
}

// promUnreachable explains a Prometheus API that does not answer.
func (d *Doctor) promUnreachable(err error) Result {
	return Result{
		Status:   Fail,
		Expected: "Prometheus's HTTP API at " + d.cfg.PrometheusURL,
		Found:    err.Error(),
		Cause:    "Prometheus is down, or not at this URL",
		Fix:      "docker compose -p " + compose.Project + " logs prometheus; SHOPLAB_PROMETHEUS_URL",
	}
}

func (d *Doctor) checkTargets(ctx context.Context, _ *Probe) Result {
	ts, err := d.promTargets(ctx)
	if err != nil {
		return d.promUnreachable(err)
	}
	byJob := map[string][]promTarget{}
	for _, t := range ts {
		byJob[t.Labels["job"]] = append(byJob[t.Labels["job"]], t)
	}
	var missing, down, unknown, up []string
	var firstDown promTarget
	for _, job := range probeServices() {
		targets := byJob[job]
		if len(targets) == 0 {
			missing = append(missing, job)
			continue
		}
		for _, t := range targets {
			switch t.Health {
			case "up":
				up = append(up, job)
			case "down":
				if len(down) == 0 {
					firstDown = t
				}
				down = append(down, fmt.Sprintf("%s (job %s) is down: %s", t.Labels["instance"], job, t.LastError))
			default:
				unknown = append(unknown, fmt.Sprintf("%s (job %s) not scraped yet", t.Labels["instance"], job))
			}
		}
	}
	expected := "one target per service, health up: jobs " + strings.Join(probeServices(), ", ")
	switch {
	case len(ts) == 0:
		// Right after a start or a reload Prometheus lists no targets
		// until its scrape manager has synced.
		return Result{
			Status: Waiting, Expected: expected, Found: "Prometheus lists no targets (yet)",
			Cause: "Prometheus has just started or is reloading its configuration; if it stays so, prometheus.yml has no scrape_configs",
			Fix:   d.cfg.PrometheusURL + "/targets; prometheus.yml",
		}
	case len(missing) > 0:
		return Result{
			Status: Fail, Expected: expected,
			Found: "Prometheus has no job " + strings.Join(missing, ", "),
			Cause: "prometheus.yml does not scrape the service (job name = service name)",
			Fix:   "prometheus.yml scrape_configs; docker compose -p " + compose.Project + " restart prometheus",
		}
	case len(down) > 0:
		job := firstDown.Labels["job"]
		return Result{
			Status: Fail, Expected: expected,
			Found: "Prometheus target " + strings.Join(down, "; "),
			Cause: fmt.Sprintf("is %s running and listening on an address the container can reach? Prometheus reaches the services through host.docker.internal: on a Linux engine that is the Docker bridge's address, where shoplab up makes them listen besides 127.0.0.1 (SHOPLAB_BIND_HOST=127.0.0.1,<bridge address>; a service started by hand needs the same), and a firewall that filters the bridge (ufw) blocks it; Docker Desktop reaches the host's 127.0.0.1", job),
			Fix:   fmt.Sprintf("shoplab status; curl %s from this machine; %s/targets", hostURL(firstDown.ScrapeURL), d.cfg.PrometheusURL),
		}
	case len(unknown) > 0:
		return Result{
			Status: Waiting, Expected: expected, Found: strings.Join(unknown, "; "),
			Cause: "Prometheus has not scraped them yet: it scrapes every 5 s, and a fresh Prometheus applies its targets about 5 s after it starts",
			Fix:   d.cfg.PrometheusURL + "/targets",
		}
	}
	return Result{Status: Pass, Found: "up: " + strings.Join(up, ", ")}
}

// hostURL is a scrape URL as seen from this machine.
func hostURL(u string) string { return strings.Replace(u, "host.docker.internal", "localhost", 1) }

// counterSelector selects the gateway's counter series of requests like
// the probe.
func counterSelector(region string) string {
	return fmt.Sprintf(`%s{job="gateway",route=%q,method=%q,status=%q,region=%q}`, requestsMetric, probeRoute, probeMethod, probeStatus, region)
}

func (d *Doctor) checkPromCounter(ctx context.Context, p *Probe) Result {
	expr := "sum(" + counterSelector(p.Region) + ")"
	vs, err := d.promQuery(ctx, expr)
	if err != nil {
		return d.promUnreachable(err)
	}
	want := p.CounterBefore + 1
	r := Result{
		Expected: fmt.Sprintf("%s >= %g (the gateway had counted %g before the probe)", expr, want, p.CounterBefore),
		Cause:    "Prometheus scrapes every 5 s, so the probe shows after the next scrape; if it never does, the gateway's target is down (see its line) or Prometheus scrapes another gateway",
		Fix:      fmt.Sprintf("%s/targets; the gateway's own count: curl -s %s | grep %s", d.cfg.PrometheusURL, hostURL(d.gatewayMetricsURL()), requestsMetric),
	}
	switch {
	case len(vs) == 0:
		r.Status, r.Found = Waiting, "no such series in Prometheus yet"
	case vs[0] < want:
		r.Status, r.Found = Waiting, fmt.Sprintf("%g: the probe's request is not scraped yet", vs[0])
	default:
		return Result{Status: Pass, Found: fmt.Sprintf("%g (was %g before the probe)", vs[0], p.CounterBefore)}
	}
	return r
}

func (d *Doctor) gatewayMetricsURL() string {
	return endpoint(d.cfg.Services, topology.Gateway).MetricsURL
}
