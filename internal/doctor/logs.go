package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/stack"
)

// lokiQuery finds a trace's log lines. trace_id is structured metadata,
// not a stream label (alloy-config.alloy), so it is filtered after the
// stream selector: {job="shoplab", trace_id="..."} would match nothing.
func lokiQuery(traceID string) string {
	return fmt.Sprintf(`{job="shoplab"} | trace_id=%q`, traceID)
}

func (d *Doctor) checkLokiLogs(ctx context.Context, p *Probe) Result {
	query := lokiQuery(p.TraceID)
	counts, err := d.lokiLinesByService(ctx, query, p.SentAt.Add(-time.Minute), time.Now().Add(time.Minute))
	if err != nil {
		return Result{
			Status:   Fail,
			Expected: "Loki's HTTP API at " + d.cfg.LokiURL,
			Found:    err.Error(),
			Cause:    "Loki is down, or not at this URL",
			Fix:      "docker compose -p " + compose.Project + " logs loki; SHOPLAB_LOKI_URL",
		}
	}
	var have, missing []string
	for _, svc := range probeServices() {
		if n := counts[svc]; n > 0 {
			have = append(have, fmt.Sprintf("%s %d", svc, n))
		} else {
			missing = append(missing, svc)
		}
	}
	if len(missing) == 0 {
		return Result{Status: Pass, Found: "lines: " + strings.Join(have, ", ")}
	}
	r := Result{
		Status:   Waiting,
		Expected: fmt.Sprintf("%s finds lines from %s", query, strings.Join(probeServices(), ", ")),
		Found:    "none from " + strings.Join(missing, ", "),
	}
	if len(have) > 0 {
		r.Found = "lines from " + strings.Join(have, ", ") + "; " + r.Found
	}
	// The log file tells a shipper problem from a service problem.
	var inFile, notInFile []string
	for _, svc := range missing {
		lines, _ := d.traceLines(svc, p.TraceID, p.logOffsets[svc])
		if len(lines) > 0 {
			inFile = append(inFile, fmt.Sprintf("%s (%d)", d.logPath(svc), len(lines)))
		} else {
			notInFile = append(notInFile, svc)
		}
	}
	if len(inFile) > 0 {
		r.Cause = "the lines are in " + strings.Join(inFile, ", ") + " but not in Loki: the log shipper does not ship them. Is the alloy container running, tailing ./logs (mounted at /var/log/shoplab)? Do the services write there (SHOPLAB_LOG_DIR)?"
		r.Fix = stack.AlloyURL + " (Alloy's pipeline view); docker compose -p " + compose.Project + " logs alloy"
		if len(notInFile) > 0 {
			r.Cause += "; and " + strings.Join(notInFile, ", ") + " wrote no line with it at all"
		}
		return r
	}
	r.Cause = strings.Join(notInFile, ", ") + " wrote no line with the probe's trace ID (yet): it has not handled the probe, or lost the trace context"
	r.Fix = fmt.Sprintf("grep %s %s", p.TraceID, d.logPath("*"))
	return r
}
