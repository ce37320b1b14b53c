package lesson

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/topology"
)

// The causes lesson logs-and-traces can hide; the others on its list are
// decoys.
const (
	causePartition  = "the order store's partition is unavailable (disk I/O error)"
	causeMailRefuse = "the mail server refuses e-mails (451, try again later)"
)

func logsAndTraces() *Lesson {
	errorsByService := `sum by (service) (count_over_time({job="shoplab", level=~"ERROR|WARN"}[1m]))`
	return &Lesson{
		Name:  "logs-and-traces",
		Title: "An error, and why",
		Story: "The on-call phone buzzes: errors are up. The spans of the failing work say that it failed and little more. " +
			"Every log line written inside a request carries its trace_id and span_id, so the line that explains a failing span is one query away.",
		Task: "Find the cause of the errors.",
		Kind: KindCause,
		Options: []Option{
			{Value: causePartition, Aliases: []string{"order store partition unavailable", "partition unavailable", "order store unavailable", "disk I/O error", "disk error", "partition"}},
			{Value: causeMailRefuse, Aliases: []string{"mail server refuses e-mails", "mail server refuses", "mail server rejects", "smtp 451", "451", "smtp reject", "mail rejected"}},
			{Value: "a product is out of stock", Aliases: []string{"out of stock", "sold out", "stock"}},
			{Value: "login tokens expire too early", Aliases: []string{"token expired", "tokens expire", "expired token"}},
			{Value: "the Kafka broker is unreachable", Aliases: []string{"kafka down", "kafka unreachable", "broker unreachable", "kafka"}},
		},
		Scenario: checkoutScenario,
		Rate:     2,
		Concept:  "logs and traces joined by trace_id: the span says that something failed, its log line says why",
		Hints: []Hint{
			{
				Text:    "Errors leave log lines (ERROR, or WARN for a failure that is retried): find the service that logs them now.",
				Local:   `grep -cE '"level":"(ERROR|WARN)"' on each service's log file in the log directory (logs/<service>.log by default).`,
				Compose: "Grafana, dashboard “Logs & traces”, panel “Errors by service”.",
				Query:   &Query{Lang: "logql", Expr: errorsByService},
			},
			{
				Text:    "Take one failing trace and read the log lines of its spans.",
				Local:   "Copy a trace_id from an ERROR or WARN line and run shoplab trace TRACE_ID: each span shows its log lines under it.",
				Compose: "Dashboard “Logs & traces”: the “Failed requests” table lists failing traces; put one's ID in the trace_id variable and read “Log lines of one trace”.",
				Query:   &Query{Lang: "traceql", Expr: `{status=error}`},
			},
			{
				Text:    "The cause is in the error field of the failing span's ERROR or WARN line, not in the span's status. Match it with the list.",
				Local:   `grep -E '"level":"(ERROR|WARN)"' on the failing service's log file | tail -3`,
				Compose: "Run the LogQL below: it prints each error line's service, message and error field.",
				Query:   &Query{Lang: "logql", Expr: `{job="shoplab", level=~"ERROR|WARN"} | json | line_format "{{.service}}: {{.msg}}: {{.error}}"`},
			},
		},
		choose: func(r *rand.Rand) Choice {
			if r.IntN(2) == 0 {
				reg := pick(r, region.All()...)
				return Choice{Answer: causePartition, Incidents: []Incident{{
					Service: topology.Orders, Name: incident.RegionOutage, Params: incident.Params{incident.ParamRegion: reg},
				}}}
			}
			return Choice{Answer: causeMailRefuse, Incidents: []Incident{{Service: topology.Notification, Name: incident.SMTPReject}}}
		},
		explain: func(c Choice) string {
			if c.Answer == causePartition {
				return "The orders of one region could not be written: PlaceOrder's span ends with the status “order store unavailable”, " +
					"and the gateway answers 503. The orders service's ERROR line of the same trace carries the whole error: " +
					"“write order: partition <region>-orders: disk I/O error”."
			}
			return "The mail server answered every e-mail with 451: the notification service's “deliver e-mail” spans end " +
				"“e-mail send failed; will retry”, while its WARN lines of the same traces (a refusal that is retried is a warning) quote the server: " +
				"“e-mail not sent; will retry” with the 451 reply. The shop's HTTP answers stay 2xx: " +
				"only the asynchronous part fails, which is why the logs, not the gateway's metrics, tell."
		},
		evidence: func(ctx context.Context, ev *Evidence, c Choice) []string {
			svc, match := topology.Orders, "partition"
			if c.Answer == causeMailRefuse {
				svc, match = topology.Notification, "451"
			}
			var out []string
			lines, err := ev.Logs(svc, 2, func(l LogLine) bool {
				return (l.Level == "ERROR" || l.Level == "WARN") && strings.Contains(l.Fields["error"], match)
			})
			if err == nil {
				for _, l := range lines {
					out = append(out, svc+" log: "+l.String())
				}
			}
			if fams, err := ev.Metrics(ctx, svc); err == nil {
				switch svc {
				case topology.Orders:
					byReason := SumBy(Find(fams, "shoplab_orders_failed_total", nil), "reason")
					for _, reason := range sortedKeys(byReason) {
						if byReason[reason] == 0 {
							continue
						}
						out = append(out, fmt.Sprintf("orders failed with reason %q: %.0f since orders started", reason, byReason[reason]))
					}
				case topology.Notification:
					failed := SumBy(Find(fams, "shoplab_notifications_sent_total", nil), "outcome")
					out = append(out, fmt.Sprintf("e-mail sends since notification started: %.0f ok, %.0f error", failed["ok"], failed["error"]))
				}
			}
			return out
		},
		links: func(g Grafana, c Choice) []Link {
			svc, level := topology.Orders, "ERROR"
			if c.Answer == causeMailRefuse {
				svc, level = topology.Notification, "WARN"
			}
			return []Link{
				{Label: "Logs & traces, " + svc + "'s errors", URL: g.Dashboard(dashboards.LogsUID, map[string]string{"service": svc, "level": level})},
				{Label: "Failed spans in Tempo", URL: g.Explore(Query{Lang: "traceql", Expr: `{status=error}`})},
			}
		},
	}
}
