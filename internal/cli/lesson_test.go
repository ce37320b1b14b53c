package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// lessonLab is a stand-in lab for `shoplab lesson`: each service answers
// /healthz, /metrics and the real incident control surface (with the
// token in the data directory), and "shoplab" itself is a script that
// sleeps as the traffic process would run.
type lessonLab struct {
	env        map[string]string
	sets       map[string]*incident.Set
	mode       lesson.Mode
	containers *recordedContainers
	exe        string
}

type recordedContainers struct {
	mu              sync.Mutex
	stopped, starts []string
}

func (r *recordedContainers) Stop(_ context.Context, s ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = append(r.stopped, s...)
	return nil
}

func (r *recordedContainers) Start(_ context.Context, s ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts = append(r.starts, s...)
	return nil
}

var httpPortVar = map[string]string{
	topology.Gateway: "GATEWAY_HTTP_PORT", topology.Auth: "AUTH_HTTP_PORT", topology.Catalog: "CATALOG_HTTP_PORT",
	topology.Orders: "ORDERS_HTTP_PORT", topology.Notification: "NOTIFICATION_HTTP_PORT",
}

// newLessonLab starts the stand-in services unless down.
func newLessonLab(t *testing.T, down bool) *lessonLab {
	t.Helper()
	env := localEnv(t)
	env["SHOPLAB_COMPOSE_FILE"] = filepath.Join(t.TempDir(), "none.yml")
	l := &lessonLab{env: env, sets: map[string]*incident.Set{}, mode: lesson.ModeLocal, containers: &recordedContainers{}}
	token, err := incident.LoadOrCreateToken(env["SHOPLAB_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	for svc, key := range httpPortVar {
		if down {
			env[key] = "1"
			continue
		}
		set := incident.NewSet(svc)
		l.sets[svc] = set
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(http.ResponseWriter, *http.Request) {})
		mux.HandleFunc("/metrics", func(http.ResponseWriter, *http.Request) {})
		control := incident.NewHandler(set, token, true)
		mux.Handle(incident.RoutePrefix, control)
		mux.Handle(incident.RoutePrefix+"/", control)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
		env[key] = port
	}
	l.exe = filepath.Join(t.TempDir(), "shoplab")
	if err := os.WriteFile(l.exe, []byte("#!/bin/sh\nsleep 600\ntrue\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p, _ := lesson.LoadProgress(env["SHOPLAB_DATA_DIR"]); p != nil && p.TrafficPID != 0 {
			syscall.Kill(-p.TrafficPID, syscall.SIGKILL)
		}
	})
	return l
}

// run runs `shoplab lesson args...` against the stand-in lab.
func (l *lessonLab) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut testkit.SyncBuffer
	app := &App{
		Getenv: func(k string) string { return l.env[k] }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Executable: func() (string, error) { return l.exe, nil },
	}
	cmd := newCmdLesson(app, lessonHooks{
		mode:         func(context.Context, string) (lesson.Mode, error) { return l.mode, nil },
		containers:   func(string, io.Writer) lesson.Containers { return l.containers },
		scenariosDir: "../../scenarios",
	})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String() + errOut.String(), err
}

func (l *lessonLab) progress(t *testing.T) *lesson.Progress {
	t.Helper()
	p, err := lesson.LoadProgress(l.env["SHOPLAB_DATA_DIR"])
	if err != nil || p == nil {
		t.Fatalf("progress: %+v, %v", p, err)
	}
	return p
}

// on lists the incidents that are on, as service/name.
func (l *lessonLab) on() []string {
	var out []string
	for _, svc := range topology.Services() {
		for _, a := range l.sets[svc].Active() {
			out = append(out, svc+"/"+a.Name)
		}
	}
	return out
}

// processAlive reports whether pid runs and is no zombie.
func processAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err != nil || !strings.Contains(string(stat), ") Z ")
}

// wantExit checks a command's error against an exit code and a message.
func wantExit(t *testing.T, what string, out string, err error, code int, msg string) {
	t.Helper()
	got := 0
	if err != nil {
		got = ExitCode(err)
		out += err.Error()
	}
	if got != code || !strings.Contains(out, msg) {
		t.Errorf("%s: exit %d, output %q; want exit %d and %q", what, got, out, code, msg)
	}
}

func TestLessonList(t *testing.T) {
	l := newLessonLab(t, true)
	out, err := l.run(t, "list")
	wantExit(t, "list", out, err, 0, "shoplab lesson start NAME")
	for _, name := range []string{"red-by-region", "exemplar-to-span", "logs-and-traces", "kafka-hop", "cardinality", "broken-pipeline"} {
		if !strings.Contains(out, name) {
			t.Errorf("list does not show %s:\n%s", name, out)
		}
	}
	if !strings.Contains(out, "compose") {
		t.Errorf("list does not say which lesson needs the compose stack:\n%s", out)
	}
}

func TestLessonStartRefuses(t *testing.T) {
	down := newLessonLab(t, true)
	out, err := down.run(t, "start", "red-by-region")
	wantExit(t, "start without a lab", out, err, 1, "the lab is not running")

	l := newLessonLab(t, false)
	out, err = l.run(t, "start", "broken-pipeline")
	wantExit(t, "a compose lesson in local mode", out, err, 1, "needs the compose stack")
	out, err = l.run(t, "start", "nope")
	wantExit(t, "an unknown lesson", out, err, 1, "no such lesson")
	out, err = l.run(t, "hint")
	wantExit(t, "hint without a lesson", out, err, 1, "no lesson is on")
	out, err = l.run(t, "answer", "ap-south")
	wantExit(t, "answer without a lesson", out, err, 1, "no lesson is on")
	if on := l.on(); len(on) != 0 {
		t.Errorf("refused starts left incidents on: %v", on)
	}
}

// TestLessonSession walks one lesson through: start, hints, status,
// answers (unknown, wrong, right), with the traffic process and the
// incidents checked on the way.
func TestLessonSession(t *testing.T) {
	l := newLessonLab(t, false)
	out, err := l.run(t, "start", "red-by-region", "--seed", "7")
	wantExit(t, "start", out, err, 0, "Task: Find the region whose customers cannot order.")
	for _, want := range []string{"Lesson red-by-region", "4. ap-south", "local mode, seed 7", "pid"} {
		if !strings.Contains(out, want) {
			t.Errorf("start output lacks %q:\n%s", want, out)
		}
	}
	p := l.progress(t)
	if p.TrafficPID == 0 || !processAlive(p.TrafficPID) {
		t.Fatalf("no traffic process running (pid %d)", p.TrafficPID)
	}
	if on := l.on(); len(on) != 1 || on[0] != "orders/region-outage" {
		t.Errorf("incidents on: %v, want orders/region-outage", on)
	}
	if st, err := os.Stat(lesson.ProgressPath(l.env["SHOPLAB_DATA_DIR"])); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("lesson.json: %v, %v; want mode 0600", st, err)
	}

	out, err = l.run(t, "start", "cardinality")
	wantExit(t, "a second start", out, err, 1, "already on")
	out, err = l.run(t, "hint")
	wantExit(t, "hint", out, err, 0, "Hint 1 of 3")
	out, err = l.run(t, "hint")
	wantExit(t, "second hint", out, err, 0, "Hint 2 of 3")
	out, err = l.run(t, "status")
	wantExit(t, "status", out, err, 0, "2 of 3 hints used, 0 attempt(s)")
	if !strings.Contains(out, "Hint 1 of 3") || !strings.Contains(out, "Hint 2 of 3") || strings.Contains(out, p.Choice.Answer+"\"") {
		t.Errorf("status output:\n%s", out)
	}

	out, err = l.run(t, "answer", "atlantis")
	wantExit(t, "unknown answer", out, err, exitWrongAnswer, "none of the possible answers")
	wrong := "us-east"
	if p.Choice.Answer == wrong {
		wrong = "us-west"
	}
	out, err = l.run(t, "answer", wrong)
	wantExit(t, "wrong answer", out, err, exitWrongAnswer, "✗ Not "+wrong)
	if !processAlive(p.TrafficPID) || len(l.on()) != 1 {
		t.Error("a wrong answer stopped the lesson")
	}
	// Spaces and case do not matter: "ap south" is ap-south.
	out, err = l.run(t, append([]string{"answer"}, strings.Fields(strings.ToUpper(strings.ReplaceAll(p.Choice.Answer, "-", " ")))...)...)
	wantExit(t, "right answer", out, err, 0, "✓ Right: "+p.Choice.Answer)
	for _, want := range []string{"What happened:", "The evidence", "Concept: RED metrics", "2 attempt(s) and 2 hint(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("debrief lacks %q:\n%s", want, out)
		}
	}
	if processAlive(p.TrafficPID) {
		t.Error("the traffic process runs on after the right answer")
	}
	if on := l.on(); len(on) != 0 {
		t.Errorf("incidents on after the right answer: %v", on)
	}
	out, err = l.run(t, "status")
	wantExit(t, "status after", out, err, 0, "No lesson is on")
	if !strings.Contains(out, "(solved) after 2 attempt(s)") {
		t.Errorf("status after the answer:\n%s", out)
	}
}

func TestLessonStop(t *testing.T) {
	l := newLessonLab(t, false)
	if out, err := l.run(t, "start", "kafka-hop"); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	p := l.progress(t)
	out, err := l.run(t, "stop")
	wantExit(t, "stop", out, err, 0, "Stopped lesson kafka-hop")
	if processAlive(p.TrafficPID) {
		t.Error("the traffic process runs on after stop")
	}
	if on := l.on(); len(on) != 0 {
		t.Errorf("incidents on after stop: %v", on)
	}
	// Stop with nothing on clears every service anyway.
	if err := l.sets[topology.Gateway].On(incident.Cardinality, nil); err != nil {
		t.Fatal(err)
	}
	out, err = l.run(t, "stop")
	wantExit(t, "stop with nothing on", out, err, 0, "No lesson was on")
	if on := l.on(); len(on) != 0 {
		t.Errorf("incidents on after a second stop: %v", on)
	}
}

// TestLessonCrashedTrafficIsCleared: a traffic process that died (a
// killed shoplab) makes the next lesson command clear the incidents.
func TestLessonCrashedTrafficIsCleared(t *testing.T) {
	l := newLessonLab(t, false)
	if out, err := l.run(t, "start", "slow-database", "--seed", "4"); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	p := l.progress(t)
	if len(l.on()) != 1 {
		t.Fatalf("incidents on: %v", l.on())
	}
	if err := syscall.Kill(-p.TrafficPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 30*time.Second, "the killed traffic process to be gone", func() bool { return !processAlive(p.TrafficPID) })
	out, err := l.run(t, "hint")
	wantExit(t, "hint after the crash", out, err, 1, "is gone")
	if err == nil || !strings.Contains(err.Error(), "shoplab lesson start slow-database --seed 4") {
		t.Errorf("the error (%v) does not say how to start again", err)
	}
	if on := l.on(); len(on) != 0 {
		t.Errorf("incidents on after the crash was found: %v", on)
	}
	if got := l.progress(t); got.Active() || got.Outcome != lesson.OutcomeTrafficLost {
		t.Errorf("progress after the crash: %+v", got)
	}
}

func TestLessonComposeStopsTheShipper(t *testing.T) {
	l := newLessonLab(t, false)
	l.mode = lesson.ModeCompose
	out, err := l.run(t, "start", "broken-pipeline")
	wantExit(t, "start", out, err, 0, "compose mode")
	if strings.Join(l.containers.stopped, ",") != "alloy" {
		t.Errorf("stopped %v, want alloy", l.containers.stopped)
	}
	out, err = l.run(t, "hint")
	wantExit(t, "hint", out, err, 0, "shoplab doctor")
	out, err = l.run(t, "answer", "metrics")
	wantExit(t, "wrong hop", out, err, exitWrongAnswer, "Not metrics")
	out, err = l.run(t, "answer", "3")
	wantExit(t, "right hop by number", out, err, 0, "Right: logs")
	if strings.Join(l.containers.starts, ",") != "alloy" {
		t.Errorf("started %v, want alloy again", l.containers.starts)
	}
}

func TestLessonIsRegistered(t *testing.T) {
	out, _, err := run(context.Background(), localEnv(t), "lesson", "list")
	if err != nil || !strings.Contains(out, "red-by-region") {
		t.Fatalf("shoplab lesson list: %v\n%s", err, out)
	}
	out, _, err = run(context.Background(), localEnv(t), "lesson", "--help")
	if err != nil || !strings.Contains(out, "answer") || strings.Contains(out, lesson.TrafficCommand) {
		t.Errorf("shoplab lesson --help (%v) lists the wrong subcommands:\n%s", err, out)
	}
}
