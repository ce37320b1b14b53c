package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/topology"
)

// traceShape summarises a trace: spans per service and whether it crosses
// Kafka (a producer span in orders, a consumer span in notification).
type traceShape struct {
	perService map[string]int
	producer   bool
	consumer   bool
	total      int
}

func shapeOf(spans []traceSpan) traceShape {
	s := traceShape{perService: map[string]int{}, total: len(spans)}
	for _, sp := range spans {
		s.perService[sp.Service]++
		if sp.Service == topology.Orders && sp.Kind == "producer" {
			s.producer = true
		}
		if sp.Service == topology.Notification && sp.Kind == "consumer" {
			s.consumer = true
		}
	}
	return s
}

func (s traceShape) missing() []string {
	var out []string
	for _, svc := range probeServices() {
		if s.perService[svc] == 0 {
			out = append(out, svc)
		}
	}
	return out
}

func (s traceShape) String() string {
	var parts []string
	for _, svc := range probeServices() {
		if n := s.perService[svc]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", svc, n))
		}
	}
	hop := "no Kafka hop"
	switch {
	case s.producer && s.consumer:
		hop = "Kafka hop orders → notification"
	case s.producer:
		hop = "orders published, no consumer span in notification"
	case s.consumer:
		hop = "a consumer span in notification, no producer span in orders"
	}
	return fmt.Sprintf("%d spans (%s); %s", s.total, strings.Join(parts, ", "), hop)
}

// tempoNotThere explains a trace Tempo does not have.
func (d *Doctor) tempoNotThere() (cause, fix string) {
	return "each service batches its spans (up to 5 s) before exporting them over OTLP to " + d.cfg.OTLPEndpoint +
			"; if the trace never arrives, the services export elsewhere: OTEL_EXPORTER_OTLP_ENDPOINT must be Tempo's OTLP receiver (shoplab up sets it)",
		"docker compose -p " + compose.Project + " logs tempo; the services' OTEL_* settings"
}

func (d *Doctor) tempoUnreachable(err error) Result {
	return Result{
		Status:   Fail,
		Expected: "Tempo's HTTP API at " + d.cfg.TempoURL,
		Found:    err.Error(),
		Cause:    "Tempo is down, or not at this URL",
		Fix:      "docker compose -p " + compose.Project + " logs tempo; SHOPLAB_TEMPO_URL",
	}
}

func (d *Doctor) checkTempoTrace(ctx context.Context, p *Probe) Result {
	spans, found, err := d.tempoTrace(ctx, p.TraceID)
	if err != nil {
		return d.tempoUnreachable(err)
	}
	expected := fmt.Sprintf("trace %s in Tempo with spans from %s, and the Kafka hop: a producer span in orders, a consumer span in notification",
		p.TraceID, strings.Join(probeServices(), ", "))
	if !found {
		cause, fix := d.tempoNotThere()
		return Result{Status: Waiting, Expected: expected, Found: "Tempo does not have the trace (yet)", Cause: cause, Fix: fix}
	}
	shape := shapeOf(spans)
	missing := shape.missing()
	if len(missing) == 0 && shape.producer && shape.consumer {
		return Result{Status: Pass, Found: shape.String()}
	}
	r := Result{Status: Waiting, Expected: expected, Found: shape.String()}
	if len(missing) > 0 {
		r.Found += "; none from " + strings.Join(missing, ", ")
	}
	svc := topology.Notification
	if len(missing) > 0 {
		svc = missing[0]
	}
	lines, _ := d.traceLines(svc, p.TraceID, p.logOffsets[svc])
	switch {
	case len(lines) > 0:
		r.Cause = fmt.Sprintf("%s continued the trace (its log lines carry the trace ID) but its spans did not reach Tempo: its exporter failed or exports elsewhere", svc)
		r.Fix = fmt.Sprintf("grep -i export %s; %s's OTEL_EXPORTER_OTLP_ENDPOINT", d.logPath(svc), svc)
	case svc == topology.Notification:
		r.Cause = "notification has not consumed order.placed yet, or started a new trace instead of continuing the one in the Kafka message headers"
		r.Fix = fmt.Sprintf("grep %s %s; internal/events (trace context in message headers)", p.TraceID, d.logPath(topology.Notification))
	default:
		r.Cause = fmt.Sprintf("%s did not receive the trace context, or has not handled the probe yet", svc)
		r.Fix = fmt.Sprintf("grep %s %s", p.TraceID, d.logPath(svc))
	}
	return r
}

// tempoHasAny returns the first of ids that Tempo has, trying at most n.
func (d *Doctor) tempoHasAny(ctx context.Context, ids []string, n int) (string, error) {
	var tried []string
	for _, id := range ids {
		if len(tried) == n {
			break
		}
		if id == "" || slices.Contains(tried, id) {
			continue
		}
		tried = append(tried, id)
		_, found, err := d.tempoTrace(ctx, id)
		if err != nil {
			return "", err
		}
		if found {
			return id, nil
		}
	}
	return "", nil
}
