package lesson

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/topology"
)

// logShipper is the compose service that ships logs/*.log to Loki.
const logShipper = "alloy"

func brokenPipeline() *Lesson {
	return &Lesson{
		Name:  "broken-pipeline",
		Title: "The dashboards went quiet",
		Story: "A colleague says the “Logs & traces” dashboard has shown nothing new for a while, although the shop is busy. " +
			"Is the shop broken, or the pipeline that carries its telemetry? Metrics, traces and logs each travel their own way to Grafana.",
		Task: "Find the hop of the telemetry pipeline that is broken: metrics, traces, logs, exemplars or e-mail.",
		Kind: KindHop,
		Options: []Option{
			{Value: "metrics", Aliases: []string{"prometheus", "metric"}},
			{Value: "traces", Aliases: []string{"tempo", "trace", "tracing"}},
			{Value: "logs", Aliases: []string{"loki", "log", "log shipping", "log shipper", "alloy"}},
			{Value: "exemplars", Aliases: []string{"exemplar"}},
			{Value: "e-mail", Aliases: []string{"email", "mail", "mailpit", "smtp"}},
		},
		NeedsCompose: true,
		Scenario:     checkoutScenario,
		Rate:         1,
		Concept:      "the telemetry pipeline has hops of its own (shipper → store → Grafana): when a signal goes missing, prove each hop before suspecting the shop",
		Hints: []Hint{
			{
				Text:  "ShopLab has a tool that sends one tagged request through the shop and follows it through every hop of the pipeline.",
				Local: "Run: shoplab doctor",
			},
			{
				Text:  "Read the failing check: what it expected, what it found, and the likely cause it names.",
				Local: "shoplab doctor --json | jq '.checks[] | select(.status != \"pass\")'",
			},
			{
				Text:    "The services still write their log files (logs/*.log): is the newest line in Loki as recent? Something carries the lines from the files to Loki.",
				Local:   "docker compose ps shows which container of the stack is not running.",
				Compose: "Run the LogQL below: its newest line is older than the newest line of logs/gateway.log.",
				Query:   &Query{Lang: "logql", Expr: `{job="shoplab"}`},
			},
		},
		choose: func(*rand.Rand) Choice {
			return Choice{Answer: "logs", StopContainers: []string{logShipper}}
		},
		explain: func(Choice) string {
			return "The log shipper, Alloy, was stopped: the services kept writing logs/*.log, but nothing carried the lines to Loki, " +
				"so the logs hop failed while metrics (Prometheus scrapes the services itself) and traces (the services push them to Tempo) went on. " +
				"Alloy is started again now; it kept its read positions, so it ships the lines it missed."
		},
		evidence: func(ctx context.Context, ev *Evidence, _ Choice) []string {
			var out []string
			if lines, err := ev.Logs(topology.Gateway, 1, nil); err == nil && len(lines) > 0 {
				out = append(out, "newest line in logs/gateway.log: "+lines[0].Time.Format(time.TimeOnly))
			}
			shipped, err := ev.NewestShipped(ctx)
			switch {
			case err != nil:
			case shipped.IsZero():
				out = append(out, "Loki has no line of the shop from the last hour")
			default:
				out = append(out, fmt.Sprintf("newest line in Loki: %s, %s ago", shipped.Format(time.TimeOnly), time.Since(shipped).Round(time.Second)))
			}
			return out
		},
		links: func(g Grafana, _ Choice) []Link {
			return []Link{{Label: "Logs & traces dashboard", URL: g.Dashboard(dashboards.LogsUID, nil)}}
		},
	}
}
