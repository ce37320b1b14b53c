package build

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/topology"
)

// httpRequests is the gateway's request counter (internal/server).
const httpRequests = "shoplab_http_requests_total"

// Overview builds "ShopLab overview": RED metrics of the gateway and of every
// backend, and traffic by endpoint and region.
func Overview(info dashboards.Info) *dashboard.DashboardBuilder {
	d := New(info, "RED metrics for the gateway and every backend service, and traffic by endpoint and region.", "overview").
		Annotation(LoadRunAnnotations()).
		WithVariable(RegionVariable()).
		WithVariable(RouteVariable()).
		WithVariable(BackendVariable()).
		WithVariable(InstanceVariable())

	gateway := RED{Protocol: HTTP(), Matchers: `region=~"$region", route=~"$route", ` + InInstance}
	Row(d, "Gateway: requests, errors, latency (shoplab_http_*)")
	WithPanels(d, gateway.Panels(
		Text{"Gateway requests per second", "All API requests the gateway answered, by status code."},
		Text{"Gateway error ratio", "Share of requests answered 5xx (the shop's fault) and 4xx (the client's), separately. `or vector(0)` shows 0 rather than no data while there are none."},
		Text{"Gateway latency p50 / p95 / p99", "Request duration quantiles. Exemplar dots link to the trace of one request (Prometheus data source: trace_id → Tempo)."},
	)...)
	WithPanels(d,
		Stat(Text{"Requests in flight", "Requests the gateway is answering right now."}, "short").
			Span(4).Height(GraphHeight).
			WithTarget(PromRange(RefID(0), Sum(nil, "shoplab_http_requests_in_flight"+Selector(InInstance)), "in flight")),
		RED{Protocol: HTTP(), Matchers: gateway.Matchers, By: []string{"route"}}.Latency(P95).
			Panel(Text{"Gateway p95 latency by route", "Which endpoint is slow. Exemplars link to traces."}).
			Span(10),
		Latency{
			Histogram: "grpc_client_handling_seconds",
			Matchers:  fmt.Sprintf("job=%q, %s", topology.Gateway, InInstance),
			By:        []string{"grpc_service"},
			Quantiles: []Quantile{P95},
		}.Panel(Text{"Gateway → backends: client-side p95 by gRPC service", "Latency of the gateway's gRPC calls as the gateway sees them (grpc_client_handling_seconds): network + backend time."}).
			Span(10),
	)

	backends := RED{Protocol: GRPC(), Matchers: `job=~"$job", ` + InInstance, By: []string{"job"}}
	Row(d, "Backend services: requests, errors, latency (grpc_server_*, by job)")
	WithPanels(d, backends.Panels(
		Text{"gRPC requests per second by service", "Calls each backend handled (health checks excluded)."},
		Text{"gRPC error ratio by service", "Server errors (Unknown, DeadlineExceeded, Unimplemented, Internal, Unavailable, DataLoss: the 5xx of gRPC) and client errors (InvalidArgument, NotFound, FailedPrecondition, Unauthenticated, ...: the 4xx), each over all calls."},
		Text{"gRPC latency p50 / p95 / p99 by service", "Server-side handling time. Exemplars link to traces."},
	)...)
	d.WithPanel(Table(Text{"gRPC calls by method and code", "Average calls per second over the dashboard's time range, per method and status code (codes that never happened are left out)."}, "reqps").
		Decimals(3).
		WithTarget(PromTable(RefID(0), "sort_desc("+backends.Requests(TimeRange, "", []string{"job", "grpc_method", "grpc_code"})+" > 0)")).
		WithTransformation(Organize([]string{"Time"}, map[string]string{"Value": "calls/s"})))

	Row(d, "Instances (replicas): which copy of a service does the work")
	consumed := fmt.Sprintf("job=%q, %s", topology.Notification, InInstance)
	WithPanels(d,
		InstancesTable(),
		RateByInstance(Text{"Gateway requests per second by instance", "Requests each gateway replica answered. Behind a load balancer the lines should be close; one far above or below the others is taking more (or less) than its share."},
			httpRequests, gateway.matchers("")),
		gateway.byInstance().Latency(P95).
			Panel(Text{"Gateway p95 latency by instance", "One slow replica shows here before it moves the shop-wide p95. Exemplars link to its requests' traces."}),
		InstancesPerService(),
		RateByInstance(Text{"gRPC requests per second by service and instance", "Calls each backend replica handled (health checks excluded): one line per job and instance."},
			GRPC().requests, backends.matchers(""), "job"),
		SlowestInstances(Text{"Slowest backend instances (p95)", "The 5 backend replicas with the highest p95 handling time at each moment (topk keeps the graph readable however many replicas run). Exemplars link to traces."},
			5, P95, GRPC().duration, backends.matchers(""), "job"),
		RateByInstance(Text{"Notification: events consumed per second by instance", "Kafka messages each notification replica handled, by outcome. The consumer group splits the topics' partitions between the replicas: an idle replica has no partition (more replicas than partitions)."},
			"shoplab_kafka_messages_consumed_total", consumed, "outcome"),
	)

	Row(d, "Traffic by endpoint (route template) and region")
	byRoute := []string{"method", "route"}
	WithPanels(d,
		PieChart(Text{"Requests by region", "Which regions send the most traffic over the selected time range (X-Region header; unknown when absent or invalid)."}, "short").
			Decimals(0).
			WithTarget(PromInstant(RefID(0), Sum([]string{"region"}, Increase(httpRequests, `route=~"$route"`, TimeRange)), "{{region}}")),
		Stacked(Graph(Text{"Requests per second by region", "Traffic over time per client region."}, "reqps")).
			Span(FullWidth-ThirdWidth).
			WithTarget(PromRange(RefID(0), Sum([]string{"region"}, Rate(httpRequests, `route=~"$route"`, RateInterval)), "{{region}}")),
		Bars(Text{"Most called endpoints", "Top 5 routes by requests over the selected time range (requests that matched no route are left out)."}, "short").
			WithTarget(PromInstant(RefID(0), "sort_desc(topk(5, "+Sum(byRoute, Increase(httpRequests, `region=~"$region", route!="unmatched"`, TimeRange))+"))", Legend(byRoute, ""))),
		Bars(Text{"Least called endpoints", "Bottom 5 routes by requests over the selected time range. A route never called since the gateway started has no series and does not show up here."}, "short").
			WithTarget(PromInstant(RefID(0), "sort(bottomk(5, "+Sum(byRoute, Increase(httpRequests, `region=~"$region", route!="unmatched"`, TimeRange))+"))", Legend(byRoute, ""))),
		Table(Text{"Requests per second: route × region", "Average request rate over the selected time range, one row per route template and one column per region."}, "reqps").
			Height(9).
			Decimals(3).
			WithTarget(PromTable(RefID(0), Sum([]string{"route", "region"}, Rate(httpRequests, `region=~"$region", route=~"$route"`, TimeRange)))).
			WithTransformation(GroupingToMatrix("region", "route", "Value")),
	)
	return d
}
