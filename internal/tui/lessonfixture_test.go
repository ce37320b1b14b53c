package tui

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shoplab/shoplab/internal/lesson"
)

// fixtureLessons are four lessons as the engine lists them, fixed here so
// that the screens do not change with the real lessons' wording.
func fixtureLessons() []*lesson.Lesson {
	regions := []lesson.Option{{Value: "us-east"}, {Value: "us-west"}, {Value: "eu-west"}, {Value: "ap-south"}, {Value: "sa-east"}}
	return []*lesson.Lesson{
		{
			Name: "red-by-region", Title: "Orders fail, but not for everyone",
			Story: "Support forwards a handful of angry e-mails: some customers cannot place an order, while most shop without trouble. " +
				"Nothing was deployed. The gateway counts every request by route, status and the customer's region.",
			Task: "Find the region whose customers cannot order.", Kind: lesson.KindRegion, Options: regions,
			Scenario: "checkout", Rate: 2,
			Concept: "RED metrics (Rate, Errors, Duration) broken down by a bounded label: the region",
			Hints: []lesson.Hint{
				{Text: "Start from the errors: which endpoint answers 5xx?", Local: `Read the gateway's request counter: curl -s http://127.0.0.1:8100/metrics | grep '^shoplab_http_requests_total' | grep 'status="5'`},
				{Text: "The request counter has a region label: split the errors by it.", Local: "Each line names a route and a region: which region comes up?",
					Query: &lesson.Query{Lang: "promql", Expr: `sum by (region) (rate(shoplab_http_requests_total{status=~"5.."}[1m]))`}},
				{Text: "Only POST /api/v1/orders fails, and only from one region: compare its 503s with its 201s region by region.", Local: "One region has 503s and no 201s."},
			},
		},
		{
			Name: "exemplar-to-span", Title: "A slow page, and a trace to prove it",
			Story: "The product pages feel slow since this morning, but only some of them.", Task: "Name the catalog operation that is slow.",
			Kind: lesson.KindOperation, Options: []lesson.Option{{Value: "GetProduct"}, {Value: "ListProducts"}},
			Scenario: "browse", Rate: 5, Concept: "exemplars lead from a latency bucket to one slow trace",
			Hints: []lesson.Hint{{Text: "Which endpoint's p99 rose?"}},
		},
		{
			Name: "cardinality", Title: "The metric that keeps growing",
			Story: "Prometheus's memory climbs by the hour.", Task: "Name the metric whose series multiply.",
			Kind: lesson.KindMetric, Scenario: "browse", Rate: 5, Concept: "label cardinality",
			Hints: []lesson.Hint{{Text: "Count the series of each metric."}},
		},
		{
			Name: "broken-pipeline", Title: "The logs stopped coming", NeedsCompose: true,
			Story: "The dashboards' log panels are empty since a few minutes.", Task: "Name the broken hop of the pipeline.",
			Kind: lesson.KindHop, Options: []lesson.Option{{Value: "shipper"}, {Value: "loki"}, {Value: "grafana"}},
			Scenario: "browse", Rate: 5, Concept: "checking each hop of the pipeline",
			Hints: []lesson.Hint{{Text: "Run shoplab doctor."}},
		},
	}
}

// fakeLessons is the lesson engine for the TUI's tests: the real lessons'
// checker over fixed lessons, with the right answer set by the test, and
// a record of the calls.
type fakeLessons struct {
	mu      sync.Mutex
	lessons []*lesson.Lesson
	right   map[string]string
	mode    lesson.Mode
	// startErr fails the next start; block, when set, holds a start
	// until it is closed.
	startErr error
	block    chan struct{}

	on       *lesson.Lesson
	hints    int
	attempts int
	last     lesson.Status
	calls    []string
}

func newFakeLessons() *fakeLessons {
	return &fakeLessons{lessons: fixtureLessons(), mode: lesson.ModeLocal, right: map[string]string{
		"red-by-region": "ap-south", "exemplar-to-span": "GetProduct", "cardinality": "shoplab_http_requests_by_user_total", "broken-pipeline": "shipper",
	}}
}

func (f *fakeLessons) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

// Calls are the calls so far, such as "start red-by-region", "hint",
// "answer us-east", "status", "stop".
func (f *fakeLessons) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeLessons) count(call string) int {
	n := 0
	for _, c := range f.Calls() {
		if c == call {
			n++
		}
	}
	return n
}

func (f *fakeLessons) List() []*lesson.Lesson { return slices.Clone(f.lessons) }

func (f *fakeLessons) status() lesson.Status {
	if f.on == nil {
		return f.last
	}
	st := lesson.Status{Active: true, Lesson: f.on, Seed: 42, Mode: f.mode, HintsUsed: f.hints, Attempts: f.attempts, TrafficPID: 4242,
		Started: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	for i := range f.hints {
		st.Hints = append(st.Hints, f.hintView(i))
	}
	return st
}

func (f *fakeLessons) hintView(i int) lesson.HintView {
	h := f.on.Hints[i]
	return lesson.HintView{N: i + 1, Of: len(f.on.Hints), Text: h.Text, Where: h.Local, Query: h.Query}
}

func (f *fakeLessons) Status(context.Context) (lesson.Status, error) {
	f.record("status")
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status(), nil
}

func (f *fakeLessons) Start(ctx context.Context, name string, _ lesson.StartOptions) (lesson.Status, error) {
	f.record("start " + name)
	f.mu.Lock()
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return lesson.Status{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.startErr; err != nil {
		f.startErr = nil
		return lesson.Status{}, err
	}
	if f.on != nil {
		return lesson.Status{}, fmt.Errorf("%w (%s): stop it first with shoplab lesson stop", lesson.ErrActive, f.on.Name)
	}
	for _, l := range f.lessons {
		if l.Name == name {
			f.on, f.hints, f.attempts = l, 0, 0
			return f.status(), nil
		}
	}
	return lesson.Status{}, lesson.ErrUnknownLesson
}

func (f *fakeLessons) Hint(context.Context) (lesson.HintView, error) {
	f.record("hint")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.on == nil {
		return lesson.HintView{}, fmt.Errorf("%w: start one with shoplab lesson start NAME", lesson.ErrNoLesson)
	}
	if f.hints < len(f.on.Hints) {
		f.hints++
	}
	return f.hintView(f.hints - 1), nil
}

func (f *fakeLessons) Answer(_ context.Context, answer string) (lesson.AnswerResult, error) {
	f.record("answer " + answer)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.on == nil {
		return lesson.AnswerResult{}, fmt.Errorf("%w: start one with shoplab lesson start NAME", lesson.ErrNoLesson)
	}
	l := f.on
	res := lesson.AnswerResult{Verdict: l.Check(lesson.Choice{Answer: f.right[l.Name]}, answer)}
	if !res.Known {
		res.Options, res.Attempts = l.OptionValues(), f.attempts
		return res, nil
	}
	f.attempts++
	res.Attempts = f.attempts
	if !res.Correct {
		return res, nil
	}
	res.Debrief = fixtureDebrief(l, f.attempts, f.hints)
	f.last = f.status()
	f.last.Active, f.last.Outcome = false, lesson.OutcomeSolved
	f.on = nil
	return res, nil
}

func (f *fakeLessons) Stop(context.Context) (lesson.Status, error) {
	f.record("stop")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.on != nil {
		f.last = f.status()
		f.last.Active, f.last.Outcome = false, lesson.OutcomeStopped
	}
	f.on = nil
	return f.last, nil
}

// fixtureDebrief is the debrief of a solved lesson.
func fixtureDebrief(l *lesson.Lesson, attempts, hints int) *lesson.Debrief {
	return &lesson.Debrief{
		Lesson: l, Answer: "ap-south", Concept: l.Concept,
		Explanation: "The orders service could not write the orders of ap-south customers: their partition of the order store was down, " +
			"so PlaceOrder answered Unavailable and the gateway 503, for that region only. The overall error ratio stays small because the other regions are fine.",
		Evidence: []string{
			"POST /api/v1/orders answered 5xx, by region, since the gateway started: us-east 0 of 212; us-west 0 of 141; eu-west 0 of 176; ap-south 97 of 97; sa-east 0 of 70",
			`orders log: 09:03:12 ERROR order failed region=ap-south err="inventory partition ap-south unavailable" trace_id=4bf92f3577b34da6a3ce929d0e0e4736`,
			"that order's trace, with the line under its span: shoplab trace 4bf92f3577b34da6a3ce929d0e0e4736",
		},
		Attempts: attempts, HintsUsed: hints, Took: 3*time.Minute + 12*time.Second,
	}
}

var errLabDown = fmt.Errorf("%w (gateway, auth not healthy): start it with shoplab up, or shoplab up --local", lesson.ErrLabDown)

// errNeedsCompose is the engine's refusal of a compose-only lesson.
var errNeedsCompose = fmt.Errorf("%w: broken-pipeline breaks a hop of the pipeline that only compose mode has", lesson.ErrNeedsCompose)
