package build

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Latency is a latency graph: quantiles of a duration histogram, with
// exemplars, so that a dot on a slow bucket opens the trace of a request
// that landed in it (the Prometheus data source links trace_id to Tempo).
type Latency struct {
	// Histogram is the histogram's name, without _bucket; its unit is
	// seconds.
	Histogram string
	// Matchers select its series (see Selector); empty selects all.
	Matchers string
	// By splits the series by these labels; none gives one series per
	// quantile.
	By        []string
	Quantiles []Quantile
}

// Panel is the latency graph: one query per quantile, named after By's
// labels and, when there are several quantiles, the quantile.
func (l Latency) Panel(t Text) *timeseries.PanelBuilder {
	g := Graph(t, "s")
	for i, q := range l.Quantiles {
		suffix := q.Name()
		if len(l.Quantiles) == 1 && len(l.By) > 0 {
			suffix = "" // the title names the quantile
		}
		g.WithTarget(PromRange(RefID(i), HistogramQuantile(q, l.Histogram, l.Matchers, l.By), Legend(l.By, suffix)).Exemplar(true))
	}
	return g
}

// Protocol is the request metrics of one side of the shop: the gateway's
// HTTP API or the backends' gRPC servers.
type Protocol struct {
	// requests counts requests; duration is the histogram of their
	// durations, in seconds.
	requests, duration string
	// always are matchers every query of the protocol adds.
	always string
	// errors are the classes of failed requests, the shop's fault first.
	errors []errorClass
	// rateBy are labels a rate graph always splits by, stacked.
	rateBy []string
}

// errorClass is a kind of failed request: the matcher that selects it and
// the legend of its ratio.
type errorClass struct {
	matcher, legend string
}

// HTTP is the gateway's API: shoplab_http_*, by route template and status
// code. Its rate graphs split by status code, stacked: the top of the
// stack is the traffic, the bands its answers.
func HTTP() Protocol {
	return Protocol{
		requests: "shoplab_http_requests_total",
		duration: "shoplab_http_request_duration_seconds",
		errors: []errorClass{
			{matcher: `status=~"5.."`, legend: "5xx / all"},
			{matcher: `status=~"4.."`, legend: "4xx / all"},
		},
		rateBy: []string{"status"},
	}
}

// GRPC is the backends' gRPC servers: grpc_server_* (go-grpc-middleware),
// health checks left out. Server errors are the codes that are the shop's
// fault (gRPC's 5xx), client errors those that are the caller's (its 4xx).
func GRPC() Protocol {
	return Protocol{
		requests: "grpc_server_handled_total",
		duration: "grpc_server_handling_seconds",
		always:   `grpc_service!="grpc.health.v1.Health"`,
		errors: []errorClass{
			{matcher: `grpc_code=~"Unknown|DeadlineExceeded|Unimplemented|Internal|Unavailable|DataLoss"`, legend: "server errors"},
			{matcher: `grpc_code=~"Canceled|InvalidArgument|NotFound|AlreadyExists|PermissionDenied|ResourceExhausted|FailedPrecondition|Aborted|OutOfRange|Unauthenticated"`, legend: "client errors"},
		},
	}
}

// RED is the rate, errors and duration of the requests of a protocol that
// matchers select, split by the labels in By: the first three questions
// about any service.
type RED struct {
	Protocol Protocol
	// Matchers select the requests (see Selector), with the dashboard's
	// variables; empty selects all.
	Matchers string
	// By splits every graph's series (job: one line per service; instance:
	// one per replica); none gives one series for all the requests.
	By []string
}

// Requests is the requests per second over window (RateInterval on a
// graph, "$__range" for the whole time range), of those r selects and
// matcher too (none: ""), summed by by.
func (r RED) Requests(window, matcher string, by []string) string {
	return Sum(by, Rate(r.Protocol.requests, r.matchers(matcher), window))
}

// matchers are r's matchers after extra and before the protocol's own.
func (r RED) matchers(extra string) string {
	sel := Selector(extra, r.Matchers, r.Protocol.always)
	if sel == "" {
		return ""
	}
	return sel[1 : len(sel)-1]
}

// byInstance is r split by instance as well: one series per replica.
func (r RED) byInstance() RED {
	r.By = append(append([]string(nil), r.By...), "instance")
	return r
}

// Rate is the requests per second.
func (r RED) Rate(t Text) *timeseries.PanelBuilder {
	by := append(append([]string(nil), r.By...), r.Protocol.rateBy...)
	g := Graph(t, "reqps")
	if len(r.Protocol.rateBy) > 0 {
		g = Stacked(g)
	}
	return g.WithTarget(PromRange(RefID(0), r.Requests(RateInterval, "", by), Legend(by, "")))
}

// Errors is the share of failed requests, one series per error class. A
// ratio over all requests (no split) shows 0 rather than no data while
// there are no errors.
func (r RED) Errors(t Text) *timeseries.PanelBuilder {
	g := Graph(t, "percentunit").Max(1)
	for i, class := range r.Protocol.errors {
		failed := r.Requests(RateInterval, class.matcher, r.By)
		if len(r.By) == 0 {
			failed = "(" + failed + " or vector(0))"
		}
		g.WithTarget(PromRange(RefID(i), failed+" / "+r.Requests(RateInterval, "", r.By), Legend(r.By, class.legend)))
	}
	return g
}

// Duration is the latency: p50, p95 and p99, with exemplars.
func (r RED) Duration(t Text) *timeseries.PanelBuilder {
	return r.Latency(P50, P95, P99).Panel(t)
}

// Latency is the latency graph of r's requests at quantiles qs.
func (r RED) Latency(qs ...Quantile) Latency {
	return Latency{Histogram: r.Protocol.duration, Matchers: r.matchers(""), By: r.By, Quantiles: qs}
}

// Panels are the RED row: rate, errors and duration side by side.
func (r RED) Panels(rate, errors, duration Text) []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{r.Rate(rate), r.Errors(errors), r.Duration(duration)}
}
