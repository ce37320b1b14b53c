package lesson_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// TestSolveEndsRestoreTheBaseline: however a lesson ends, by stop, by the
// crash of the CLI that started it (its traffic process dies, and the
// next lesson command notices), or by a restart of the lab, the
// incidents are cleared and the shop's metrics behave as before it.
func TestSolveEndsRestoreTheBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole shop")
	}
	shop := labharness.Start(t, nil)
	// The traffic process is a stand-in that only sleeps, with the
	// traffic command in its command line: the test makes the traffic.
	traffic := lesson.Process{
		Executable: "/bin/sh",
		Args:       []string{"-c", "sleep 600; true", lesson.TrafficCommand},
		OutPath:    filepath.Join(t.TempDir(), "traffic.out"),
	}
	e, control := newEngine(t, shop, traffic)
	ctx := context.Background()
	t.Cleanup(func() {
		if _, err := e.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	var users atomic.Int64
	lr := newLearner(t, shop, &users)
	buyer := lr.signUp("us-east")

	t.Run("stop", func(t *testing.T) {
		lr.t = t
		st, err := e.Start(ctx, "red-by-region", lesson.StartOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !traffic.Alive(st.TrafficPID) {
			t.Fatalf("no traffic process %d", st.TrafficPID)
		}
		// The hidden region, read from the progress file: this test
		// checks the mend, not a solver.
		p, err := e.Progress()
		if err != nil {
			t.Fatal(err)
		}
		down := p.Choice.Answer
		counted := func(status string) float64 {
			return total(lr.scrape(topology.Gateway), httpRequests, map[string]string{"route": ordersRoute, "method": "POST", "region": down, "status": status})
		}
		if got := lr.order(buyer, down); got != http.StatusServiceUnavailable {
			t.Fatalf("an order from %s during the lesson: %d, want 503", down, got)
		}
		testkit.WaitFor(t, telemetryWait, "the gateway to count the 503", func() bool { return counted("503") >= 1 })
		failed, created := counted("503"), counted("201")

		if _, err := e.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if traffic.Alive(st.TrafficPID) {
			t.Errorf("traffic process %d still runs after stop", st.TrafficPID)
		}
		assertNoIncidents(t, shop, control)
		const orders = 3
		for range orders {
			if got := lr.order(buyer, down); got != http.StatusCreated {
				t.Fatalf("an order from %s after stop: %d, want 201", down, got)
			}
		}
		testkit.WaitFor(t, telemetryWait, "the gateway to count the orders", func() error {
			if got := counted("201") - created; got < orders {
				return fmt.Errorf("%v of %d orders from %s counted 201", got, orders, down)
			}
			return nil
		})
		var fivexx float64
		for _, r := range readings(lr.scrape(topology.Gateway), httpRequests, map[string]string{"route": ordersRoute, "method": "POST", "region": down}) {
			if strings.HasPrefix(r.labels["status"], "5") {
				fivexx += r.value
			}
		}
		if fivexx != failed {
			t.Errorf("%s's orders answered 5xx %v times in all after stop, %v before it: want no new 5xx", down, fivexx, failed)
		}
	})

	t.Run("crash of the CLI", func(t *testing.T) {
		lr.t = t
		l, _ := e.Lesson("kafka-hop")
		seed := seedDrawing(t, l, incident.OutboxStalled)
		st, err := e.Start(ctx, l.Name, lesson.StartOptions{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		sentBefore := total(lr.scrape(topology.Notification), emailsSent, map[string]string{"outcome": "ok"})
		const orders = 3
		for range orders {
			if got := lr.order(buyer, "eu-west"); got != http.StatusCreated {
				t.Fatalf("order: %d, want 201", got)
			}
		}
		ordersMetrics := testkit.Scrape(shop.Endpoint(topology.Orders).MetricsURL)
		testkit.WaitMetric(t, ordersMetrics, outboxBacklog, nil, orders, telemetryWait)

		// The CLI and its traffic die without a stop: kill the traffic
		// process group this test started.
		if err := syscall.Kill(-st.TrafficPID, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, telemetryWait, "the traffic process to be gone", func() bool { return !traffic.Alive(st.TrafficPID) })
		if on, err := control.List(ctx, "http://"+shop.Endpoint(topology.Orders).HTTP); err != nil || len(on) == 0 {
			t.Fatalf("before the next command, orders' incidents are %v, %v: want the lesson's still on", on, err)
		}
		// The next lesson command is another process: a new Engine over
		// the same data directory.
		next, _ := newEngine(t, shop, traffic)
		got, err := next.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.Active || got.Outcome != lesson.OutcomeTrafficLost || !strings.Contains(got.Notice, "incidents were cleared") {
			t.Errorf("status after the crash: active %v, outcome %q, notice %q; want ended, %q, with a notice", got.Active, got.Outcome, got.Notice, lesson.OutcomeTrafficLost)
		}
		assertNoIncidents(t, shop, control)
		testkit.WaitFor(t, telemetryWait, "the outbox to drain", func() error {
			if v := testkit.MetricValue(t, ordersMetrics, outboxBacklog, nil); v != 0 {
				return fmt.Errorf("backlog %v", v)
			}
			return nil
		})
		testkit.WaitFor(t, telemetryWait, "the stalled orders' e-mails to go out", func() error {
			if got := total(lr.scrape(topology.Notification), emailsSent, map[string]string{"outcome": "ok"}) - sentBefore; got < orders {
				return fmt.Errorf("%v of %d e-mails sent", got, orders)
			}
			return nil
		})
	})

	t.Run("restart of the lab", func(t *testing.T) {
		l, _ := e.Lesson("exemplar-to-span")
		seed := seedDrawing(t, l, incident.SlowQuery+"("+incident.RPCGetProduct+")")
		if _, err := e.Start(ctx, l.Name, lesson.StartOptions{Seed: seed}); err != nil {
			t.Fatal(err)
		}
		slowCalls := func(s *labharness.Shop) float64 {
			fams, err := testkit.Scrape(s.Endpoint(topology.Catalog).MetricsURL).Gather()
			if err != nil {
				t.Fatal(err)
			}
			return summed(readings(fams, grpcHandling, map[string]string{"grpc_method": incident.RPCGetProduct})).slow
		}
		get := func(s *labharness.Shop) {
			c := testkit.Client{Base: s.GatewayURL(), Region: "us-west"}
			c.Do(t, http.MethodGet, productsRoute+"/3", nil).Want(t, http.StatusOK)
		}
		get(shop)
		if n := slowCalls(shop); n != 1 {
			t.Fatalf("GetProduct during the lesson: %v slow calls, want 1", n)
		}
		if err := shop.Lab.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		again := labharness.Start(t, map[string]string{"SHOPLAB_DATA_DIR": shop.Config.DataDir, "SHOPLAB_LOG_DIR": shop.Config.LogDir})
		after, control := newEngine(t, again, traffic)
		st, err := after.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Active || !st.IncidentsLost {
			t.Errorf("status after the restart: active %v, incidents lost %v; want the lesson on, its incidents lost", st.Active, st.IncidentsLost)
		}
		assertNoIncidents(t, again, control)
		for range 3 {
			get(again)
		}
		if n := slowCalls(again); n != 0 {
			t.Errorf("GetProduct after the restart: %v slow calls, want none", n)
		}
		if _, err := after.Stop(ctx); err != nil && !errors.Is(err, lesson.ErrNoLesson) {
			t.Fatal(err)
		}
	})
}

// seedDrawing is the first seed whose choice for l has the variant want
// in its variantOf.
func seedDrawing(t *testing.T, l *lesson.Lesson, want string) uint64 {
	t.Helper()
	for seed := uint64(1); seed <= 500; seed++ {
		if strings.Contains(variantOf(l.Choose(seed)), want) {
			return seed
		}
	}
	t.Fatalf("no seed of %s draws %s", l.Name, want)
	return 0
}
