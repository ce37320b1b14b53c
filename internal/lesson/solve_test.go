package lesson_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

// TestSolveLessons is the proof that every local-mode lesson is solvable
// from the telemetry: in a whole shop, each lesson is started with seeds
// that between them draw every hidden choice, a solver that sees only
// what a learner sees (/metrics, the trace store, the log files) finds the
// answer, the engine accepts it and rejects every other option, and the
// shop is mended afterwards.
func TestSolveLessons(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole shop through every lesson")
	}
	shop := labharness.Start(t, nil)
	e, control := newEngine(t, shop, nil)
	var users atomic.Int64
	buyer := newLearner(t, shop, &users).signUp("us-east")
	for _, l := range e.List() {
		t.Run(l.Name, func(t *testing.T) {
			if l.NeedsCompose {
				t.Skipf("%s needs the compose stack (it stops a container of the pipeline); engine_test.go covers it with fakes", l.Name)
			}
			solve, ok := solvers[l.Name]
			if !ok {
				t.Fatalf("lesson %s has no solver: every local-mode lesson needs one here", l.Name)
			}
			for _, seed := range seedsFor(l) {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					lr := newLearner(t, shop, &users)
					lr.buyer = buyer
					solveOnce(t, shop, e, control, l, seed, lr, solve)
				})
			}
		})
	}
}

// solveOnce runs lesson l with seed through solve and checks the
// engine's verdicts.
func solveOnce(t *testing.T, shop *labharness.Shop, e *lesson.Engine, control incident.Client, l *lesson.Lesson, seed uint64, lr *learner, solve solver) {
	ctx := context.Background()
	awaitQuiet(t, shop)
	lr.begin()
	if _, err := e.Start(ctx, l.Name, lesson.StartOptions{Seed: seed, NoTraffic: true}); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, the next lesson starts on a mended shop.
	t.Cleanup(func() {
		if _, err := e.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	took := time.Now()
	sol := solve(lr, l)
	for _, ev := range lr.evidence {
		t.Logf("evidence: %s", ev)
	}
	hidden := func() string {
		if p, err := e.Progress(); err == nil && p != nil {
			return p.Choice.Answer
		}
		return "?"
	}
	wrong := sol.others
	for _, o := range l.Options {
		if o.Value != sol.answer {
			wrong = append(wrong, o.Value)
		}
	}
	for _, w := range wrong {
		res, err := e.Answer(ctx, w)
		if err != nil {
			t.Fatalf("answer %q: %v", w, err)
		}
		if !res.Known || res.Correct {
			t.Fatalf("answer %q, which the solver ruled out: verdict %+v, want known and wrong (the solver answers %q, the hidden answer is %q)", w, res.Verdict, sol.answer, hidden())
		}
	}
	res, err := e.Answer(ctx, sol.answer)
	if err != nil {
		t.Fatalf("answer %q: %v", sol.answer, err)
	}
	if !res.Correct {
		t.Fatalf("the solver answered %q from the telemetry; the checker says %+v (the hidden answer is %q)", sol.answer, res.Verdict, hidden())
	}
	if res.Debrief == nil || len(res.Debrief.Evidence) == 0 {
		t.Errorf("a right answer without a debrief's evidence: %+v", res.Debrief)
	} else {
		t.Logf("debrief evidence: %s", strings.Join(res.Debrief.Evidence, " | "))
	}
	t.Logf("seed %d: solved %q in %s, after rejecting %q", seed, sol.answer, time.Since(took).Round(10*time.Millisecond), wrong)

	// The checker itself, on the choice the lesson drew.
	p, err := e.Progress()
	if err != nil {
		t.Fatal(err)
	}
	if p.Active() || p.Outcome != lesson.OutcomeSolved {
		t.Errorf("after the right answer the lesson is %+v, want solved", p)
	}
	for _, o := range l.Options {
		if v := l.Check(p.Choice, o.Value); !v.Known || v.Correct != (o.Value == sol.answer) {
			t.Errorf("Check(%q) = %+v with the hidden answer %q", o.Value, v, p.Choice.Answer)
		}
	}
	for _, a := range sol.alsoRight {
		if v := l.Check(p.Choice, a); !v.Correct {
			t.Errorf("Check(%q), which names the same cause, = %+v", a, v)
		}
	}
	assertNoIncidents(t, shop, control)
}

// variantOf tells a lesson's hidden choices apart: the answer, and what
// was broken to cause it where the same answer has several causes (a
// catalog RPC slowed, or another). A region-outage's region is left out
// where it is not the answer.
func variantOf(c lesson.Choice) string {
	v := c.Answer
	for _, inc := range c.Incidents {
		v += " " + inc.Service + "/" + inc.Name
		if rpc := inc.Params[incident.ParamRPC]; rpc != "" {
			v += "(" + rpc + ")"
		}
	}
	return v
}

// seedsFor are the seeds that draw each of l's variants first, from the
// first 500; at least two.
func seedsFor(l *lesson.Lesson) []uint64 {
	const seeds = 500
	seen := map[string]bool{}
	var out []uint64
	for seed := uint64(1); seed <= seeds; seed++ {
		if v := variantOf(l.Choose(seed)); !seen[v] {
			seen[v] = true
			out = append(out, seed)
		}
	}
	for seed := uint64(1); len(out) < 2; seed++ {
		if !slices.Contains(out, seed) {
			out = append(out, seed)
		}
	}
	return out
}

// newEngine is an Engine over shop, as `shoplab lesson` builds one in
// local mode; traffic may be nil (the test drives the shop itself).
func newEngine(t *testing.T, shop *labharness.Shop, traffic lesson.Traffic) (*lesson.Engine, incident.Client) {
	t.Helper()
	token, err := incident.LoadToken(shop.Config.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	control := incident.Client{Token: token, HTTP: &http.Client{Timeout: 10 * time.Second}}
	return lesson.New(lesson.Deps{
		DataDir:  shop.Config.DataDir,
		Services: shop.Lab.Endpoints(),
		Control:  control,
		Traffic:  traffic,
		Evidence: lesson.Evidence{
			LogDir: shop.Config.LogDir, DataDir: shop.Config.DataDir, Traces: traceview.NewLocal(shop.Config.LogDir),
		},
	}), control
}

// awaitQuiet waits until the e-mails of earlier lessons are out: no event
// waits in the outbox, no e-mail in the notification service.
func awaitQuiet(t *testing.T, shop *labharness.Shop) {
	t.Helper()
	orders := testkit.Scrape(shop.Endpoint(topology.Orders).MetricsURL)
	notification := testkit.Scrape(shop.Endpoint(topology.Notification).MetricsURL)
	testkit.WaitFor(t, 60*time.Second, "the outbox and the e-mail queue to drain", func() error {
		backlog := testkit.MetricValue(t, orders, outboxBacklog, nil)
		pending := testkit.MetricValue(t, notification, pendingEmails, nil)
		if backlog != 0 || pending != 0 {
			return fmt.Errorf("outbox backlog %v, pending e-mails %v", backlog, pending)
		}
		return nil
	})
}

// assertNoIncidents checks that no service has an incident on.
func assertNoIncidents(t *testing.T, shop *labharness.Shop, control incident.Client) {
	t.Helper()
	for _, ep := range shop.Lab.Endpoints() {
		on, err := control.List(context.Background(), "http://"+ep.HTTP)
		if err != nil || len(on) != 0 {
			t.Errorf("%s: incidents %v, %v; want none", ep.Service, on, err)
		}
	}
}
