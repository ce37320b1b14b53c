package lesson

import (
	"context"
	"math/rand/v2"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/topology"
)

// The causes lesson trace-shape can hide.
const (
	causeNPlusOne  = "an N+1 query pattern"
	causeSlowQuery = "one slow query"
)

func traceShape() *Lesson {
	return &Lesson{
		Name:  "trace-shape",
		Title: "The product list changed",
		Story: "The catalog team refactored how the product list is loaded. Since then GET /api/v1/products behaves differently, " +
			"and the team argues: one says the database got slow, the other that the new code talks to it far too often. " +
			"Both problems cost time in the database; only a trace's shape tells them apart.",
		Task: "Find what is wrong with the product list's database access.",
		Kind: KindCause,
		Options: []Option{
			{Value: causeNPlusOne, Aliases: []string{"n+1", "n + 1", "n plus one", "n+1 queries", "n+1 query", "many small queries", "one query per product"}},
			{Value: causeSlowQuery, Aliases: []string{"slow query", "a slow query", "single slow query", "the query is slow"}},
			{Value: "lock contention", Aliases: []string{"locks", "database lock", "locked database"}},
			{Value: "a slow network between gateway and catalog", Aliases: []string{"network", "slow network", "network latency"}},
		},
		Scenario: browseScenario,
		Rate:     3,
		Concept:  "a trace's shape: many short sibling database spans (N+1) versus one long one (a slow query)",
		Hints: []Hint{
			{
				Text:    "Take one trace of GET /api/v1/products and look at the catalog's part of it.",
				Local:   "shoplab trace --slowest picks the slowest request of the lesson's traffic; the TUI's Traces screen lists more.",
				Compose: "Search Tempo for the list's traces with the query below and open one.",
				Query:   &Query{Lang: "traceql", Expr: `{resource.service.name="gateway" && name=~".*/api/v1/products"}`},
			},
			{
				Text:    "Count the catalog's database spans (SELECT products) under ListProducts, and note how long each one takes.",
				Local:   "In shoplab trace's waterfall each SELECT products is a line under shop.v1.CatalogService/ListProducts.",
				Compose: "The query below counts the database spans of each trace.",
				Query:   &Query{Lang: "traceql", Expr: `{resource.service.name="catalog" && name="SELECT products"} | count() > 1`},
			},
			{
				Text:  "One long span is one slow query; a ladder of short spans, one per product, each with the same statement, is the other pattern.",
				Local: "shoplab trace TRACE_ID --json | jq '[.spans[] | select(.name==\"SELECT products\")] | length'",
			},
		},
		choose: func(r *rand.Rand) Choice {
			if r.IntN(2) == 0 {
				return Choice{Answer: causeNPlusOne, Incidents: []Incident{{Service: topology.Catalog, Name: incident.NPlusOne}}}
			}
			return Choice{Answer: causeSlowQuery, Incidents: []Incident{{
				Service: topology.Catalog, Name: incident.SlowQuery, Params: incident.Params{incident.ParamRPC: incident.RPCListProducts, incident.ParamDelay: "250ms"},
			}}}
		},
		explain: func(c Choice) string {
			if c.Answer == causeNPlusOne {
				return "ListProducts loaded the list without its stock, then asked the database for each product's stock in a query of its own: " +
					"one SELECT products span for the list plus one per product, each short. Every round trip is cheap; their number, which grows with the catalogue, is the cost."
			}
			return "ListProducts ran its one query as before, but the query took 250 ms longer: one long SELECT products span, no more spans than usual."
		},
		evidence: func(ctx context.Context, ev *Evidence, _ Choice) []string {
			out := rpcLatencies(ctx, ev, topology.Catalog, incident.RPCListProducts)
			return append(out, slowTrace(ctx, ev, "GET", productsRoute, topology.Catalog)...)
		},
		links: func(g Grafana, _ Choice) []Link {
			return []Link{{Label: "The catalog's database spans in Tempo", URL: g.Explore(Query{Lang: "traceql", Expr: `{resource.service.name="catalog" && name="SELECT products"}`})}}
		},
	}
}
