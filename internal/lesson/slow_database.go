package lesson

import (
	"context"
	"math/rand/v2"

	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/topology"
)

func slowDatabase() *Lesson {
	byService := `histogram_quantile(0.95, sum by (job, grpc_method, le) (rate(grpc_server_handling_seconds_bucket{grpc_service!="grpc.health.v1.Health"}[1m])))`
	return &Lesson{
		Name:  "slow-database",
		Title: "Whose database is it?",
		Story: "The shop is slower than yesterday, and every team says its service is fine. Each backend service has a SQLite database of its own; " +
			"one of them has become the bottleneck, either because a query got slow or because work waits for the database's write lock.",
		Task:     "Find the service whose database is the bottleneck.",
		Kind:     KindService,
		Options:  serviceOptions(),
		Scenario: checkoutScenario,
		Rate:     2,
		Concept:  "RED per service and traces: latency caused by waiting (a lock) or by work (a slow query) shows in the service that owns the database, not in its callers' code",
		Hints: []Hint{
			{
				Text:    "Find the gateway route that got slower, then the backend it waits for.",
				Local:   "shoplab trace --slowest shows the slowest request of the lesson's traffic and which services it went through.",
				Compose: "Dashboard “ShopLab overview”: “Gateway p95 latency by route”, then “Gateway → backends: client-side p95 by gRPC service”.",
			},
			{
				Text:    "Compare the backends' own (server-side) latency, method by method.",
				Local:   "On each backend's /metrics, grpc_server_handling_seconds_sum divided by _count is its mean latency per method: curl -s {metrics:orders} | grep '^grpc_server_handling_seconds_[sc]' (and {metrics:catalog}, {metrics:auth}).",
				Compose: "Dashboard “ShopLab overview”, panel “gRPC latency p50 / p95 / p99 by service”; or the query below.",
				Query:   &Query{Lang: "promql", Expr: byService},
			},
			{
				Text:    "In a slow trace, see where the slow backend's server span spends its time: in a long database span (a slow query), or in a gap that no child span covers (waiting for something nothing traces, such as SQLite's write lock).",
				Local:   "shoplab trace --slowest: compare the backend's server span with the spans under it.",
				Compose: "Search Tempo for the backends' slow server spans with the query below, and open one.",
				Query:   &Query{Lang: "traceql", Expr: `{resource.service.name=~"catalog|orders|auth" && kind=server && duration > 250ms}`},
			},
		},
		choose: func(r *rand.Rand) Choice {
			if r.IntN(2) == 0 {
				return Choice{Answer: topology.Orders, Incidents: []Incident{{
					Service: topology.Orders, Name: incident.LockContention,
					Params: incident.Params{incident.ParamHold: "300ms", incident.ParamEvery: "500ms"},
				}}}
			}
			rpc := pick(r, incident.RPCGetProduct, incident.RPCListProducts)
			return Choice{Answer: topology.Catalog, Incidents: []Incident{{
				Service: topology.Catalog, Name: incident.SlowQuery, Params: incident.Params{incident.ParamRPC: rpc, incident.ParamDelay: "400ms"},
			}}}
		},
		explain: func(c Choice) string {
			if c.Answer == topology.Orders {
				return "A batch job in the orders service held SQLite's write lock for 300 ms out of every 500: placing an order waited for the lock " +
					"(SQLite's busy timeout) before it could write, so PlaceOrder and POST /api/v1/orders slowed while the catalog stayed fast. " +
					"Waiting on a shared resource is saturation; the span that waits is in the service that owns the database."
			}
			return "One of the catalog's queries took 400 ms longer: the catalog's SELECT products span was long, and the gateway routes that call it slowed. " +
				"Orders and auth stayed fast."
		},
		evidence: func(ctx context.Context, ev *Evidence, c Choice) []string {
			out := rpcLatencies(ctx, ev, topology.Orders, "PlaceOrder", "GetOrder")
			out = append(out, rpcLatencies(ctx, ev, topology.Catalog, incident.RPCGetProduct, incident.RPCListProducts, "ReserveStock")...)
			route := ordersRoute
			method := "POST"
			if c.Answer == topology.Catalog {
				method, route = "GET", routeOfRPC[c.Incidents[0].Params[incident.ParamRPC]]
			}
			return append(out, slowTrace(ctx, ev, method, route, c.Answer)...)
		},
		links: func(g Grafana, c Choice) []Link {
			return []Link{
				{Label: "Overview for " + c.Answer, URL: g.Dashboard(dashboards.OverviewUID, map[string]string{"job": c.Answer})},
				{Label: "Backends' p95 by method", URL: g.Explore(Query{Lang: "promql", Expr: byService})},
			}
		},
	}
}
