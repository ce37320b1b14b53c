package lesson_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

// solution is what a solver concluded.
type solution struct {
	answer string
	// others are answers the solver ruled out, for a lesson that lists
	// no options (an open kind such as a metric name).
	others []string
	// alsoRight are other findings that name the same cause (a metric's
	// harmful label), which the checker must accept too.
	alsoRight []string
}

// solver investigates a lesson that is on, as a learner would: it makes
// traffic the same way whatever was broken, reads only the telemetry
// (through lr), and names the option the evidence points at. It fails
// the test when the evidence is not conclusive.
type solver func(lr *learner, l *lesson.Lesson) solution

// solvers holds one solver per local-mode lesson.
var solvers = map[string]solver{
	"red-by-region":    solveRedByRegion,
	"exemplar-to-span": solveExemplarToSpan,
	"logs-and-traces":  solveLogsAndTraces,
	"kafka-hop":        solveKafkaHop,
	"cardinality":      solveCardinality,
	"trace-shape":      solveTraceShape,
	"slow-database":    solveSlowDatabase,
}

// The metrics the solvers read, as a learner finds them on /metrics.
const (
	httpRequests  = "shoplab_http_requests_total"
	httpDuration  = "shoplab_http_request_duration_seconds"
	grpcHandling  = "grpc_server_handling_seconds"
	outboxBacklog = "shoplab_outbox_backlog"
	kafkaProduced = "shoplab_kafka_messages_produced_total"
	pendingEmails = "shoplab_notification_pending_emails"
	emailLatency  = "shoplab_notification_latency_seconds"
	emailsSent    = "shoplab_notifications_sent_total"
	// healthService is the gRPC health check's service, not the shop's.
	healthService = "grpc.health.v1.Health"
)

// The shop's routes, and its traffic in scenarios/ (the repository's, as
// shoplab load finds them).
const (
	ordersRoute      = "/api/v1/orders"
	productsRoute    = "/api/v1/products"
	scenariosDir     = "../../scenarios"
	browseScenario   = "browse"
	checkoutScenario = "checkout"
)

// telemetryWait bounds each wait for the telemetry to show something:
// generous, for a loaded machine.
const telemetryWait = 20 * time.Second

// solveRedByRegion: orders from every region, then the gateway's request
// counter split by region: one region's POST /api/v1/orders answer 5xx.
func solveRedByRegion(lr *learner, l *lesson.Lesson) solution {
	t := lr.t
	match := map[string]string{"route": ordersRoute, "method": "POST"}
	before := readings(lr.scrape(topology.Gateway), httpRequests, match)
	regions := l.OptionValues()
	const perRegion = 2
	for _, r := range regions {
		for range perRegion {
			lr.order(lr.buyer, r)
		}
	}
	var all, failed map[string]reading
	testkit.WaitFor(t, telemetryWait, "the gateway to count every order", func() error {
		inc := increase(before, readings(lr.scrape(topology.Gateway), httpRequests, match))
		var bad []reading
		for _, r := range inc {
			if strings.HasPrefix(r.labels["status"], "5") {
				bad = append(bad, r)
			}
		}
		all, failed = sumBy(inc, "region"), sumBy(bad, "region")
		if n := sumBy(inc, "")[""].value; n < float64(perRegion*len(regions)) {
			return fmt.Errorf("%v of %d orders counted", n, perRegion*len(regions))
		}
		return nil
	})
	var suspects []string
	for _, r := range regions {
		lr.note("gateway /metrics: increase of %s{route=%q, method=\"POST\", region=%q}: %.0f with status 5xx of %.0f", httpRequests, ordersRoute, r, failed[r].value, all[r].value)
		if failed[r].value > 0 {
			suspects = append(suspects, r)
		}
	}
	if len(suspects) != 1 {
		t.Fatalf("want exactly one region whose orders fail, found %v", suspects)
	}
	return solution{answer: suspects[0]}
}

// solveExemplarToSpan: browsing traffic; the gateway's latency histogram
// names the slow route; the slowest trace of that route (the exemplar's
// trace) has a long leaf span, and the catalog server span above it is
// the RPC.
func solveExemplarToSpan(lr *learner, l *lesson.Lesson) solution {
	t := lr.t
	match := map[string]string{"method": "GET"}
	before := readings(lr.scrape(topology.Gateway), httpDuration, match)
	lr.runScenario(browseScenario, 8, 1500*time.Millisecond, 1)
	byRoute := sumBy(increase(before, readings(lr.scrape(topology.Gateway), httpDuration, match)), "route")
	route, worst := "", 0.0
	for r, s := range byRoute {
		if s.value == 0 || !strings.HasPrefix(r, productsRoute) {
			continue
		}
		mean := s.sum / s.value
		lr.note("gateway /metrics: GET %s mean latency %s over %.0f requests", r, ms(time.Duration(mean*float64(time.Second))), s.value)
		if mean > worst {
			route, worst = r, mean
		}
	}
	if route == "" {
		t.Fatal("the browsing traffic reached no product route")
	}
	var rpc string
	testkit.WaitFor(t, telemetryWait, "the slowest trace of GET "+route+" with its catalog spans", func() error {
		slow := lr.recentTraces("GET " + route)
		if len(slow) == 0 {
			return errors.New("no trace of the route in the trace store yet")
		}
		tr, err := lr.trace(slow[0].TraceID)
		if err != nil {
			return err
		}
		leaf := longestLeaf(tr)
		srv := ancestor(tr, leaf, func(s *traceview.Span) bool { return s.Kind == "server" && s.Service == topology.Catalog })
		if srv == nil {
			return fmt.Errorf("trace %s: no catalog server span above its longest leaf %q yet", tr.TraceID, leaf.Name)
		}
		rpc = srv.Name[strings.LastIndexAny(srv.Name, "/.")+1:]
		lr.note("trace store: slowest GET %s is trace %s (%.0f ms); its longest leaf span %q (%s, %s) is under %s (%s)",
			route, tr.TraceID, slow[0].DurationMS, leaf.Name, leaf.Service, ms(leaf.Duration()), srv.Name, ms(srv.Duration()))
		return nil
	})
	if !slices.Contains(l.OptionValues(), rpc) {
		t.Fatalf("the slow span is under %s, none of the options %v", rpc, l.OptionValues())
	}
	return solution{answer: rpc}
}

// solveLogsAndTraces: orders from every region; the trace_id of an
// ERROR line (or a WARN line: a failure that is retried) leads to its
// trace; the failed span where the failure starts carries the line whose
// error field says why; the option that says the same is the answer.
func solveLogsAndTraces(lr *learner, l *lesson.Lesson) solution {
	t := lr.t
	for _, r := range region.All() {
		lr.order(lr.buyer, r)
	}
	failing := func(level string) bool { return level == "ERROR" || level == "WARN" }
	var cause string
	testkit.WaitFor(t, telemetryWait, "a failed span with the log line that says why", func() error {
		lines := lr.logLines(func(ln logLine) bool { return failing(ln.Level) && ln.TraceID != "" })
		if len(lines) == 0 {
			return errors.New("no ERROR or WARN line with a trace_id yet")
		}
		// Errors before warnings, a few traces at most.
		slices.SortStableFunc(lines, func(a, b logLine) int { return cmp.Compare(a.Level, b.Level) })
		seen := map[string]bool{}
		var last error
		for _, ln := range lines {
			if seen[ln.TraceID] || len(seen) == 5 {
				continue
			}
			seen[ln.TraceID] = true
			tr, err := lr.trace(ln.TraceID)
			if err != nil {
				last = err
				continue
			}
			for _, s := range tr.Spans {
				if !s.Failed() || slices.ContainsFunc(children(tr, s), (*traceview.Span).Failed) {
					continue
				}
				// s is where the failure starts: no child of it failed.
				for _, lg := range s.Logs {
					if failing(lg.Level) && lg.Fields["error"] != "" {
						if !slices.ContainsFunc(l.Hints, func(h lesson.Hint) bool {
							return strings.Contains(h.Local, `"level":"`) && strings.Contains(h.Local, lg.Level)
						}) {
							t.Errorf("the cause is in a %s line, and no hint's grep finds %s lines", lg.Level, lg.Level)
						}
						cause = lg.Msg + ": " + lg.Fields["error"]
						lr.note("%s log: %s %q trace_id=%s", ln.Service, ln.Level, ln.Msg, ln.TraceID)
						lr.note("trace store: trace %s, failed span %q (%s, status %q) carries the %s line %q", tr.TraceID, s.Name, s.Service, s.StatusMessage, lg.Level, cause)
						return nil
					}
				}
			}
			last = fmt.Errorf("trace %s: no failed span with its log line (yet)", tr.TraceID)
		}
		return last
	})
	answer, err := closestOption(l, cause)
	if err != nil {
		t.Fatal(err)
	}
	return solution{answer: answer}
}

// solveKafkaHop: orders, then the asynchronous hop's gauges: events that
// never leave the outbox, or events that reach the notification service
// and wait there for the mail server.
func solveKafkaHop(lr *learner, l *lesson.Lesson) solution {
	t := lr.t
	producedBefore := total(lr.scrape(topology.Orders), kafkaProduced, map[string]string{"outcome": "ok"})
	latencyBefore := summed(readings(lr.scrape(topology.Notification), emailLatency, nil))
	const orders = 3
	for _, r := range region.All()[:orders] {
		lr.order(lr.buyer, r)
	}
	var (
		answer     string
		stuckSince time.Time
	)
	testkit.WaitFor(t, telemetryWait, "the hop where the e-mails wait", func() error {
		of := lr.scrape(topology.Orders)
		nf := lr.scrape(topology.Notification)
		backlog := total(of, outboxBacklog, nil)
		produced := total(of, kafkaProduced, map[string]string{"outcome": "ok"}) - producedBefore
		pending := total(nf, pendingEmails, nil)
		lat := summed(readings(nf, emailLatency, nil))
		sent, latSum := lat.value-latencyBefore.value, lat.sum-latencyBefore.sum
		state := fmt.Sprintf("outbox backlog %.0f, %.0f published to Kafka, %.0f e-mails pending, %.0f sent", backlog, produced, pending, sent)
		switch {
		case backlog >= orders && produced == 0:
			// Stuck, not just on its way: still so a second later.
			if stuckSince.IsZero() {
				stuckSince = time.Now()
			}
			if time.Since(stuckSince) < time.Second {
				return errors.New(state)
			}
			lr.note("orders /metrics: %s stays at %.0f events for %s while %s{outcome=\"ok\"} does not move: the events never leave the outbox", outboxBacklog, backlog, time.Since(stuckSince).Round(100*time.Millisecond), kafkaProduced)
			answer = optionWith(t, l, "outbox")
		case produced >= orders && (pending > 0 || (sent > 0 && latSum/sent > 1)):
			line := fmt.Sprintf("orders /metrics: %.0f events published, outbox backlog %.0f; notification /metrics: %s %.0f", produced, backlog, pendingEmails, pending)
			if sent > 0 {
				line += fmt.Sprintf(", mean order-to-e-mail latency %.1f s over %.0f e-mails", latSum/sent, sent)
			}
			lr.note("%s: the events arrive, the e-mails wait for the mail server", line)
			answer = optionWith(t, l, "mail server")
		default:
			stuckSince = time.Time{}
			return errors.New(state)
		}
		return nil
	})
	return solution{answer: answer}
}

// solveCardinality: new customers order; the gateway's series are
// counted per metric before and after: one metric gains a series per
// customer, through a label that takes a value per user.
func solveCardinality(lr *learner, _ *lesson.Lesson) solution {
	t := lr.t
	// The first customers make every route, region and status series
	// there is; only a per-user label grows after them.
	lr.customersOrder(2)
	before := lr.scrape(topology.Gateway)
	const customers = 3
	lr.customersOrder(customers)
	after := lr.scrape(topology.Gateway)
	was, now := seriesCounts(before), seriesCounts(after)
	names := slices.Collect(maps.Keys(now))
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(now[b]-was[b], now[a]-was[a]), cmp.Compare(now[b], now[a]), strings.Compare(a, b))
	})
	top, next := names[0], names[1]
	lr.note("gateway /metrics: series per metric before and after %d new customers ordered: %s %d → %d; the next, %s %d → %d",
		customers, top, was[top], now[top], next, was[next], now[next])
	if grew := now[top] - was[top]; grew < customers || now[next] != was[next] {
		t.Fatalf("no metric grows with the customers alone: %s +%d, %s +%d", top, grew, next, now[next]-was[next])
	}
	// The label that takes a new value per customer.
	values := func(rs map[string]reading) map[string]map[string]bool {
		out := map[string]map[string]bool{}
		for _, r := range rs {
			for k, v := range r.labels {
				if out[k] == nil {
					out[k] = map[string]bool{}
				}
				out[k][v] = true
			}
		}
		return out
	}
	vb, va := values(readings(before, top, nil)), values(readings(after, top, nil))
	var labels []string
	for label, vs := range va {
		if len(vs)-len(vb[label]) >= customers {
			labels = append(labels, label)
			lr.note("gateway /metrics: %s's label %s has %d values after %d before: one per customer", top, label, len(vs), len(vb[label]))
		}
	}
	if len(labels) != 1 {
		t.Fatalf("%s: labels %v grow with the customers, want one", top, labels)
	}
	// Wrong answers: the metrics that are big but do not grow, and the
	// bounded label every request metric has.
	others := []string{"route"}
	for _, n := range names[1:] {
		if strings.HasPrefix(n, "shoplab_") && len(others) < 4 {
			others = append(others, n)
		}
	}
	return solution{answer: top, others: others, alsoRight: labels}
}

// solveTraceShape: product lists; in a list's trace, the catalog's
// ListProducts span holds either one long database span or many short
// ones.
func solveTraceShape(lr *learner, l *lesson.Lesson) solution {
	t := lr.t
	for _, r := range region.All()[:4] {
		lr.get(productsRoute, r)
	}
	var answer string
	testkit.WaitFor(t, telemetryWait, "a trace of GET "+productsRoute+" with its catalog spans", func() error {
		list := lr.recentTraces("GET " + productsRoute)
		if len(list) == 0 {
			return errors.New("no trace of the product list in the trace store yet")
		}
		tr, err := lr.trace(list[0].TraceID)
		if err != nil {
			return err
		}
		srv := serverSpan(tr, topology.Catalog, "/ListProducts")
		if srv == nil {
			return fmt.Errorf("trace %s: no ListProducts span yet", tr.TraceID)
		}
		var queries []*traceview.Span
		statements := map[string]bool{}
		var longest time.Duration
		for _, c := range children(tr, srv) {
			if c.Attributes["db.system.name"] == "" {
				continue
			}
			queries = append(queries, c)
			statements[c.Name] = true
			longest = max(longest, c.Duration())
		}
		lr.note("trace store: trace %s, %s took %s with %d database span(s) named %v under it, the longest %s",
			tr.TraceID, srv.Name, ms(srv.Duration()), len(queries), slices.Sorted(maps.Keys(statements)), ms(longest))
		switch {
		case len(queries) > 2:
			answer = optionWith(t, l, "N+1")
		case len(queries) == 1 && longest >= 100*time.Millisecond && longest >= srv.Duration()/2:
			answer = optionWith(t, l, "slow query")
		default:
			return fmt.Errorf("trace %s: the shape says nothing (yet)", tr.TraceID)
		}
		return nil
	})
	return solution{answer: answer}
}

// solveSlowDatabase: checkout traffic (product pages, sign-ups, orders)
// in short runs until one backend's server-side latency histogram stands
// out: the service whose calls are slow, though it calls nothing slow
// itself.
func solveSlowDatabase(lr *learner, _ *lesson.Lesson) solution {
	t := lr.t
	backends := []string{topology.Auth, topology.Catalog, topology.Orders}
	before := map[string]map[string]reading{}
	for _, svc := range backends {
		before[svc] = readings(lr.scrape(svc), grpcHandling, nil)
	}
	for run := range 8 {
		// Arrivals at their own pace, not in step with the shop: a
		// client that waits for each answer before the next request
		// falls into the gaps between a lock's holds.
		lr.runScenario(checkoutScenario, 6, 1500*time.Millisecond, uint64(run+1))
		slow := map[string]float64{}
		var lines []string
		for _, svc := range backends {
			var inc []reading
			for _, rd := range increase(before[svc], readings(lr.scrape(svc), grpcHandling, nil)) {
				if rd.labels["grpc_service"] != healthService {
					inc = append(inc, rd)
				}
			}
			for m, rd := range sumBy(inc, "grpc_method") {
				if rd.value > 0 {
					slow[svc] += rd.slow
					lines = append(lines, fmt.Sprintf("%s /metrics, %s{grpc_method=%q}: %.0f of %.0f calls over %.0f ms (mean %s)",
						svc, grpcHandling, m, rd.slow, rd.value, slowSeconds*1000, ms(time.Duration(rd.sum/rd.value*float64(time.Second)))))
				}
			}
		}
		ranked := slices.Clone(backends)
		slices.SortFunc(ranked, func(a, b string) int { return cmp.Compare(slow[b], slow[a]) })
		if lead, runnerUp := slow[ranked[0]], slow[ranked[1]]; lead >= 3 && lead >= 3*runnerUp {
			slices.Sort(lines)
			for _, line := range lines {
				lr.note("%s", line)
			}
			lr.note("after %d run(s) of traffic, %s has %.0f slow server-side calls, %s %.0f", run+1, ranked[0], lead, ranked[1], runnerUp)
			return solution{answer: ranked[0]}
		}
	}
	t.Fatal("no backend's latency stands out")
	return solution{}
}

// longestLeaf is the longest span of t that has no child.
func longestLeaf(t *traceview.Trace) *traceview.Span {
	parents := map[string]bool{}
	for _, s := range t.Spans {
		parents[s.ParentID] = true
	}
	var best *traceview.Span
	for _, s := range t.Spans {
		if !parents[s.SpanID] && (best == nil || s.Duration() > best.Duration()) {
			best = s
		}
	}
	return best
}

// optionWith is the option of l whose text contains s, as a learner
// matches what they found with the list.
func optionWith(t *testing.T, l *lesson.Lesson, s string) string {
	t.Helper()
	var out []string
	for _, o := range l.Options {
		if strings.Contains(strings.ToLower(o.Value), strings.ToLower(s)) {
			out = append(out, o.Value)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%q matches options %v of %v", s, out, l.OptionValues())
	}
	return out[0]
}

// closestOption is the option of l that shares the most of its words with
// text (an error message): the learner's reading of the list.
func closestOption(l *lesson.Lesson, text string) (string, error) {
	have := map[string]bool{}
	for _, w := range words(text) {
		have[w] = true
	}
	type scored struct {
		value string
		score float64
	}
	var all []scored
	for _, o := range l.Options {
		ws := words(o.Value)
		n := 0
		for _, w := range ws {
			if have[w] {
				n++
			}
		}
		all = append(all, scored{o.Value, float64(n) / float64(max(len(ws), 1))})
	}
	slices.SortFunc(all, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	if all[0].score < 0.5 || all[0].score == all[1].score {
		return "", fmt.Errorf("the error %q matches no option clearly: %v", text, all)
	}
	return all[0].value, nil
}

// words are text's significant words, lower-case, a plural's s cut.
func words(text string) []string {
	stop := map[string]bool{"the": true, "and": true, "too": true, "are": true, "its": true, "will": true}
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if len(w) < 3 || stop[w] {
			continue
		}
		if len(w) > 3 && strings.HasSuffix(w, "s") {
			w = w[:len(w)-1]
		}
		out = append(out, w)
	}
	return out
}

// runScenario runs a scenario of scenarios/ with the load engine at
// rate journeys per second for d, without think times.
func (lr *learner) runScenario(name string, rate float64, d time.Duration, seed uint64) {
	lr.t.Helper()
	sc, err := load.Find(filepath.FromSlash(scenariosDir), name)
	if err != nil {
		lr.t.Fatal(err)
	}
	e, err := load.New(sc, load.Options{Target: lr.gateway, Rate: rate, Duration: d, NoThink: true, Seed: seed, Drain: 30 * time.Second})
	if err != nil {
		lr.t.Fatal(err)
	}
	res, err := e.Run(context.Background())
	if err != nil {
		lr.t.Fatal(err)
	}
	lr.note("load engine: scenario %s, %d journeys, %d requests", name, res.Generator.Started, res.Total.Requests)
}

// customersOrder signs up n new customers, each of whom orders once, and
// waits until the gateway has counted their orders.
func (lr *learner) customersOrder(n int) {
	lr.t.Helper()
	match := map[string]string{"route": ordersRoute, "method": "POST"}
	before := total(lr.scrape(topology.Gateway), httpRequests, match)
	for range n {
		c := lr.signUp("eu-west")
		lr.order(c, "eu-west")
	}
	testkit.WaitFor(lr.t, telemetryWait, "the gateway to count the orders", func() error {
		if got := total(lr.scrape(topology.Gateway), httpRequests, match) - before; got < float64(n) {
			return fmt.Errorf("%v of %d counted", got, n)
		}
		return nil
	})
}
