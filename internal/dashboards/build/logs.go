package build

import (
	"fmt"
	"log/slog"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/topology"
)

// logJob is the job label both log shippers (alloy-config.alloy,
// promtail-config.yml) give the services' lines.
const logJob = "shoplab"

// jumpHelp is the text at the top of "Logs & traces".
const jumpHelp = `**From a log line to its trace.** Expand a line in *Service logs*: its ` + "`trace_id`" + ` (structured metadata) shows a
**View trace** link (the Loki data source's derived field *TraceID*), which opens the whole trace in Tempo — every
service it crossed, gRPC and Kafka hops included.

**From a trace to its log lines.** In the trace view, open a span and click **Logs for this span**: Grafana queries
Loki for the span's ` + "`service`" + ` with the trace ID, ±5 minutes around the span (Tempo data source, *Trace to logs*).
**Metrics for this span** shows the service's request rate and latency.

**From a metric to a trace.** On latency panels of *ShopLab overview* and *Checkout*, the dots are exemplars: hover one
and click **View trace**.

**Find a request.** Every API response carries ` + "`X-Trace-Id`" + `: paste it into *Trace ID*, or into Explore → Tempo.
*Slowest gateway requests* lists recent traces, slowest first; *Failed requests* those with an error span.
The service graph is in Explore → Tempo → *Service Graph* (built from Tempo's metrics-generator).`

// LogsAndTraces builds "Logs & traces": the services' logs from Loki,
// traces from Tempo, and how to jump between them.
func LogsAndTraces(info dashboards.Info) *dashboard.DashboardBuilder {
	d := New(info, "Service logs from Loki and traces from Tempo, and how to jump between them.", "logs", "traces").
		WithVariable(LogServiceVariable()).
		WithVariable(LogLevelVariable()).
		WithVariable(LogRegionVariable()).
		WithVariable(TextVariable("search", "Line contains", "Keep only lines containing this text.")).
		WithVariable(TextVariable("trace_id", "Trace ID", "A trace ID (X-Trace-Id response header) for the panel Log lines of one trace."))

	selected := fmt.Sprintf(`{job=%q, service=~"$service", level=~"$level", region=~"$region"}`, logJob)
	errorsOnly := fmt.Sprintf(`{job=%q, service=~"$service", level=%q, region=~"$region"}`, logJob, slog.LevelError.String())
	levels := LogCounts(Text{"Log lines by level", "Log volume per level for the selected services and regions."}).
		WithTarget(LokiMetric(RefID(0), `sum by (level) (count_over_time(`+selected+` |= "$search" [$__auto]))`, "{{level}}"))
	for _, lc := range []struct {
		level slog.Level
		color string
	}{{slog.LevelError, "red"}, {slog.LevelWarn, "orange"}, {slog.LevelInfo, "green"}, {slog.LevelDebug, "blue"}} {
		levels.OverrideByName(lc.level.String(), []dashboard.DynamicConfigValue{{
			Id:    "color",
			Value: dashboard.FieldColor{Mode: dashboard.FieldColorModeIdFixed, FixedColor: cog.ToPtr(lc.color)},
		}})
	}

	WithPanels(d,
		Markdown("How to jump between logs, traces and metrics", jumpHelp, GraphHeight),
		levels,
		LogCounts(Text{"Errors by service", "ERROR lines per service: where to look first."}).
			WithTarget(LokiMetric(RefID(0), `sum by (service) (count_over_time(`+errorsOnly+` [$__auto]))`, "{{service}}")),
		LogLines(Text{"Service logs", "JSON log lines of the selected services. Expand a line and click View trace to open its trace."}, 14).
			EnableInfiniteScrolling(true).
			SortOrder(common.LogsSortOrderDescending).
			WithTarget(LokiLogs(RefID(0), selected+` |= "$search" | json`)),
		LogLines(Text{"Log lines of one trace", "Every line, in every service, that carries the trace ID typed into Trace ID, oldest first: the story of one request."}, GraphHeight).
			ShowLabels(true).
			SortOrder(common.LogsSortOrderAscending).
			// The line filter narrows the lines cheaply before json parses
			// them; trace_id is structured metadata, never a label.
			WithTarget(LokiLogs(RefID(0), fmt.Sprintf(`{job=%q} |= "$trace_id" | json | trace_id="$trace_id"`, logJob))),
		TraceTable(Text{"Slowest gateway requests", "Recent traces that entered through the gateway, slowest first. Click a trace ID to open the trace."}).
			WithTarget(TraceSearch(RefID(0), fmt.Sprintf(`{resource.service.name=%q && kind=server}`, topology.Gateway), 50)),
		TraceTable(Text{"Failed requests", "Recent traces with an error span in any service (status = error), slowest first."}).
			WithTarget(TraceSearch(RefID(0), "{status=error}", 50)),
	)
	return d
}
