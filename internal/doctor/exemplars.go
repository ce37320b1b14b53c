package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// exemplarSelector selects the gateway's latency buckets of requests like
// the probe.
func exemplarSelector(region string) string {
	return fmt.Sprintf(`%s_bucket{job="gateway",route=%q,method=%q,region=%q}`, durationMetric, probeRoute, probeMethod, region)
}

func (d *Doctor) checkExemplarTrace(ctx context.Context, p *Probe) Result {
	expr := exemplarSelector(p.Region)
	ids, err := d.promExemplars(ctx, expr, p.SentAt.Add(-10*time.Minute), time.Now().Add(time.Minute))
	if err != nil {
		return d.promUnreachable(err)
	}
	expected := "an exemplar on " + expr + " whose trace_id Tempo has (ideally the probe's, " + p.TraceID + ")"
	if len(ids) == 0 {
		return Result{
			Status: Waiting, Expected: expected, Found: "no exemplars",
			Cause: "Prometheus keeps exemplars only with --enable-feature=exemplar-storage and only from OpenMetrics scrapes (the services serve OpenMetrics); or the probe's request is not scraped yet",
			Fix:   "the prometheus command: in docker-compose.yml; " + d.cfg.PrometheusURL + "/flags",
		}
	}
	if slices.Contains(ids, p.TraceID) {
		_, found, err := d.tempoTrace(ctx, p.TraceID)
		if err != nil {
			return d.tempoUnreachable(err)
		}
		if found {
			return Result{Status: Pass, Found: "the probe's exemplar, trace_id " + p.TraceID + ", is a trace in Tempo"}
		}
		cause, fix := d.tempoNotThere()
		return Result{Status: Waiting, Expected: expected, Found: "the probe's exemplar points at " + p.TraceID + ", which Tempo does not have (yet)", Cause: cause, Fix: fix}
	}
	// A later request in the same bucket replaces the probe's exemplar;
	// any exemplar that leads to a trace proves the link.
	id, err := d.tempoHasAny(ctx, ids, 3)
	if err != nil {
		return d.tempoUnreachable(err)
	}
	if id != "" {
		return Result{Status: Pass, Found: "exemplar trace_id " + id + " is a trace in Tempo (a later request replaced the probe's exemplar in its bucket)"}
	}
	shown := ids[:min(3, len(ids))]
	return Result{
		Status: Waiting, Expected: expected,
		Found: fmt.Sprintf("%d exemplars; Tempo knows none of %s; the probe's is not among them (yet)", len(ids), strings.Join(shown, ", ")),
		Cause: "the exemplars' trace IDs are not traces Tempo stores: the services export their spans elsewhere (OTEL_EXPORTER_OTLP_ENDPOINT), or the exemplars come from another tracer",
		Fix:   "the services' OTEL_* settings; exemplarTraceIdDestinations (name trace_id) in provisioning/datasources/datasources.yaml",
	}
}
