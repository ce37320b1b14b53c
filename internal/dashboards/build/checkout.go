package build

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/topology"
)

// Checkout builds "Checkout": from POST /api/v1/orders to the
// confirmation e-mail.
func Checkout(info dashboards.Info) *dashboard.DashboardBuilder {
	d := New(info, "From POST /api/v1/orders to the confirmation e-mail: orders, stock, outbox, Kafka and notifications.", "checkout").
		Annotation(LoadRunAnnotations()).
		WithVariable(RegionVariable()).
		WithVariable(InstanceVariable())

	Row(d, "Orders")
	// Every query keeps the instances $instance selects.
	in := InInstance
	averageValue := Sum(nil, Increase("shoplab_order_value_cents_sum", in, TimeRange)) + " / " +
		Sum(nil, Increase("shoplab_order_value_cents_count", in, TimeRange)) + " / 100"
	orderValue := func(q Quantile) string {
		return HistogramQuantile(q, "shoplab_order_value_cents", in, nil) + " / 100" // cents to dollars
	}
	WithPanels(d,
		Stat(Text{"Orders per second", "Orders placed (stock reserved and order committed)."}, "ops").
			Decimals(2).
			WithTarget(PromRange(RefID(0), Sum(nil, Rate("shoplab_orders_placed_total", in, RateInterval)), "orders/s")),
		Stat(Text{"Orders placed", "Orders placed over the selected time range."}, "short").
			Decimals(0).
			WithTarget(PromInstant(RefID(0), Sum(nil, Increase("shoplab_orders_placed_total", in, TimeRange)), "placed")),
		Stat(Text{"Orders failed", "Orders refused or failed over the selected time range, all reasons."}, "short").
			Decimals(0).
			Thresholds(Thresholds("green", Threshold{From: 1, Color: "orange"})).
			WithTarget(PromInstant(RefID(0), Sum(nil, Increase("shoplab_orders_failed_total", in, TimeRange)), "failed")),
		Stat(Text{"Average order value", "Mean value of placed orders over the selected time range (prices are in USD cents)."}, "currencyUSD").
			Decimals(2).
			WithTarget(PromInstant(RefID(0), averageValue, "average")),
		Graph(Text{"Orders placed and failed per second", "Placed orders, and failed ones by reason (invalid, unknown_product, insufficient_stock, catalog_unavailable, catalog_error, canceled, persist)."}, "ops").
			Span(HalfWidth).
			WithTarget(PromRange(RefID(0), Sum(nil, Rate("shoplab_orders_placed_total", in, RateInterval)), "placed")).
			WithTarget(PromRange(RefID(1), Sum([]string{"reason"}, Rate("shoplab_orders_failed_total", in, RateInterval)), "failed: {{reason}}")),
		// Not a latency: no exemplars.
		Graph(Text{"Order value p50 / p95", "Distribution of placed orders' value, in USD (histogram shoplab_order_value_cents / 100)."}, "currencyUSD").
			Span(HalfWidth).
			WithTarget(PromRange(RefID(0), orderValue(P50), P50.Name())).
			WithTarget(PromRange(RefID(1), orderValue(P95), P95.Name())),
	)

	checkout := RED{Protocol: HTTP(), Matchers: `route="/api/v1/orders", method="POST", region=~"$region", ` + in}
	Row(d, "Checkout endpoint (POST /api/v1/orders)")
	WithPanels(d,
		checkout.Rate(Text{"Checkout responses per second by status", "201 placed; 4xx the client's mistake (409 insufficient stock, 404 unknown product, 401 no token); 5xx the shop's."}),
		checkout.Duration(Text{"Checkout latency p50 / p95 / p99", "Time the gateway took to answer POST /api/v1/orders. Exemplars link to the checkout's trace (gateway → auth → orders → catalog → Kafka → notification)."}),
		Latency{
			Histogram: "grpc_server_handling_seconds",
			Matchers:  fmt.Sprintf(`job=~"%s|%s", grpc_method=~"PlaceOrder|ReserveStock|ReleaseStock", %s`, topology.Orders, topology.Catalog, in),
			By:        []string{"job", "grpc_method"},
			Quantiles: []Quantile{P95},
		}.Panel(Text{"PlaceOrder and stock reservation p95", "Server-side latency of the gRPC calls a checkout makes: orders.PlaceOrder and catalog.ReserveStock/ReleaseStock. Exemplars link to traces."}),
		Graph(Text{"Stock reserved and released (units/s)", "Units of stock reserved for orders, and given back when an order could not be stored."}, "short").
			Span(HalfWidth).
			WithTarget(PromRange(RefID(0), Sum(nil, Rate("shoplab_catalog_stock_reserved_total", in, RateInterval)), "reserved")).
			WithTarget(PromRange(RefID(1), Sum(nil, Rate("shoplab_catalog_stock_released_total", in, RateInterval)), "released")),
		Graph(Text{"Reservations rejected by reason", "Reservations catalog refused: insufficient_stock, unknown_product, invalid."}, "reqps").
			Span(HalfWidth).
			WithTarget(PromRange(RefID(0), Sum([]string{"reason"}, Rate("shoplab_catalog_reservations_rejected_total", in, RateInterval)), "{{reason}}")),
	)

	Row(d, "Events: outbox → Kafka → notification")
	produced := []string{"job", "topic", "outcome"}
	consumed := []string{"group", "topic", "outcome"}
	lag := []string{"group", "topic"}
	sent := []string{"event_type", "channel", "outcome"}
	WithPanels(d,
		// The y axis starts at 0 unless a service reports -1.
		Graph(Text{"Outbox backlog", "Events committed with their user or order and not yet acknowledged by Kafka, per service. Grows while Kafka is down; -1 means the service could not read its outbox."}, "short").
			WithTarget(PromRange(RefID(0), "max by (job) (shoplab_outbox_backlog"+Selector(in)+")", "{{job}}")),
		Graph(Text{"Kafka messages produced per second", "Messages the outbox relays published, by service, topic and outcome (ok, error)."}, "reqps").
			WithTarget(PromRange(RefID(0), Sum(produced, Rate("shoplab_kafka_messages_produced_total", in, RateInterval)), Legend(produced, ""))),
		Graph(Text{"Kafka messages consumed per second", "Messages the notification consumer group handled, by topic and outcome (ok; error: retried; rejected: malformed and skipped)."}, "reqps").
			WithTarget(PromRange(RefID(0), Sum(consumed, Rate("shoplab_kafka_messages_consumed_total", in, RateInterval)), Legend(consumed, ""))),
		// Every notification replica reports the group's lag on every
		// partition: max over the replicas, then the sum over partitions.
		Graph(Text{"Consumer lag", "Messages the group has not committed yet (each partition's end offset minus the group's committed offset), summed over partitions. Every notification replica reports the whole group's lag, so replicas are collapsed with max, not added up."}, "short").
			WithTarget(PromRange(RefID(0), Sum(lag, "max by (group, topic, partition) (shoplab_kafka_consumer_lag"+Selector(in)+")"), Legend(lag, ""))),
		Latency{
			Histogram: "shoplab_notification_latency_seconds",
			Matchers:  in,
			By:        []string{"event_type"},
			Quantiles: []Quantile{P50, P95, P99},
		}.Panel(Text{"Notification latency p50 / p95 / p99", "Time from the event (order placed, user registered) to its e-mail being sent. Exemplars link to the trace, which spans the Kafka hop."}),
		Graph(Text{"Notifications sent and duplicates per second", "E-mails sent by event type, channel (smtp, log) and outcome; duplicates are redelivered events the idempotent consumer skipped (no second e-mail)."}, "reqps").
			WithTarget(PromRange(RefID(0), Sum(sent, Rate("shoplab_notifications_sent_total", in, RateInterval)), "sent "+Legend(sent, ""))).
			WithTarget(PromRange(RefID(1), Sum([]string{"event_type"}, Rate("shoplab_notification_duplicates_total", in, RateInterval)), "duplicate {{event_type}}")),
	)

	Row(d, "By instance (replicas)")
	WithPanels(d,
		RateByInstance(Text{"Orders placed per second by orders instance", "Orders each orders replica placed. The gateway spreads PlaceOrder calls over the replicas; a replica far off its share is worth a look."},
			"shoplab_orders_placed_total", in),
		Latency{
			Histogram: "grpc_server_handling_seconds",
			Matchers:  fmt.Sprintf(`job=%q, grpc_method="PlaceOrder", %s`, topology.Orders, in),
			By:        []string{"instance"},
			Quantiles: []Quantile{P95},
		}.Panel(Text{"PlaceOrder p95 by orders instance", "Server-side PlaceOrder latency per orders replica: a replica whose database or catalog connection is slow stands out. Exemplars link to traces."}),
		RateByInstance(Text{"E-mails sent per second by notification instance", "Notifications each notification replica sent, by outcome. The consumer group gives each partition to one replica: a replica at 0 while the others work has no partition (more replicas than partitions, KAFKA_PARTITIONS) or is stuck."},
			"shoplab_notifications_sent_total", in, "outcome"),
	)
	return d
}
