package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shoplab/shoplab/internal/topology"
)

// localHops check what exists without the stack: the services' own
// /metrics, their log files, and notification's account of the e-mail.
// The hops that need the stack are listed as skipped, saying so.
func (d *Doctor) localHops() []Check {
	needs := func(id, hop, name, what string) Check {
		return Check{ID: id, Hop: hop, Name: name, Run: func(context.Context, *Probe) Result {
			return Result{Status: Skip, Found: "needs the compose stack (" + what + "): shoplab up, then shoplab doctor"}
		}}
	}
	return []Check{
		{ID: "metrics-endpoints", Hop: HopMetrics, Name: "metrics: every service serves /metrics", Teaches: "Each service keeps its own registry and serves it at /metrics; in compose mode Prometheus scrapes it every 5 s.", Run: d.checkMetricsEndpoints},
		{ID: "gateway-counter", Hop: HopMetrics, Name: "metrics: the gateway's /metrics counted the probe (its route and region)", Teaches: teachCounter, NeedsProbe: true, Run: d.checkLocalCounter},
		{ID: "gateway-exemplar", Hop: HopExemplars, Name: "exemplars: the gateway's latency histogram carries the probe's trace ID", Teaches: teachExemplars, NeedsProbe: true, Run: d.checkLocalExemplar},
		{ID: "log-files", Hop: HopLogs, Name: "logs: every service it touched logged the probe's trace ID", Teaches: "Every log line written inside a request carries trace_id and span_id: the trace context reached each service over gRPC and Kafka. Without a trace exporter these IDs are the in-process trace data.", NeedsProbe: true, Run: d.checkLogFiles},
		{ID: "notification-email", Hop: HopEmail, Name: "e-mail: notification sent the probe order's e-mail", Teaches: teachEmail, NeedsProbe: true, Run: d.checkLocalEmail},
		needs("prometheus-targets", HopMetrics, "metrics: Prometheus scrapes every service", "Prometheus"),
		needs("tempo-trace", HopTraces, "traces: the probe's trace is in Tempo", "Tempo"),
		needs("loki-logs", HopLogs, "logs: Loki has the probe's log lines", "Loki and the Alloy log shipper"),
		needs("exemplar-trace", HopExemplars, "exemplars: an exemplar leads to a trace in Tempo", "Prometheus and Tempo"),
		needs("mailpit-email", HopEmail, "e-mail: the e-mail reached the SMTP catcher", "Mailpit"),
	}
}

// localCounterSelector is the probe's counter series as the gateway
// serves it (Prometheus adds job and instance).
func localCounterSelector(region string) string {
	return fmt.Sprintf(`%s{route=%q,method=%q,status=%q,region=%q}`, requestsMetric, probeRoute, probeMethod, probeStatus, region)
}

func (d *Doctor) checkMetricsEndpoints(ctx context.Context, _ *Probe) Result {
	var bad []string
	for _, e := range d.cfg.Services {
		fams, err := d.scrape(ctx, e.MetricsURL)
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s: %v", e.Service, err))
		case len(fams) == 0:
			bad = append(bad, e.Service+": no metrics")
		}
	}
	if len(bad) > 0 {
		return Result{
			Status: Fail, Expected: "every service's /metrics answers with metrics",
			Found: strings.Join(bad, "; "),
			Cause: "the service is down",
			Fix:   "shoplab status; " + d.startCommand(),
		}
	}
	return Result{Status: Pass, Found: fmt.Sprintf("%d services", len(d.cfg.Services))}
}

func (d *Doctor) checkLocalCounter(ctx context.Context, p *Probe) Result {
	v, err := d.gatewayCounter(ctx, p.Region)
	if err != nil {
		return Result{Status: Fail, Expected: "the gateway's /metrics answers", Found: err.Error(), Cause: "the gateway is down", Fix: "shoplab status"}
	}
	if v >= p.CounterBefore+1 {
		return Result{Status: Pass, Found: fmt.Sprintf("%s = %g (was %g before the probe)", localCounterSelector(p.Region), v, p.CounterBefore)}
	}
	return Result{
		Status:   Waiting,
		Expected: fmt.Sprintf("%s >= %g", localCounterSelector(p.Region), p.CounterBefore+1),
		Found:    fmt.Sprintf("%g", v),
		Cause:    "the gateway counts a request when it has answered it; a lower count means it was restarted since",
		Fix:      "curl -s " + d.gatewayMetricsURL() + " | grep " + requestsMetric,
	}
}

func (d *Doctor) checkLocalExemplar(ctx context.Context, p *Probe) Result {
	ids, err := d.gatewayExemplars(ctx, p.Region)
	if err != nil {
		return Result{Status: Fail, Expected: "the gateway's /metrics answers", Found: err.Error(), Cause: "the gateway is down", Fix: "shoplab status"}
	}
	switch {
	case slices.Contains(ids, p.TraceID):
		return Result{Status: Pass, Found: "a bucket's exemplar has trace_id " + p.TraceID}
	case len(ids) > 0:
		return Result{Status: Pass, Found: fmt.Sprintf("%d exemplars with trace_id (a later request replaced the probe's in its bucket)", len(ids))}
	}
	return Result{
		Status:   Waiting,
		Expected: "an exemplar with trace_id on " + durationMetric + " for the probe's route and region",
		Found:    "no exemplars",
		Cause:    "the gateway records an exemplar only inside a sampled span, and the probe's traceparent asks for sampling: the histogram is observed without telemetry.Observe, or outside the request's span",
		Fix:      "services/gateway/middleware_metrics.go; internal/telemetry (telemetry.Observe)",
	}
}

func (d *Doctor) checkLogFiles(_ context.Context, p *Probe) Result {
	var have, missing, errs []string
	spans := map[string]bool{}
	for _, svc := range probeServices() {
		lines, err := d.traceLines(svc, p.TraceID, p.logOffsets[svc])
		if err != nil {
			errs = append(errs, err.Error())
		}
		if len(lines) == 0 {
			missing = append(missing, svc)
			continue
		}
		for _, l := range lines {
			spans[l.SpanID] = true
		}
		have = append(have, fmt.Sprintf("%s %d", svc, len(lines)))
	}
	if len(missing) == 0 {
		return Result{Status: Pass, Found: fmt.Sprintf("lines: %s; %d span IDs", strings.Join(have, ", "), len(spans))}
	}
	r := Result{
		Status:   Waiting,
		Expected: "a line with trace_id " + p.TraceID + " in the log file of " + strings.Join(probeServices(), ", "),
		Found:    "none in " + strings.Join(missing, ", "),
		Cause:    strings.Join(missing, ", ") + " has not handled the probe yet, or did not get the trace context",
		Fix:      fmt.Sprintf("grep %s %s", p.TraceID, d.logPath("*")),
	}
	if len(have) > 0 {
		r.Found = "lines: " + strings.Join(have, ", ") + "; " + r.Found
	}
	if slices.Contains(missing, topology.Notification) && len(missing) == 1 {
		r.Cause = "notification has not consumed order.placed yet (orders' outbox relay publishes it to Kafka), or lost the trace context carried in the message headers"
	}
	if len(errs) > 0 {
		r.Found += " (" + strings.Join(errs, "; ") + ")"
		r.Cause += "; or the log directory is not " + d.cfg.LogDir + " (SHOPLAB_LOG_DIR)"
	}
	return r
}

func (d *Doctor) checkLocalEmail(_ context.Context, p *Probe) Result {
	story := d.notificationStory(p)
	switch {
	case story.sent && story.channel == "log":
		return Result{Status: Pass, Found: "logged, not sent: no SMTP_HOST (set it to send e-mails, e.g. to Mailpit)"}
	case story.sent:
		return Result{Status: Pass, Found: fmt.Sprintf("sent over %s to %s", story.channel, d.cfg.SMTPAddr)}
	}
	r := Result{
		Status:   Waiting,
		Expected: fmt.Sprintf("%q with the probe's trace ID in %s", msgEmailSent, d.logPath(topology.Notification)),
		Found:    "no such line",
		Cause:    "notification has not handled the probe's order.placed yet: the outbox relay publishes it to Kafka, notification consumes it",
		Fix:      fmt.Sprintf("grep %s %s %s", p.TraceID, d.logPath(topology.Orders), d.logPath(topology.Notification)),
	}
	if story.failure != "" {
		r.Found = story.failure
		r.Cause = "notification could not send it (it retries)"
		r.Fix = "SMTP_HOST and SMTP_PORT; " + d.logPath(topology.Notification)
	}
	return r
}
