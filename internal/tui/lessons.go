package tui

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/lesson"
)

// LessonEngine runs the guided lessons; *lesson.Engine is one. Its state
// is the lab's progress file, so a lesson started with `shoplab lesson`
// shows here, and the other way round.
type LessonEngine interface {
	List() []*lesson.Lesson
	Status(ctx context.Context) (lesson.Status, error)
	Start(ctx context.Context, name string, o lesson.StartOptions) (lesson.Status, error)
	Hint(ctx context.Context) (lesson.HintView, error)
	Answer(ctx context.Context, answer string) (lesson.AnswerResult, error)
	Stop(ctx context.Context) (lesson.Status, error)
}

// lessonTimeout bounds one call of the lesson engine. A start may stop a
// container and a right answer reads the evidence before mending the
// shop: both take seconds, not minutes.
const lessonTimeout = 2 * time.Minute

// lessonPage is what the Lessons screen shows.
type lessonPage int

const (
	pageList lessonPage = iota
	pageTask
	pageDebrief
)

// lessonOpKind is the engine call under way; one runs at a time, so that
// what is shown is what the engine did, in order.
type lessonOpKind int

const (
	opNone lessonOpKind = iota
	opStart
	opHint
	opAnswer
	opStop
)

// lessonOp is the engine call under way.
type lessonOp struct {
	kind lessonOpKind
	// what says what it does, for the screen ("Starting “…”").
	what     string
	finished <-chan struct{}
	// started is set by a start once the engine has broken the shop, so
	// that Run stops the lesson even when the TUI ended before hearing it.
	started *atomic.Bool
}

func (o lessonOp) running() bool { return o.kind != opNone }

// lessonsState is the Lessons screen.
type lessonsState struct {
	list   []*lesson.Lesson
	cursor int
	page   lessonPage

	// status is the engine's last word on the lesson; known once the
	// screen was entered or the TUI started one.
	status      lesson.Status
	statusKnown bool
	statusErr   string
	// gen orders status refreshes after the calls that change the state:
	// a refresh asked before a call is not applied after it.
	gen int

	op lessonOp
	// ours is the lesson this TUI started and that is still on: quitting
	// stops it. A lesson started with `shoplab lesson start` is left on.
	ours string
	// stopTried: quitting tried to stop ours once; Run tries again.
	stopTried bool

	// hints are the hints of the lesson that is on, in order.
	hints []lesson.HintView
	// result is the checker's word on the last answer; answered is what
	// was typed.
	result   *lesson.AnswerResult
	answered string
	debrief  *lesson.Debrief
	// solved are the lessons solved: the last one the progress file
	// knows of, and those solved in this session.
	solved map[string]bool

	answering bool
	input     textinput.Model

	// top is the first line of the task or debrief shown; follow keeps
	// its end in view (after a new hint).
	top    int
	follow bool
}

// Messages of the lesson engine's calls.
type (
	lessonStatusMsg struct {
		gen int
		st  lesson.Status
		err error
	}
	lessonStartedMsg struct {
		name string
		st   lesson.Status
		err  error
	}
	lessonHintMsg struct {
		h   lesson.HintView
		err error
	}
	lessonAnsweredMsg struct {
		answer string
		res    lesson.AnswerResult
		err    error
	}
	lessonStoppedMsg struct {
		name string
		st   lesson.Status
		err  error
	}
)

func newAnswerInput() textinput.Model {
	in := textinput.New()
	in.Prompt = "Answer: "
	in.CharLimit = 200
	st := in.Styles()
	st.Cursor.Blink = false
	st.Focused.Prompt = styles().bold
	in.SetStyles(st)
	return in
}

// lessonCtx is the context of an engine call. It does not end with the
// TUI: a start or a stop cut short would leave the shop half broken.
func (m Model) lessonCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(m.ctx), lessonTimeout)
}

// refreshLessons asks the engine for the lesson's state, unless a call is
// under way (its answer brings the state).
func (m *Model) refreshLessons() tea.Cmd {
	if m.deps.Lessons == nil || m.lessons.op.running() {
		return nil
	}
	m.lessons.gen++
	e, gen := m.deps.Lessons, m.lessons.gen
	ctx, cancel := m.lessonCtx()
	return func() tea.Msg {
		defer cancel()
		st, err := e.Status(ctx)
		return lessonStatusMsg{gen: gen, st: st, err: err}
	}
}

// lessonCall runs one engine call as the operation of kind.
func (m *Model) lessonCall(kind lessonOpKind, what string, call func(ctx context.Context, started *atomic.Bool) tea.Msg) tea.Cmd {
	m.lessons.gen++
	finished := make(chan struct{})
	started := &atomic.Bool{}
	m.lessons.op = lessonOp{kind: kind, what: what, finished: finished, started: started}
	ctx, cancel := m.lessonCtx()
	run := func() tea.Msg {
		defer close(finished)
		defer cancel()
		return call(ctx, started)
	}
	return tea.Batch(run, m.startSpinner())
}

func (m *Model) startLesson(l *lesson.Lesson) tea.Cmd {
	e, name := m.deps.Lessons, l.Name
	m.notice = nil
	return m.lessonCall(opStart, "Starting “"+l.Title+"”: breaking the shop and starting its traffic…", func(ctx context.Context, started *atomic.Bool) tea.Msg {
		// Seed 0: the engine draws the hidden choice at random.
		st, err := e.Start(ctx, name, lesson.StartOptions{})
		started.Store(err == nil)
		return lessonStartedMsg{name: name, st: st, err: err}
	})
}

func (m *Model) askHint() tea.Cmd {
	e := m.deps.Lessons
	return m.lessonCall(opHint, "Getting the next hint…", func(ctx context.Context, _ *atomic.Bool) tea.Msg {
		h, err := e.Hint(ctx)
		return lessonHintMsg{h: h, err: err}
	})
}

func (m *Model) submitAnswer(answer string) tea.Cmd {
	e := m.deps.Lessons
	return m.lessonCall(opAnswer, "Checking “"+answer+"”…", func(ctx context.Context, _ *atomic.Bool) tea.Msg {
		res, err := e.Answer(ctx, answer)
		return lessonAnsweredMsg{answer: answer, res: res, err: err}
	})
}

func (m *Model) stopLesson() tea.Cmd {
	e, name := m.deps.Lessons, m.lessonOn()
	return m.lessonCall(opStop, "Stopping the lesson: stopping its traffic and clearing every incident…", func(ctx context.Context, _ *atomic.Bool) tea.Msg {
		st, err := e.Stop(ctx)
		return lessonStoppedMsg{name: name, st: st, err: err}
	})
}

// lessonOn is the name of the lesson that is on, as far as the TUI knows.
func (m Model) lessonOn() string {
	if m.lessons.statusKnown && m.lessons.status.Active && m.lessons.status.Lesson != nil {
		return m.lessons.status.Lesson.Name
	}
	return m.lessons.ours
}

// lessonStatus applies the engine's state of the lesson.
func (m *Model) lessonStatus(msg lessonStatusMsg) {
	if msg.gen != m.lessons.gen {
		return
	}
	ls := &m.lessons
	if msg.err != nil {
		ls.statusErr = firstLine(msg.err.Error())
		return
	}
	ls.statusErr = ""
	m.applyLessonStatus(msg.st)
	if msg.st.Notice != "" {
		m.notice = &notice{text: msg.st.Notice, bad: true}
	}
}

// applyLessonStatus makes the screen follow the engine: the task of the
// lesson that is on, or the list when none is (a debrief stays).
func (m *Model) applyLessonStatus(st lesson.Status) {
	ls := &m.lessons
	ls.status, ls.statusKnown = st, true
	if st.Lesson != nil && st.Outcome == lesson.OutcomeSolved {
		ls.markSolved(st.Lesson.Name)
	}
	if !st.Active || st.Lesson == nil {
		ls.ours = ""
		if ls.page == pageTask {
			ls.page, ls.answering = pageList, false
		}
		return
	}
	if ls.ours != "" && ls.ours != st.Lesson.Name {
		ls.ours = ""
	}
	ls.hints = append([]lesson.HintView(nil), st.Hints...)
	if ls.page != pageDebrief {
		ls.page = pageTask
	}
	ls.selectLesson(st.Lesson.Name)
}

// markSolved adds name to the solved lessons, in a copy: an earlier
// Model, which shares the map, must not change.
func (ls *lessonsState) markSolved(name string) {
	solved := maps.Clone(ls.solved)
	if solved == nil {
		solved = map[string]bool{}
	}
	solved[name] = true
	ls.solved = solved
}

func (ls *lessonsState) selectLesson(name string) {
	for i, l := range ls.list {
		if l.Name == name {
			ls.cursor = i
		}
	}
}

// lessonStarted shows the task of the lesson just started, or why it
// could not start.
func (m *Model) lessonStarted(msg lessonStartedMsg) {
	ls := &m.lessons
	ls.op = lessonOp{}
	if msg.err != nil {
		m.notice = &notice{text: startError(ls.find(msg.name), msg.err), bad: true}
		return
	}
	ls.ours = msg.name
	ls.result, ls.answered, ls.debrief, ls.top, ls.follow = nil, "", nil, 0, false
	ls.page = pageTask
	m.applyLessonStatus(msg.st)
	if msg.st.Notice != "" {
		m.notice = &notice{text: msg.st.Notice}
	}
}

// startError says why a lesson did not start, and what to do in the TUI.
func startError(l *lesson.Lesson, err error) string {
	title := "the lesson"
	if l != nil {
		title = "“" + l.Title + "”"
	}
	switch {
	case errors.Is(err, lesson.ErrLabDown):
		return "The lab is not running, so there is nothing to break. Start it on the Stack screen (1, then l), then try again."
	case errors.Is(err, lesson.ErrNeedsCompose):
		return title + " needs the compose stack (Docker), and the lab runs in local mode: stop it and start it with Docker on the Stack screen (1, d, then u), or pick another lesson."
	case errors.Is(err, lesson.ErrActive):
		return "Another lesson is already on: " + firstLine(err.Error()) + " (s stops it)."
	}
	return "Could not start " + title + ": " + firstLine(err.Error())
}

func (ls lessonsState) find(name string) *lesson.Lesson {
	for _, l := range ls.list {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// lessonFailed shows a call's error; a lesson that ended meanwhile (its
// traffic died, or it was stopped with shoplab lesson stop) sends the
// screen back to the list.
func (m *Model) lessonFailed(err error) tea.Cmd {
	m.notice = &notice{text: firstLine(err.Error()), bad: true}
	if errors.Is(err, lesson.ErrNoLesson) || errors.Is(err, lesson.ErrTrafficLost) {
		if errors.Is(err, lesson.ErrNoLesson) {
			m.notice.text = "No lesson is on any more (stopped elsewhere?): pick one to start."
		}
		m.lessons.ours, m.lessons.page, m.lessons.answering = "", pageList, false
		return m.refreshLessons()
	}
	return nil
}

func (m *Model) lessonHint(msg lessonHintMsg) tea.Cmd {
	ls := &m.lessons
	ls.op = lessonOp{}
	if msg.err != nil {
		return m.lessonFailed(msg.err)
	}
	// A copy: an earlier Model shares the slice.
	hints := slices.Clone(ls.hints)
	if msg.h.N <= len(hints) {
		hints[msg.h.N-1] = msg.h
		m.notice = &notice{text: "That was the last hint: the answer is in the telemetry it points at."}
	} else {
		hints = append(hints, msg.h)
	}
	ls.hints = hints
	ls.status.HintsUsed = len(ls.hints)
	ls.follow = true
	return nil
}

func (m *Model) lessonAnswered(msg lessonAnsweredMsg) tea.Cmd {
	ls := &m.lessons
	ls.op = lessonOp{}
	res := msg.res
	if res.Debrief != nil {
		// Right: the engine ended the lesson (and, unless err says
		// otherwise, mended the shop).
		ls.debrief, ls.page, ls.top, ls.follow, ls.answering = res.Debrief, pageDebrief, 0, false, false
		ls.result, ls.answered = nil, ""
		if res.Debrief.Lesson != nil {
			ls.markSolved(res.Debrief.Lesson.Name)
		}
		if msg.err != nil {
			m.notice = &notice{text: "Right, but the shop could not be mended: " + firstLine(msg.err.Error()) + " Press s to try again.", bad: true}
			return nil
		}
		ls.ours = ""
		ls.status.Active, ls.status.Outcome = false, lesson.OutcomeSolved
		return nil
	}
	if msg.err != nil {
		return m.lessonFailed(msg.err)
	}
	ls.result, ls.answered = &res, msg.answer
	if res.Known {
		ls.status.Attempts = res.Attempts
	}
	return nil
}

func (m *Model) lessonStopped(msg lessonStoppedMsg) {
	ls := &m.lessons
	ls.op = lessonOp{}
	if msg.err != nil {
		m.notice = &notice{text: "The lesson could not be stopped: " + firstLine(msg.err.Error()) + " Press s to try again; restarting the lab (Stack screen) clears every incident too.", bad: true}
		return
	}
	ls.ours, ls.answering, ls.result, ls.answered = "", false, nil, ""
	if ls.page == pageTask {
		ls.page = pageList
	}
	m.applyLessonStatus(msg.st)
	switch {
	case msg.st.Notice != "":
		m.notice = &notice{text: msg.st.Notice}
	case msg.name != "":
		m.notice = &notice{text: "Stopped lesson " + msg.name + ": its traffic is stopped and every incident is cleared."}
	default:
		m.notice = &notice{text: "No lesson was on; every service's incidents are cleared anyway."}
	}
}

// mustStopLesson reports whether the lesson engine has a lesson on that
// this TUI started, or may have (a start under way).
func (m Model) mustStopLesson() bool {
	op := m.lessons.op
	return m.lessons.ours != "" || (op.kind == opStart && op.started != nil && op.started.Load())
}

// stopOurLesson stops, after the TUI has ended, the lesson it started
// (waiting for a call still under way first), and says what it did.
// Quitting normally stopped it already; this catches a quit at once (q
// twice) and a signal.
func (m Model) stopOurLesson(wait time.Duration) string {
	if m.deps.Lessons == nil {
		return ""
	}
	if f := m.lessons.op.finished; f != nil {
		select {
		case <-f:
		case <-time.After(wait):
		}
	}
	if !m.mustStopLesson() {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(m.ctx), wait)
	defer cancel()
	if _, err := m.deps.Lessons.Stop(ctx); err != nil {
		return "The lesson started in the TUI could not be stopped: " + firstLine(err.Error()) + "\nRun: shoplab lesson stop"
	}
	return "Stopped the lesson started in the TUI: its traffic is stopped and every incident is cleared."
}
