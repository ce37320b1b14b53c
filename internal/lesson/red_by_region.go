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

const (
	ordersRoute   = "/api/v1/orders"
	productsRoute = "/api/v1/products"
	productRoute  = "/api/v1/products/{id}"
	requestsTotal = "shoplab_http_requests_total"
)

func redByRegion() *Lesson {
	byRegion := `sum by (region, status) (rate(shoplab_http_requests_total{route="/api/v1/orders", method="POST"}[1m]))`
	return &Lesson{
		Name:  "red-by-region",
		Title: "Orders fail, but not for everyone",
		Story: "Support forwards a handful of angry e-mails: some customers cannot place an order, " +
			"while most shop without trouble. Nothing was deployed. The gateway counts every request " +
			"by route, status and the customer's region.",
		Task:     "Find the region whose customers cannot order.",
		Kind:     KindRegion,
		Options:  regionOptions(),
		Scenario: checkoutScenario,
		Rate:     2,
		Concept:  "RED metrics (Rate, Errors, Duration) broken down by a bounded label: the region",
		Hints: []Hint{
			{
				Text:    "Start from the errors: which endpoint answers 5xx?",
				Local:   `Read the gateway's request counter: curl -s {metrics:gateway} | grep '^shoplab_http_requests_total' | grep 'status="5'`,
				Compose: "Grafana, dashboard “ShopLab overview”: the “Gateway error ratio” panel, then the row “Traffic by endpoint (route template) and region”.",
			},
			{
				Text:    "The request counter has a region label: split the errors by it.",
				Local:   `Each line of curl -s {metrics:gateway} | grep '^shoplab_http_requests_total' | grep 'status="503"' names a route and a region: which region comes up?`,
				Compose: "Dashboard “ShopLab overview”, panel “Requests per second: route × region”; or run the query below in Explore.",
				Query:   &Query{Lang: "promql", Expr: `sum by (region) (rate(shoplab_http_requests_total{status=~"5.."}[1m]))`},
			},
			{
				Text:    "Only POST /api/v1/orders fails, and only from one region: compare its 503s with its 201s region by region.",
				Local:   `curl -s {metrics:gateway} | grep '^shoplab_http_requests_total' | grep 'route="/api/v1/orders"' | sort — one region has 503s and no 201s.`,
				Compose: "Dashboard “Checkout”: set the region variable to one region at a time and watch “Checkout responses per second by status”; or run the query below.",
				Query:   &Query{Lang: "promql", Expr: byRegion},
			},
		},
		choose: func(r *rand.Rand) Choice {
			reg := pick(r, region.All()...)
			return Choice{Answer: reg, Incidents: []Incident{{
				Service: topology.Orders, Name: incident.RegionOutage, Params: incident.Params{incident.ParamRegion: reg},
			}}}
		},
		explain: func(c Choice) string {
			return fmt.Sprintf("The orders service could not write the orders of %s customers: their partition of the order store was down, "+
				"so PlaceOrder answered Unavailable and the gateway 503, for that region only. The overall error ratio stays small because the other regions are fine: "+
				"only the region label of the gateway's request counter, a label with a small fixed set of values, singles the region out.", c.Answer)
		},
		evidence: func(ctx context.Context, ev *Evidence, c Choice) []string {
			var out []string
			if fams, err := ev.Metrics(ctx, topology.Gateway); err == nil {
				series := Find(fams, requestsTotal, map[string]string{"route": ordersRoute, "method": "POST"})
				total := SumBy(series, "region")
				var failed []Series
				for _, s := range series {
					if strings.HasPrefix(s.Labels["status"], "5") {
						failed = append(failed, s)
					}
				}
				bad := SumBy(failed, "region")
				line := "POST /api/v1/orders answered 5xx, by region, since the gateway started:"
				for _, r := range region.All() {
					line += fmt.Sprintf(" %s %.0f of %.0f;", r, bad[r], total[r])
				}
				out = append(out, strings.TrimSuffix(line, ";"))
			}
			if lines, err := ev.Logs(topology.Orders, 1, func(l LogLine) bool {
				return l.Msg == "order failed" && l.Fields["region"] == c.Answer
			}); err == nil && len(lines) > 0 {
				out = append(out, "orders log: "+lines[0].String())
				if id := lines[0].TraceID; id != "" {
					out = append(out, "that order's trace, with the line under its span: shoplab trace "+id)
				}
			}
			return out
		},
		links: func(g Grafana, c Choice) []Link {
			return []Link{
				{Label: "Checkout dashboard for " + c.Answer, URL: g.Dashboard(dashboards.CheckoutUID, map[string]string{"region": c.Answer})},
				{Label: "Orders by region and status", URL: g.Explore(Query{Lang: "promql", Expr: byRegion})},
			}
		},
	}
}
