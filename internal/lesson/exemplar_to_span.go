package lesson

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

// routeOfRPC is the gateway route that calls each catalog RPC.
var routeOfRPC = map[string]string{
	incident.RPCGetProduct:   productRoute,
	incident.RPCListProducts: productsRoute,
}

func rpcOptions() []Option {
	return []Option{
		{Value: incident.RPCGetProduct, Aliases: []string{"get product", "get_product"}},
		{Value: incident.RPCListProducts, Aliases: []string{"list products", "list_products"}},
	}
}

const grpcServerSeconds = "grpc_server_handling_seconds"

func exemplarToSpan() *Lesson {
	p95ByRoute := `histogram_quantile(0.95, sum by (route, le) (rate(shoplab_http_request_duration_seconds_bucket[1m])))`
	return &Lesson{
		Name:  "exemplar-to-span",
		Title: "The catalogue is slow",
		Story: "Shoppers say that the catalogue has become sluggish. Nothing fails, every page loads, just slowly. " +
			"The catalog service answers two reads for the shop's pages, one for the list and one for a single product, " +
			"and each runs a database query.",
		Task:     "Find the catalog RPC whose database query got slow: GetProduct or ListProducts.",
		Kind:     KindOperation,
		Options:  rpcOptions(),
		Scenario: browseScenario,
		Rate:     3,
		Concept:  "exemplars lead from a latency histogram to one slow request's trace, whose longest span is where the time went",
		Hints: []Hint{
			{
				Text:    "Latency, not errors: which of the gateway's routes got slower?",
				Local:   "shoplab trace --slowest shows the slowest request of the lesson's traffic (it keeps its last 30-second run); note its route.",
				Compose: "Grafana, dashboard “ShopLab overview”, panel “Gateway p95 latency by route”.",
				Query:   &Query{Lang: "promql", Expr: p95ByRoute},
			},
			{
				Text:    "An exemplar is one request, with its trace ID, stored beside a latency bucket: follow one from the slow route into its trace.",
				Local:   "shoplab trace --slowest draws that request's trace as a waterfall; the TUI's Traces screen lists the slowest ones too.",
				Compose: "On “Gateway p95 latency by route” the dots are exemplars: hover one high up on the slow route and open its trace in Tempo.",
			},
			{
				Text:    "In the trace, find the longest bar: a database span (SELECT products) under a catalog server span, whose name ends with the RPC.",
				Local:   "In shoplab trace's waterfall the critical path is marked; read the catalog span above the long SELECT products.",
				Compose: "Or search Tempo for slow catalog server spans with the query below.",
				Query:   &Query{Lang: "traceql", Expr: `{resource.service.name="catalog" && kind=server && duration > 300ms}`},
			},
		},
		choose: func(r *rand.Rand) Choice {
			rpc := pick(r, incident.RPCGetProduct, incident.RPCListProducts)
			return Choice{Answer: rpc, Incidents: []Incident{{
				Service: topology.Catalog, Name: incident.SlowQuery, Params: incident.Params{incident.ParamRPC: rpc, incident.ParamDelay: "400ms"},
			}}}
		},
		explain: func(c Choice) string {
			return fmt.Sprintf("The catalog's %s query took 400 ms longer than usual, inside its database span, so the gateway's route %s slowed down by as much. "+
				"The latency histogram says that a route is slow; an exemplar on it is one slow request's trace ID, and that trace's longest span, "+
				"SELECT products under shop.v1.CatalogService/%s, says where.", c.Answer, routeOfRPC[c.Answer], c.Answer)
		},
		evidence: func(ctx context.Context, ev *Evidence, c Choice) []string {
			out := rpcLatencies(ctx, ev, topology.Catalog, incident.RPCGetProduct, incident.RPCListProducts)
			return append(out, slowTrace(ctx, ev, "GET", routeOfRPC[c.Answer], topology.Catalog)...)
		},
		links: func(g Grafana, c Choice) []Link {
			return []Link{
				{Label: "Overview for " + routeOfRPC[c.Answer], URL: g.Dashboard(dashboards.OverviewUID, map[string]string{"route": routeOfRPC[c.Answer]})},
				{Label: "Slow catalog spans in Tempo", URL: g.Explore(Query{Lang: "traceql", Expr: `{resource.service.name="catalog" && name="SELECT products" && duration > 300ms}`})},
			}
		},
	}
}

// rpcLatencies reads service's mean gRPC server latency of each method.
func rpcLatencies(ctx context.Context, ev *Evidence, service string, methods ...string) []string {
	fams, err := ev.Metrics(ctx, service)
	if err != nil {
		return nil
	}
	line, any := "the "+service+" service's mean latency since it started:", false
	for _, m := range methods {
		var sum float64
		var n uint64
		for _, s := range Find(fams, grpcServerSeconds, map[string]string{"grpc_method": m}) {
			sum, n = sum+s.Sum, n+s.Count
		}
		if n > 0 {
			line, any = line+fmt.Sprintf(" %s %s over %d calls;", m, millis(1000*sum/float64(n)), n), true
		}
	}
	if !any {
		return nil
	}
	return []string{strings.TrimSuffix(line, ";")}
}

// slowTrace names the slowest request of method route in the traffic's
// last run and, when the trace store has it, where service's server span
// spent its time: in its longest child span, or in time no child covers.
func slowTrace(ctx context.Context, ev *Evidence, method, route, service string) []string {
	slow := ev.Slowest(method, route, 1)
	if len(slow) == 0 {
		return nil
	}
	s := slow[0]
	out := []string{fmt.Sprintf("the slowest %s %s of the lesson's traffic: trace %s, %s (shoplab trace %s)", method, route, s.TraceID, millis(s.LatencyMS), s.TraceID)}
	t, err := ev.Trace(ctx, s.TraceID)
	if err != nil {
		return out
	}
	var server *traceview.Span
	queries := 0
	for _, sp := range t.Spans {
		if sp.Service != service {
			continue
		}
		if sp.Name == dbSpanName {
			queries++
		}
		if sp.Kind == "server" && (server == nil || sp.Duration() > server.Duration()) {
			server = sp
		}
	}
	if server == nil {
		return out
	}
	var longest *traceview.Span
	var covered time.Duration
	for _, sp := range t.Spans {
		if sp.ParentID == server.SpanID {
			covered += sp.Duration()
			if longest == nil || sp.Duration() > longest.Duration() {
				longest = sp
			}
		}
	}
	line := fmt.Sprintf("in that trace, the %s service's span %s took %s", service, server.Name, ms(server.Duration()))
	if longest != nil {
		line += fmt.Sprintf("; its longest child span, %q, %s", longest.Name, ms(longest.Duration()))
	}
	if gap := server.Duration() - covered; gap > server.Duration()/2 {
		line += fmt.Sprintf("; %s of it is covered by no child span (waiting that nothing traces)", ms(gap))
	}
	if service == topology.Catalog {
		line += fmt.Sprintf("; the catalog ran %d database quer%s", queries, plural(queries, "y", "ies"))
	}
	return append(out, line)
}

// dbSpanName is the name of the catalog's database spans.
const dbSpanName = "SELECT products"
