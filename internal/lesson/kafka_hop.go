package lesson

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/topology"
)

// The causes lesson kafka-hop can hide.
const (
	causeOutbox   = "the outbox relay is stalled"
	causeSlowMail = "the mail server is slow"
)

func kafkaHop() *Lesson {
	hops := `max by (job) (shoplab_outbox_backlog) or sum by (job) (shoplab_kafka_consumer_lag) or sum by (job) (shoplab_notification_pending_emails)`
	return &Lesson{
		Name:  "kafka-hop",
		Title: "The confirmation e-mails are late",
		Story: "Customers order without trouble, yet they write in to ask where their confirmation e-mail is. " +
			"An order's e-mail travels after the HTTP answer: the orders service writes an event to its outbox table, " +
			"a relay publishes it to Kafka, and the notification service consumes it and sends the e-mail over SMTP.",
		Task: "Find where the e-mails wait.",
		Kind: KindCause,
		Options: []Option{
			{Value: causeOutbox, Aliases: []string{"outbox relay stalled", "outbox stalled", "relay stalled", "outbox relay", "outbox", "the outbox"}},
			{Value: causeSlowMail, Aliases: []string{"slow mail server", "mail server slow", "smtp slow", "slow smtp", "smtp server slow", "mail server"}},
			{Value: "the Kafka broker is down", Aliases: []string{"kafka down", "broker down", "kafka"}},
			{Value: "the notification consumer has crashed", Aliases: []string{"consumer crashed", "consumer down", "notification crashed", "consumer"}},
		},
		Scenario: checkoutScenario,
		Rate:     2,
		Concept:  "an asynchronous hop: its backlog and lag gauges tell where the events wait; the request's own latency cannot",
		Hints: []Hint{
			{
				Text:    "Orders succeed, so look after the HTTP answer: an order's event goes outbox → Kafka → notification → SMTP.",
				Local:   "The outbox's backlog is on the orders service's /metrics: curl -s {metrics:orders} | grep '^shoplab_outbox_backlog'",
				Compose: "Grafana, dashboard “Checkout”, row “Events: outbox → Kafka → notification”.",
			},
			{
				Text:    "Each hop has its own gauge: the outbox backlog (orders), the consumer lag and the pending e-mails (notification). The first one that grows is where events wait.",
				Local:   "curl -s {metrics:notification} | grep -E '^shoplab_(kafka_consumer_lag|notification_pending_emails|notification_oldest_pending_age_seconds)'",
				Compose: "Panels “Outbox backlog”, “Consumer lag” and “Notification latency p50 / p95 / p99”; or the query below.",
				Query:   &Query{Lang: "promql", Expr: hops},
			},
			{
				Text:    "If no event reaches Kafka, nothing downstream moves; if events arrive but e-mails pile up, the time goes into each send: look at the e-mail spans.",
				Local:   "shoplab trace --slowest of an order shows what happened after the response: the Kafka hop and the e-mail, or nothing at all.",
				Compose: "Search Tempo for the e-mail spans with the query below, and compare their duration with an ordinary one.",
				Query:   &Query{Lang: "traceql", Expr: `{resource.service.name="notification" && name="deliver e-mail"}`},
			},
		},
		choose: func(r *rand.Rand) Choice {
			if r.IntN(2) == 0 {
				return Choice{Answer: causeOutbox, Incidents: []Incident{{Service: topology.Orders, Name: incident.OutboxStalled}}}
			}
			return Choice{Answer: causeSlowMail, Incidents: []Incident{{
				Service: topology.Notification, Name: incident.SMTPSlow, Params: incident.Params{incident.ParamDelay: "2s"},
			}}}
		},
		explain: func(c Choice) string {
			if c.Answer == causeOutbox {
				return "The outbox relay published nothing: every order's event stayed in the orders service's outbox table, so the outbox backlog rose " +
					"while Kafka, the consumer lag and the notification service stayed quiet. The orders themselves were fine, which is the point of an outbox: " +
					"the request does not wait for the event."
			}
			return "The mail server took two seconds for every e-mail: events reached Kafka and the notification service at once (no outbox backlog, little lag), " +
				"but the e-mails queued up in the notification service, its pending gauge and the age of its oldest pending e-mail rose, " +
				"and each “deliver e-mail” span lasted two seconds."
		},
		evidence: func(ctx context.Context, ev *Evidence, _ Choice) []string {
			var out []string
			if fams, err := ev.Metrics(ctx, topology.Orders); err == nil {
				backlog := SumBy(Find(fams, "shoplab_outbox_backlog", nil), "")[""]
				produced := SumBy(Find(fams, "shoplab_kafka_messages_produced_total", nil), "outcome")
				out = append(out, fmt.Sprintf("orders: outbox backlog %.0f events; %.0f messages published to Kafka since it started", backlog, produced["ok"]))
			}
			if fams, err := ev.Metrics(ctx, topology.Notification); err == nil {
				lag := SumBy(Find(fams, "shoplab_kafka_consumer_lag", nil), "")[""]
				pending := SumBy(Find(fams, "shoplab_notification_pending_emails", nil), "")[""]
				oldest := 0.0
				for _, s := range Find(fams, "shoplab_notification_oldest_pending_age_seconds", nil) {
					oldest = max(oldest, s.Value)
				}
				line := fmt.Sprintf("notification: consumer lag %.0f messages; %.0f e-mails pending, the oldest for %.0f s", lag, pending, oldest)
				var sum float64
				var n uint64
				for _, s := range Find(fams, "shoplab_notification_latency_seconds", nil) {
					sum, n = sum+s.Sum, n+s.Count
				}
				if n > 0 {
					line += fmt.Sprintf("; mean order-to-e-mail latency %.1f s over %d e-mails", sum/float64(n), n)
				}
				out = append(out, line)
			}
			return out
		},
		links: func(g Grafana, _ Choice) []Link {
			return []Link{
				{Label: "Checkout dashboard (events row)", URL: g.Dashboard(dashboards.CheckoutUID, nil)},
				{Label: "The hops' gauges", URL: g.Explore(Query{Lang: "promql", Expr: hops})},
			}
		},
	}
}
