package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/lesson"
)

// lessonDriver is a driver whose TUI has the fake lesson engine, on the
// Lessons screen once its state has come.
func lessonDriver(t *testing.T, e LessonEngine) *driver {
	t.Helper()
	d := fixtureDeps(t)
	d.Lessons = e
	d.PollEvery = time.Hour
	dr := newDriver(t, d)
	dr.until("the first poll", func(m Model) bool { return m.polled })
	dr.send(tea.WindowSizeMsg{Width: 120, Height: 40}, press("5"))
	dr.until("the lesson's state", func(m Model) bool { return m.lessons.statusKnown })
	return dr
}

// typeText types text into whatever has the keyboard.
func (d *driver) typeText(text string) {
	for _, r := range text {
		d.send(press(string(r)))
	}
}

func TestTUILessonStartHintsAnswers(t *testing.T) {
	fl := newFakeLessons()
	fl.block = make(chan struct{})
	dr := lessonDriver(t, fl)
	if got := fl.Calls(); !slices.Equal(got, []string{"status"}) {
		t.Fatalf("entering the screen: calls %v, want one status", got)
	}
	contains(t, dr.screen(), "Orders fail, but not for everyone", "The logs stopped coming", "compose", "Enter starts the selected lesson")

	dr.send(press("enter"))
	dr.until("the start asked", func(Model) bool { return fl.count("start red-by-region") == 1 })
	contains(t, dr.screen(), "Starting “Orders fail, but not for everyone”")
	// One call at a time: keys that call the engine wait.
	dr.send(press("enter"))
	if !strings.Contains(dr.m.notice.text, "Wait") || fl.count("start red-by-region") != 1 {
		t.Fatalf("enter during the start: notice %+v, calls %v", dr.m.notice, fl.Calls())
	}
	close(fl.block)
	dr.until("the task", func(m Model) bool { return m.lessons.page == pageTask })
	contains(t, dr.screen(), "Task: Find the region whose customers cannot order.", "4 ap-south", "No hint yet", "◆ lesson", "seed 42")
	if dr.m.lessons.ours != "red-by-region" {
		t.Fatalf("ours = %q: the TUI did not note that it started the lesson", dr.m.lessons.ours)
	}

	// Hints come in order, and the last one again when all are given.
	for i, want := range []string{"Start from the errors", "split the errors by it", "compare its 503s"} {
		dr.send(press("h"))
		dr.until(fmt.Sprintf("hint %d", i+1), func(m Model) bool { return len(m.lessons.hints) == i+1 })
		if h := dr.m.lessons.hints[i]; h.N != i+1 || !strings.Contains(h.Text, want) {
			t.Fatalf("hint %d: %+v, want %q", i+1, h, want)
		}
	}
	contains(t, dr.screen(), "Hint 3 of 3", "hints 3 of 3")
	dr.send(press("h"))
	dr.until("the last hint again", func(Model) bool { return fl.count("hint") == 4 && !dr.m.lessons.op.running() })
	if len(dr.m.lessons.hints) != 3 || !strings.Contains(dr.m.notice.text, "last hint") {
		t.Fatalf("a hint past the last: %d hints, notice %+v", len(dr.m.lessons.hints), dr.m.notice)
	}

	// Typing owns the keyboard: q, 1 and ? are letters of the answer.
	dr.send(press("esc"), press("a"))
	if !dr.m.lessons.answering {
		t.Fatal("a did not open the answer")
	}
	dr.typeText("q1?")
	if dr.quit || dr.m.tab != tabLessons || dr.m.lessons.input.Value() != "q1?" {
		t.Fatalf("typing q1?: quit %v, tab %v, input %q", dr.quit, dr.m.tab, dr.m.lessons.input.Value())
	}
	dr.send(press("esc"))
	if dr.m.lessons.answering || fl.count("answer q1?") != 0 {
		t.Fatal("esc did not leave the answer unsent")
	}

	// Not an option: not counted.
	dr.send(press("/"))
	dr.typeText("mars")
	dr.send(press("enter"))
	dr.until("the checker's word", func(m Model) bool { return m.lessons.result != nil })
	contains(t, dr.screen(), "“mars” is none of the possible answers", "not counted")
	// Wrong.
	dr.send(press("a"))
	dr.typeText("us-east")
	dr.send(press("enter"))
	dr.until("a wrong answer", func(m Model) bool { return m.lessons.result != nil && m.lessons.result.Known })
	contains(t, dr.screen(), "✗ Not us-east", "Attempts so far: 1", "attempts 1")
	// Right, by its number: the debrief.
	dr.send(press("a"))
	dr.typeText("4")
	dr.send(press("enter"))
	dr.until("the debrief", func(m Model) bool { return m.lessons.page == pageDebrief })
	contains(t, dr.screen(), "✓ Right: ap-south.", "What happened", "The evidence", "POST /api/v1/orders answered 5xx", "Concept: RED metrics", "shop is mended")
	if dr.m.lessons.ours != "" || dr.m.lessonOn() != "" {
		t.Fatalf("after the right answer: ours %q, on %q", dr.m.lessons.ours, dr.m.lessonOn())
	}
	if want := []string{"status", "start red-by-region", "hint", "hint", "hint", "hint", "answer mars", "answer us-east", "answer 4"}; !slices.Equal(fl.Calls(), want) {
		t.Fatalf("calls %v, want %v", fl.Calls(), want)
	}

	// Back to the list: the lesson is marked solved, and quitting stops
	// nothing.
	dr.send(press("esc"))
	if r := row(dr.screen(), "Orders"); !strings.Contains(r, "✓") {
		t.Fatalf("the solved lesson's row %q has no ✓", r)
	}
	dr.send(press("q"))
	dr.until("quit", func(Model) bool { return dr.quit })
	if fl.count("stop") != 0 {
		t.Fatalf("quitting after the lesson ended stopped it again: %v", fl.Calls())
	}
}

func TestTUILessonStop(t *testing.T) {
	fl := newFakeLessons()
	dr := lessonDriver(t, fl)
	dr.send(press("s"))
	if fl.count("stop") != 0 || !strings.Contains(dr.m.notice.text, "No lesson is on") {
		t.Fatalf("s with no lesson on: calls %v, notice %+v", fl.Calls(), dr.m.notice)
	}
	dr.send(press("down"), press("enter"))
	dr.until("the task", func(m Model) bool { return m.lessons.page == pageTask })
	contains(t, dr.screen(), "Name the catalog operation that is slow.")

	// esc goes back to the list, where the lesson shows on; enter on it
	// shows its task again, enter on another is refused.
	dr.send(press("esc"))
	contains(t, dr.screen(), "▶ A slow page", "is on, started here")
	dr.send(press("down"), press("enter"))
	if fl.count("start cardinality") != 0 || !strings.Contains(dr.m.notice.text, "exemplar-to-span is on") {
		t.Fatalf("starting a second lesson: calls %v, notice %+v", fl.Calls(), dr.m.notice)
	}
	dr.send(press("esc"), press("up"), press("enter"))
	if dr.m.lessons.page != pageTask {
		t.Fatal("enter on the lesson that is on did not show its task")
	}

	dr.send(press("s"))
	dr.until("the stop", func(m Model) bool { return m.lessons.page == pageList && !m.lessons.op.running() })
	if fl.count("stop") != 1 || dr.m.lessons.ours != "" || dr.m.lessonOn() != "" {
		t.Fatalf("after s: calls %v, ours %q", fl.Calls(), dr.m.lessons.ours)
	}
	contains(t, dr.screen(), "Stopped lesson exemplar-to-span", "every incident is cleared")
	if strings.Contains(dr.screen(), "◆ lesson") {
		t.Fatalf("the header still shows a lesson:\n%s", dr.screen())
	}
	dr.send(press("q"))
	dr.until("quit", func(Model) bool { return dr.quit })
	if fl.count("stop") != 1 {
		t.Fatalf("quitting after the stop stopped again: %v", fl.Calls())
	}
}

func TestTUIQuitStopsTheLessonStartedHere(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			fl := newFakeLessons()
			dr := lessonDriver(t, fl)
			dr.send(press("enter"))
			dr.until("the task", func(m Model) bool { return m.lessons.page == pageTask })
			if k == "ctrl+c" {
				// Even from the answer's input.
				dr.send(press("a"))
			}
			dr.send(press(k))
			if dr.quit || !strings.Contains(dr.m.notice.text, "stopping lesson red-by-region and clearing its incidents") {
				t.Fatalf("%s with a lesson on: quit %v, notice %+v", k, dr.quit, dr.m.notice)
			}
			for !dr.quit {
				select {
				case msg := <-dr.msgs:
					if _, ok := msg.(tea.QuitMsg); ok && fl.count("stop") != 1 {
						t.Fatalf("quit before the lesson was stopped: %v", fl.Calls())
					}
					dr.handle(msg)
				case <-time.After(10 * time.Second):
					t.Fatal("never quit")
				}
			}
			if fl.count("stop") != 1 {
				t.Fatalf("calls %v: want one stop", fl.Calls())
			}
			// Run has nothing left to stop.
			if said := dr.m.stopOurLesson(time.Second); said != "" || fl.count("stop") != 1 {
				t.Fatalf("Run after quitting: %q, calls %v", said, fl.Calls())
			}
		})
	}
}

func TestTUIQuitLeavesALessonStartedElsewhere(t *testing.T) {
	fl := newFakeLessons()
	if _, err := fl.Start(context.Background(), "red-by-region", lesson.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	dr := lessonDriver(t, fl)
	if dr.m.lessons.page != pageTask || dr.m.lessons.ours != "" {
		t.Fatalf("a lesson started with shoplab lesson: page %v, ours %q", dr.m.lessons.page, dr.m.lessons.ours)
	}
	contains(t, dr.screen(), "Task: Find the region")
	dr.send(press("esc"))
	contains(t, dr.screen(), "started with shoplab lesson")
	dr.send(press("q"))
	dr.until("quit", func(Model) bool { return dr.quit })
	if fl.count("stop") != 0 || dr.m.stopOurLesson(time.Second) != "" || fl.count("stop") != 0 {
		t.Fatalf("quitting stopped a lesson the TUI did not start: %v", fl.Calls())
	}
}

// TestTUIRunStopsTheLessonAfterAnAbruptEnd: when the program ends without
// quitting through the model (q twice, a signal that also cancelled the
// TUI's context), Run still stops the lesson the TUI started, or was
// starting.
func TestTUIRunStopsTheLessonAfterAnAbruptEnd(t *testing.T) {
	fl := newFakeLessons()
	ctx, cancel := context.WithCancel(context.Background())
	d := fixtureDeps(t)
	d.Lessons = fl
	m, _ := apply(New(ctx, d), allHealthy(d), press("5"))
	m, cmd := apply(m, press("enter"))
	// The start ran, but its answer never reached the model.
	runCmd(cmd)
	cancel()
	if !m.mustStopLesson() {
		t.Fatal("a start that went through is not to be stopped")
	}
	said := m.stopOurLesson(5 * time.Second)
	if fl.count("stop") != 1 || !strings.Contains(said, "every incident is cleared") {
		t.Fatalf("Run's stop: %q, calls %v", said, fl.Calls())
	}

	// A start that failed leaves nothing to stop.
	fl = newFakeLessons()
	fl.startErr = errLabDown
	d.Lessons = fl
	m, _ = apply(New(context.Background(), d), allHealthy(d), press("5"))
	m, cmd = apply(m, press("enter"))
	runCmd(cmd)
	if said := m.stopOurLesson(5 * time.Second); said != "" || fl.count("stop") != 0 {
		t.Fatalf("after a failed start: %q, calls %v", said, fl.Calls())
	}
}

// runCmd runs cmd and the commands it batches, dropping their messages.
func runCmd(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	if batch, ok := cmd().(tea.BatchMsg); ok {
		for _, c := range batch {
			runCmd(c)
		}
	}
}

func TestTUILessonErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		lesson int
		want   string
	}{
		{"lab down", errLabDown, 0, "The lab is not running, so there is nothing to break. Start it on the Stack screen"},
		{"needs compose", errNeedsCompose, 3, "“The logs stopped coming” needs the compose stack (Docker)"},
		{"other", errors.New("switch the lesson's incident on in orders: 401 Unauthorized"), 0, "Could not start “Orders fail, but not for everyone”: switch the lesson's incident on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fl := newFakeLessons()
			fl.startErr = tt.err
			dr := lessonDriver(t, fl)
			for range tt.lesson {
				dr.send(press("down"))
			}
			dr.send(press("enter"))
			dr.until("the start's end", func(m Model) bool { return !m.lessons.op.running() })
			if dr.m.lessons.page != pageList || dr.m.lessons.ours != "" || dr.m.notice == nil || !dr.m.notice.bad {
				t.Fatalf("after a failed start: page %v, ours %q, notice %+v", dr.m.lessons.page, dr.m.lessons.ours, dr.m.notice)
			}
			contains(t, dr.m.notice.text, tt.want)
		})
	}

	// The TUI knows the lab is down: it does not ask the engine.
	fl := newFakeLessons()
	d := fixtureDeps(t)
	d.Lessons = fl
	down := allHealthy(d)
	for i := range down.services {
		down.services[i] = probe{health: healthDown}
	}
	m, _ := apply(New(context.Background(), d), down, press("5"))
	m, cmd := apply(m, press("enter"))
	if m.lessons.op.running() || cmd != nil || !strings.Contains(m.notice.text, "The lab is not running") {
		t.Fatalf("enter with the lab down: op %+v, notice %+v", m.lessons.op, m.notice)
	}

	// The lesson ended elsewhere (shoplab lesson stop): a hint says so
	// and the list comes back.
	fl = newFakeLessons()
	dr := lessonDriver(t, fl)
	dr.send(press("enter"))
	dr.until("the task", func(m Model) bool { return m.lessons.page == pageTask })
	if _, err := fl.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	dr.send(press("h"))
	dr.until("the list", func(m Model) bool { return m.lessons.page == pageList && !m.lessons.op.running() })
	contains(t, dr.m.notice.text, "No lesson is on any more")
	if dr.m.lessons.ours != "" {
		t.Fatalf("ours %q after the lesson ended elsewhere", dr.m.lessons.ours)
	}

	// No engine at all.
	m, _ = apply(New(context.Background(), fixtureDeps(t)), press("5"), press("enter"))
	contains(t, screen(m), "Lessons are not available in this TUI")
}

// TestTUILessonStatusFollowsTheEngine: entering the screen asks the
// engine, whose word then wins over what the screen showed; an answer to
// a status asked before a later call is dropped.
func TestTUILessonStatusFollowsTheEngine(t *testing.T) {
	fl := newFakeLessons()
	d := fixtureDeps(t)
	d.Lessons = fl
	m, cmd := apply(New(context.Background(), d), allHealthy(d), press("5"))
	if cmd == nil || m.lessons.gen != 1 {
		t.Fatalf("entering the screen: cmd %v, gen %d", cmd != nil, m.lessons.gen)
	}
	stale := m.lessons.gen
	m, _ = apply(m, press("enter"))
	st, _ := fl.Start(context.Background(), "red-by-region", lesson.StartOptions{})
	m, _ = apply(m, lessonStartedMsg{name: "red-by-region", st: st})
	m, _ = apply(m, lessonStatusMsg{gen: stale, st: lesson.Status{}})
	if m.lessons.page != pageTask || m.lessonOn() != "red-by-region" {
		t.Fatalf("a stale status was applied: page %v, on %q", m.lessons.page, m.lessonOn())
	}
	// Leaving and entering again asks again; the lesson was stopped
	// elsewhere meanwhile.
	m, _ = apply(m, press("1"))
	m, cmd = apply(m, press("5"))
	if cmd == nil {
		t.Fatal("entering the screen again does not ask the engine")
	}
	m, _ = apply(m, lessonStatusMsg{gen: m.lessons.gen, st: lesson.Status{Lesson: st.Lesson, Outcome: lesson.OutcomeStopped}})
	if m.lessons.page != pageList || m.lessons.ours != "" {
		t.Fatalf("after the lesson ended elsewhere: page %v, ours %q", m.lessons.page, m.lessons.ours)
	}
	// The engine's notice (a traffic process found dead) is shown.
	m, _ = apply(m, press("1"), press("5"))
	m, _ = apply(m, lessonStatusMsg{gen: m.lessons.gen, st: lesson.Status{Notice: "The traffic process of lesson red-by-region (pid 4242) is gone"}})
	contains(t, m.notice.text, "pid 4242")
}

// TestTUIQuitDuringTheStartStopsTheLesson: q while the engine is breaking
// the shop waits for the start, then stops the lesson, then quits.
func TestTUIQuitDuringTheStartStopsTheLesson(t *testing.T) {
	fl := newFakeLessons()
	fl.block = make(chan struct{})
	dr := lessonDriver(t, fl)
	dr.send(press("enter"))
	dr.until("the start asked", func(Model) bool { return fl.count("start red-by-region") == 1 })
	dr.send(press("q"))
	if dr.quit || !strings.Contains(dr.m.notice.text, "stopping the lesson being started") || fl.count("stop") != 0 {
		t.Fatalf("q during the start: quit %v, notice %+v, calls %v", dr.quit, dr.m.notice, fl.Calls())
	}
	close(fl.block)
	dr.until("quit", func(Model) bool { return dr.quit })
	if want := []string{"status", "start red-by-region", "stop"}; !slices.Equal(fl.Calls(), want) {
		t.Fatalf("calls %v, want %v", fl.Calls(), want)
	}
}

// TestTUILessonPagesScroll: a task or debrief longer than the screen
// scrolls, a new hint is scrolled into view, and g opens the hint's query
// in Grafana (compose mode).
func TestTUILessonPagesScroll(t *testing.T) {
	states := goldenStates(t)
	m := states["lesson-debrief"]
	contains(t, screen(m), "lines 1-20 of 24")
	m, _ = apply(m, press("down"), press("j"))
	contains(t, screen(m), "lines 3-22 of 24")
	m, _ = apply(m, tea.KeyPressMsg{Code: tea.KeyPgDown})
	contains(t, screen(m), "lines 5-24 of 24", "shop is mended")
	m, _ = apply(m, tea.MouseWheelMsg{Button: tea.MouseWheelUp}, press("up"))
	contains(t, screen(m), "lines 3-22 of 24")

	// The newest hint is in view; its link opens with g.
	task := states["lesson-task-hint"]
	task.lessons.status.Mode = lesson.ModeCompose
	h := task.lessons.hints[1]
	h.N, h.Link = 3, "http://localhost:4000/explore?q=1"
	task, _ = apply(task, lessonHintMsg{h: h})
	scr := screen(task)
	contains(t, scr, "Hint 3 of 3", "Open (g): http://localhost:4000/explore?q=1", "g open query")
	task, cmd := apply(task, press("g"))
	if cmd == nil {
		t.Fatal("g did not open the hint's link")
	}
	msg, ok := cmd().(openedMsg)
	if !ok || msg.url != h.Link || !msg.noGrafana {
		t.Fatalf("g: %+v, want the link shown, Grafana being down", msg)
	}
}
