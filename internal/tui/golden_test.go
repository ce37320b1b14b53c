package tui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenStates are the screens the golden files hold, each reached by
// messages alone, with fixed data.
func goldenStates(t *testing.T) map[string]Model {
	t.Helper()
	d := fixtureDeps(t)
	base := New(context.Background(), d)
	states := map[string]Model{}

	states["stack-checking"] = base
	local, _ := apply(base, allHealthy(d))
	states["stack-local"] = local
	broken := allHealthy(d)
	broken.docker, broken.dockerDetail = dockerBroken, "the Docker engine is not running (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): start Docker, or run without it: shoplab up --local"
	for i := range broken.services {
		broken.services[i] = probe{health: healthDown, detail: "connection refused"}
	}
	states["stack-docker-broken"], _ = apply(base, broken)

	docker := allHealthy(d)
	docker.docker = dockerOK
	for i, e := range d.Services {
		if e.Service != topology.Catalog {
			docker.services[i] = probe{health: healthDown, detail: "Get \"http://" + e.HTTP + "/healthz\": dial tcp " + e.HTTP + ": connect: connection refused"}
		}
	}
	docker.brokers[0] = probe{health: healthDown}
	for _, c := range []compose.Container{
		{Service: "prometheus", State: "running", Health: "healthy"},
		{Service: "loki", State: "running", Health: "healthy"},
		{Service: "tempo", State: "running", Health: "starting"},
		{Service: "mailpit", State: "running", Health: "healthy"},
		{Service: "grafana", State: "running", Health: "starting"},
		{Service: "alloy", State: "running", Health: "healthy"},
		{Service: "kafka", State: "running", Health: "unhealthy"},
		{Service: "kafka-ui", State: "created"},
	} {
		docker.containers = append(docker.containers, c)
	}
	starting, _ := apply(base, docker)
	starting.docker = dockerOK
	starting, _ = apply(starting, press("u"))
	for _, l := range []string{
		"Starting the containers (the first run downloads the images; this can take a few minutes)...",
		"  ✓ prometheus    healthy after 3s",
		"  ✓ loki          healthy after 4s",
		"  ✓ mailpit       healthy after 4s",
	} {
		starting, _ = apply(starting, labLineMsg{id: starting.op.id, line: l})
	}
	states["stack-docker-starting"] = starting

	withAlerts := d
	withAlerts.Alerts = func(context.Context) ([]Alert, error) { return fixtureAlerts().list, nil }
	states["stack-alerts"], _ = apply(New(context.Background(), withAlerts), composeHealthy(d), fixtureAlerts())

	idle, _ := apply(local, fixtureScenarios(t), press("2"))
	states["load-idle"] = idle
	outage, _ := apply(idle, press("right"))
	states["load-outage"] = outage

	running, _ := apply(idle, press("down"), press("down"), press("left"), press("s"))
	for i := 1; i <= 40; i++ {
		p := progressAt(i)
		if i > 35 {
			p.Dropped = int64(3 * (i - 35))
			p.Generator.Saturated = true
			p.Generator.Reasons = []string{fmt.Sprintf("%d of %d arrivals dropped: all 1000 journey slots were busy", p.Dropped, p.Scheduled)}
		}
		running, _ = apply(running, loadProgressMsg{id: running.run.id, p: p})
	}
	states["load-running-saturated"] = running

	done, _ := apply(running, loadDoneMsg{id: running.run.id, res: fixtureResult()})
	states["load-done"] = done

	traces, _ := apply(done, press("3"), press("down"))
	states["traces"] = traces
	noGrafana, _ := apply(traces, press("down"), openedMsg{label: "trace 2cf7651916cd43dd8448eb211c80319e", url: d.TraceURL("2cf7651916cd43dd8448eb211c80319e"), noGrafana: true})
	states["traces-no-grafana"] = noGrafana
	states["traces-empty"], _ = apply(local, press("3"))

	withRecent := d
	withRecent.RecentTraces = func(context.Context, int) ([]traceview.Summary, error) { return fixtureRecent().list, nil }
	recent, _ := apply(New(context.Background(), withRecent), allHealthy(d), fixtureRecent())
	for range len(recent.stackRows()) {
		recent, _ = apply(recent, press("down"))
	}
	states["stack-recent"] = recent
	loading, _ := apply(recent, press("enter"))
	states["trace-loading"] = loading
	trace, _ := apply(loading, traceLoadedMsg{seq: loading.detail.seq, view: fixtureTraceView()})
	states["trace"] = trace
	failed := trace
	for failed.detail.view.Spans[failed.detail.span].Events == nil {
		failed, _ = apply(failed, press("down"))
	}
	states["trace-failed-span"] = failed
	states["trace-not-found"], _ = apply(loading, traceLoadedMsg{seq: loading.detail.seq, err: notFoundErr(fixtureTraceID)})

	states["dashboards"], _ = apply(local, press("4"), press("down"))
	states["help"], _ = apply(local, press("?"))
	lessonStates(t, d, states)
	return states
}

// lessonStates are the Lessons screen's: the list, a lesson starting,
// its task with two hints, an answer being typed, a wrong answer and the
// debrief of the right one.
func lessonStates(t *testing.T, d Deps, states map[string]Model) {
	t.Helper()
	ctx := context.Background()
	fl := newFakeLessons()
	d.Lessons = fl
	list, _ := apply(New(ctx, d), allHealthy(d), press("5"))
	// The last lesson, exemplar-to-span, was solved.
	last := lesson.Status{Lesson: fl.lessons[1], Outcome: lesson.OutcomeSolved, Attempts: 1}
	list, _ = apply(list, lessonStatusMsg{gen: list.lessons.gen, st: last})
	states["lessons-list"] = list
	starting, _ := apply(list, press("enter"))
	states["lessons-starting"] = starting

	st, err := fl.Start(ctx, "red-by-region", lesson.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	task, _ := apply(starting, lessonStartedMsg{name: "red-by-region", st: st})
	for range 2 {
		h, err := fl.Hint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		task, _ = apply(task, press("h"), lessonHintMsg{h: h})
	}
	states["lesson-task-hint"] = task
	typing, _ := apply(task, typed("a", "eu-west")...)
	states["lesson-answer-input"] = typing
	res, _ := fl.Answer(ctx, "eu-west")
	wrong, _ := apply(typing, press("enter"), lessonAnsweredMsg{answer: "eu-west", res: res})
	states["lesson-wrong-answer"] = wrong
	res, _ = fl.Answer(ctx, "4")
	right, _ := apply(wrong, typed("a", "4")...)
	states["lesson-debrief"], _ = apply(right, press("enter"), lessonAnsweredMsg{answer: "4", res: res})
}

// typed is the key presses of k, then of text typed letter by letter.
func typed(k, text string) []tea.Msg {
	msgs := []tea.Msg{press(k)}
	for _, r := range text {
		msgs = append(msgs, press(string(r)))
	}
	return msgs
}

// TestTUIGolden compares each screen at 80×24 and 120×40 with
// testdata/NAME-WxH.golden (without colours); -update rewrites them.
func TestTUIGolden(t *testing.T) {
	states := goldenStates(t)
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			file := filepath.Join("testdata", fmt.Sprintf("%s-%dx%d.golden", name, size[0], size[1]))
			t.Run(filepath.Base(file), func(t *testing.T) {
				m, _ := apply(states[name], tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				got := screen(m)
				checkFits(t, name, got, size[0], size[1])
				if *update {
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test ./internal/tui -run TUIGolden -update to write it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs (go test ./internal/tui -run TUIGolden -update rewrites it)\ngot:\n%s\nwant:\n%s", file, got, want)
				}
			})
		}
	}
}
