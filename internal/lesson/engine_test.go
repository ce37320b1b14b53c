package lesson

import (
	"context"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/topology"
)

func TestProgressRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if p, err := LoadProgress(dir); p != nil || err != nil {
		t.Fatalf("no file: LoadProgress = %+v, %v; want nil, nil", p, err)
	}
	want := &Progress{
		Lesson: "red-by-region", Seed: 42, Mode: ModeCompose,
		Choice:    Choice{Answer: "ap-south", Incidents: []Incident{{Service: "orders", Name: incident.RegionOutage, Params: incident.Params{"region": "ap-south"}}}},
		HintsUsed: 2, Attempts: 3, Traffic: true, TrafficPID: 4242,
		Started: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Finished: time.Date(2026, 1, 2, 3, 9, 0, 0, time.UTC), Outcome: OutcomeSolved,
	}
	if err := SaveProgress(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadProgress(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	st, err := os.Stat(ProgressPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("lesson.json has mode %v, want 0600: it holds the answer", st.Mode().Perm())
	}
	if got.Active() {
		t.Error("a finished lesson reads as active")
	}
	if err := os.WriteFile(ProgressPath(dir), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadProgress(dir); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("a corrupt file: err = %v, want one saying so", err)
	}
}

func TestStartBreaksTheShopAndStopMendsIt(t *testing.T) {
	lab := newFakeLab(t)
	traffic := &fakeTraffic{}
	e, dir := testEngine(t, lab, ModeLocal, traffic, nil)
	ctx := context.Background()

	st, err := e.Start(ctx, "red-by-region", StartOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Progress()
	if err != nil {
		t.Fatal(err)
	}
	want := lessonNamed(t, "red-by-region").Choose(7)
	if !reflect.DeepEqual(p.Choice, want) {
		t.Errorf("progress holds choice %+v, want seed 7's %+v", p.Choice, want)
	}
	if got := lab.sets[topology.Orders].Active(); len(got) != 1 || got[0].Name != incident.RegionOutage || got[0].Params[incident.ParamRegion] != want.Answer {
		t.Errorf("orders' incidents = %+v, want region-outage in %s", got, want.Answer)
	}
	if !st.Active || st.Seed != 7 || st.Mode != ModeLocal || st.TrafficPID == 0 || p.TrafficPID != st.TrafficPID {
		t.Errorf("status = %+v, progress pid %d", st, p.TrafficPID)
	}
	if len(traffic.started) != 1 || traffic.started[0] != (TrafficSpec{Scenario: "checkout", Rate: 2, Seed: 7}) {
		t.Errorf("traffic started %+v", traffic.started)
	}

	// A stray incident (another tool, an earlier crash): stop clears it too.
	if err := lab.sets[topology.Catalog].On(incident.NPlusOne, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if on := lab.on(); len(on) != 0 {
		t.Errorf("after stop, incidents still on: %v", on)
	}
	if !slices.Equal(traffic.stopped, []int{st.TrafficPID}) {
		t.Errorf("traffic stopped %v, want [%d]", traffic.stopped, st.TrafficPID)
	}
	p, _ = LoadProgress(dir)
	if p.Active() || p.Outcome != OutcomeStopped {
		t.Errorf("after stop: progress %+v", p)
	}
	if _, err := e.Hint(ctx); !errors.Is(err, ErrNoLesson) {
		t.Errorf("hint after stop: %v, want ErrNoLesson", err)
	}
	// Stop with nothing on still clears.
	if err := lab.sets[topology.Gateway].On(incident.Cardinality, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if on := lab.on(); len(on) != 0 {
		t.Errorf("stop with no lesson left %v on", on)
	}
}

func TestStartRefuses(t *testing.T) {
	ctx := context.Background()
	lab := newFakeLab(t)

	t.Run("unknown lesson", func(t *testing.T) {
		e, _ := testEngine(t, lab, ModeLocal, nil, nil)
		if _, err := e.Start(ctx, "nope", StartOptions{}); !errors.Is(err, ErrUnknownLesson) || !strings.Contains(err.Error(), "red-by-region") {
			t.Errorf("err = %v, want ErrUnknownLesson listing the lessons", err)
		}
	})
	t.Run("lab down", func(t *testing.T) {
		e, dir := testEngine(t, lab, ModeLocal, nil, nil)
		e.d.Services = []topology.Endpoint{topology.NewEndpoint(topology.Gateway, "127.0.0.1:1", "")}
		if _, err := e.Start(ctx, "red-by-region", StartOptions{}); !errors.Is(err, ErrLabDown) || !strings.Contains(err.Error(), "shoplab up") {
			t.Errorf("err = %v, want ErrLabDown saying how to start the lab", err)
		}
		if p, _ := LoadProgress(dir); p != nil {
			t.Errorf("a refused start left progress %+v", p)
		}
	})
	t.Run("compose lesson in local mode", func(t *testing.T) {
		e, _ := testEngine(t, lab, ModeLocal, nil, &fakeContainers{})
		if _, err := e.Start(ctx, "broken-pipeline", StartOptions{}); !errors.Is(err, ErrNeedsCompose) || !strings.Contains(err.Error(), "local mode") {
			t.Errorf("err = %v, want ErrNeedsCompose naming local mode", err)
		}
	})
	t.Run("a lesson is on", func(t *testing.T) {
		e, _ := testEngine(t, lab, ModeLocal, nil, nil)
		if _, err := e.Start(ctx, "kafka-hop", StartOptions{Seed: 1}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Stop(ctx) })
		if _, err := e.Start(ctx, "cardinality", StartOptions{}); !errors.Is(err, ErrActive) || !strings.Contains(err.Error(), "kafka-hop") {
			t.Errorf("err = %v, want ErrActive naming kafka-hop", err)
		}
	})
	if on := lab.on(); len(on) != 0 {
		t.Errorf("incidents left on: %v", on)
	}
}

// TestFailedStartIsUndone: a control surface that refuses (a wrong token)
// fails the start, and what was switched on before is switched off.
func TestFailedStartIsUndone(t *testing.T) {
	lab := newFakeLab(t)
	traffic := &fakeTraffic{}
	e, dir := testEngine(t, lab, ModeLocal, traffic, nil)
	e.d.Control = incident.Client{Token: "wrong"}
	_, err := e.Start(context.Background(), "red-by-region", StartOptions{})
	if !errors.Is(err, incident.ErrUnauthorized) {
		t.Fatalf("err = %v, want the control surface's refusal", err)
	}
	if p, _ := LoadProgress(dir); p == nil || p.Active() || p.Outcome != OutcomeStartFailed {
		t.Errorf("after a failed start: progress %+v, want a finished one", p)
	}
	if len(traffic.started) != 0 {
		t.Errorf("traffic started by a failed start: %v", traffic.started)
	}
}

// TestFaultsOff: a lab that refuses incidents (SHOPLAB_FAULTS=off) fails
// the start with its reason and leaves nothing to undo; stop still works.
func TestFaultsOff(t *testing.T) {
	lab := newFakeLabFaults(t, false)
	traffic := &fakeTraffic{}
	e, _ := testEngine(t, lab, ModeLocal, traffic, nil)
	ctx := context.Background()
	_, err := e.Start(ctx, "cardinality", StartOptions{})
	if !errors.Is(err, incident.ErrForbidden) || !strings.Contains(err.Error(), "SHOPLAB_FAULTS") || strings.Contains(err.Error(), "undoing") {
		t.Errorf("start: %v, want the refusal naming SHOPLAB_FAULTS and nothing to undo", err)
	}
	if p, _ := e.Progress(); p.Active() {
		t.Error("a refused start left the lesson on")
	}
	if _, err := e.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

func TestHintsComeInOrder(t *testing.T) {
	lab := newFakeLab(t)
	ctx := context.Background()
	for _, mode := range []Mode{ModeLocal, ModeCompose} {
		t.Run(string(mode), func(t *testing.T) {
			e, _ := testEngine(t, lab, mode, nil, nil)
			if _, err := e.Start(ctx, "red-by-region", StartOptions{NoTraffic: true}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { e.Stop(ctx) })
			l := lessonNamed(t, "red-by-region")
			for i, wantN := range []int{1, 2, 3, 3} {
				h, err := e.Hint(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if h.N != wantN || h.Of != 3 || h.Text != l.Hints[wantN-1].Text {
					t.Errorf("hint call %d = %d of %d %q, want hint %d", i+1, h.N, h.Of, h.Text, wantN)
				}
				if h.Last() != (wantN == 3) {
					t.Errorf("hint %d: Last = %v", h.N, h.Last())
				}
				switch mode {
				case ModeLocal:
					if h.Link != "" || h.Query != nil || !strings.Contains(h.Where, lab.endpoints[0].MetricsURL) {
						t.Errorf("local hint %d: %+v, want the gateway's /metrics URL and no Grafana link", h.N, h)
					}
				case ModeCompose:
					if h.N > 1 && (h.Query == nil || !strings.HasPrefix(h.Link, "http://grafana.test/explore?")) {
						t.Errorf("compose hint %d: %+v, want a query with an Explore link", h.N, h)
					}
				}
			}
			st, err := e.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.HintsUsed != 3 || len(st.Hints) != 3 || st.Hints[0].N != 1 || st.Hints[2].N != 3 {
				t.Errorf("status: %d hints used, %d shown", st.HintsUsed, len(st.Hints))
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	lab := newFakeLab(t)
	lab.setMetrics(topology.Gateway, `# TYPE shoplab_http_requests_total counter
shoplab_http_requests_total{method="POST",region="eu-west",route="/api/v1/orders",status="503"} 30
shoplab_http_requests_total{method="POST",region="us-east",route="/api/v1/orders",status="201"} 33
`)
	traffic := &fakeTraffic{}
	e, _ := testEngine(t, lab, ModeCompose, traffic, nil)
	ctx := context.Background()
	st, err := e.Start(ctx, "red-by-region", StartOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	answer := lessonNamed(t, "red-by-region").Choose(7).Answer
	wrong := "us-east"
	if answer == wrong {
		wrong = "us-west"
	}

	res, err := e.Answer(ctx, "atlantis")
	if err != nil || res.Known || res.Attempts != 0 || len(res.Options) != 5 {
		t.Errorf("unknown answer: %+v, %v; want unknown, not counted, with the options", res, err)
	}
	res, err = e.Answer(ctx, strings.ToUpper(wrong))
	if err != nil || !res.Known || res.Correct || res.Attempts != 1 || res.Debrief != nil {
		t.Errorf("wrong answer: %+v, %v", res, err)
	}
	if on := lab.on(); len(on) != 1 {
		t.Errorf("a wrong answer changed the incidents: %v", on)
	}
	res, err = e.Answer(ctx, strings.ReplaceAll(answer, "-", " "))
	if err != nil || !res.Correct || res.Attempts != 2 || res.Debrief == nil {
		t.Fatalf("right answer: %+v, %v", res, err)
	}
	d := res.Debrief
	if d.Answer != answer || d.Concept == "" || !strings.Contains(d.Explanation, answer) || d.Attempts != 2 {
		t.Errorf("debrief %+v", d)
	}
	if len(d.Evidence) == 0 || !strings.Contains(d.Evidence[0], "eu-west 30 of 30") {
		t.Errorf("debrief evidence %q, want the gateway's counts by region", d.Evidence)
	}
	if len(d.Links) == 0 || !strings.Contains(d.Links[0].URL, "var-region="+answer) {
		t.Errorf("compose-mode debrief links %+v, want the checkout dashboard for %s", d.Links, answer)
	}
	if on := lab.on(); len(on) != 0 {
		t.Errorf("after the right answer, incidents still on: %v", on)
	}
	if traffic.Alive(st.TrafficPID) {
		t.Error("after the right answer, the traffic still runs")
	}
	p, _ := e.Progress()
	if p.Active() || p.Outcome != OutcomeSolved {
		t.Errorf("after the right answer: %+v", p)
	}
	if _, err := e.Answer(ctx, answer); !errors.Is(err, ErrNoLesson) {
		t.Errorf("answer with no lesson: %v, want ErrNoLesson", err)
	}
}

// TestDeadTrafficClearsTheIncidents: when the traffic process is found
// dead (a crashed or killed CLI), the next lesson command clears the
// incidents and ends the lesson.
func TestDeadTrafficClearsTheIncidents(t *testing.T) {
	ctx := context.Background()
	for _, call := range []string{"status", "hint", "answer", "start"} {
		t.Run(call, func(t *testing.T) {
			lab := newFakeLab(t)
			traffic := &fakeTraffic{}
			e, _ := testEngine(t, lab, ModeLocal, traffic, nil)
			st, err := e.Start(ctx, "kafka-hop", StartOptions{Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(lab.on()) != 1 {
				t.Fatalf("incidents on: %v", lab.on())
			}
			traffic.kill(st.TrafficPID)
			switch call {
			case "status":
				st, err := e.Status(ctx)
				if err != nil || st.Active || !strings.Contains(st.Notice, "is gone") {
					t.Errorf("status: %+v, %v; want an ended lesson and a notice", st, err)
				}
			case "hint":
				if _, err := e.Hint(ctx); !errors.Is(err, ErrTrafficLost) || !strings.Contains(err.Error(), "--seed 3") {
					t.Errorf("hint: %v, want ErrTrafficLost saying how to restart", err)
				}
			case "answer":
				if _, err := e.Answer(ctx, "outbox"); !errors.Is(err, ErrTrafficLost) {
					t.Errorf("answer: %v, want ErrTrafficLost", err)
				}
			case "start":
				st, err := e.Start(ctx, "cardinality", StartOptions{})
				if err != nil || !strings.Contains(st.Notice, "kafka-hop") {
					t.Fatalf("start: %+v, %v; want a new lesson and a notice about the old one", st, err)
				}
				if on := lab.on(); !slices.Equal(on, []string{"gateway/cardinality"}) {
					t.Errorf("after start over a dead lesson: %v on, want only the new lesson's", on)
				}
				e.Stop(ctx)
				return
			}
			if on := lab.on(); len(on) != 0 {
				t.Errorf("incidents still on: %v", on)
			}
			if p, _ := e.Progress(); p.Outcome != OutcomeTrafficLost {
				t.Errorf("outcome %q, want %q", p.Outcome, OutcomeTrafficLost)
			}
		})
	}
}

func TestIncidentsLostAfterALabRestart(t *testing.T) {
	lab := newFakeLab(t)
	e, _ := testEngine(t, lab, ModeLocal, nil, nil)
	ctx := context.Background()
	if _, err := e.Start(ctx, "trace-shape", StartOptions{Seed: 2}); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	if st, _ := e.Status(ctx); st.IncidentsLost {
		t.Error("IncidentsLost while they are on")
	}
	lab.sets[topology.Catalog].Clear() // what a restart does
	if st, _ := e.Status(ctx); !st.IncidentsLost {
		t.Error("IncidentsLost is false after the services lost them")
	}
}

func TestBrokenPipelineStopsAndStartsTheShipper(t *testing.T) {
	lab := newFakeLab(t)
	containers := &fakeContainers{}
	e, _ := testEngine(t, lab, ModeCompose, nil, containers)
	ctx := context.Background()
	if _, err := e.Start(ctx, "broken-pipeline", StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(containers.stopped, []string{"alloy"}) || len(containers.starts) != 0 {
		t.Errorf("start: stopped %v, started %v; want alloy stopped", containers.stopped, containers.starts)
	}
	res, err := e.Answer(ctx, "logs")
	if err != nil || !res.Correct {
		t.Fatalf("answer: %+v, %v", res, err)
	}
	if !slices.Equal(containers.starts, []string{"alloy"}) {
		t.Errorf("after the answer, started %v; want alloy again", containers.starts)
	}

	// A stop that cannot start the shipper again keeps the lesson on, so
	// that the next stop retries.
	if _, err := e.Start(ctx, "broken-pipeline", StartOptions{}); err != nil {
		t.Fatal(err)
	}
	containers.fail = errRefused
	if _, err := e.Stop(ctx); !errors.Is(err, errRefused) {
		t.Errorf("stop: %v, want the container error", err)
	}
	if p, _ := e.Progress(); !p.Active() {
		t.Error("a failed stop ended the lesson")
	}
	containers.fail = nil
	if _, err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
