package lesson

import (
	"context"
	"math/rand/v2"

	"github.com/shoplab/shoplab/internal/incident"
)

// Kind is what sort of answer a lesson asks for.
type Kind string

// The kinds of answer.
const (
	KindRegion    Kind = "region"
	KindService   Kind = "service"
	KindOperation Kind = "operation"
	KindCause     Kind = "cause"
	KindMetric    Kind = "metric"
	KindHop       Kind = "hop"
)

// Mode is how the lab runs: local (the services alone) or compose (with
// Prometheus, Loki, Tempo and Grafana in containers).
type Mode string

// The lab's modes.
const (
	ModeLocal   Mode = "local"
	ModeCompose Mode = "compose"
)

// Option is one possible answer, with other spellings that mean it.
type Option struct {
	Value   string
	Aliases []string
}

// Hint points at a tool. Text is for both modes; Local and Compose say
// where to look in each (either may be empty). Query, when set, is a query
// to try; in compose mode it comes with a Grafana Explore link.
type Hint struct {
	Text    string
	Local   string
	Compose string
	Query   *Query
}

// Query is a PromQL, LogQL or TraceQL query.
type Query struct {
	// Lang is "promql", "logql" or "traceql".
	Lang string
	Expr string
}

// Incident is one incident to switch on in one service.
type Incident struct {
	Service string          `json:"service"`
	Name    string          `json:"name"`
	Params  incident.Params `json:"params,omitempty"`
}

// Choice is what one start of a lesson broke and the answer that names it.
type Choice struct {
	// Answer is the right answer, one of the lesson's options (or, for an
	// open kind such as a metric name, the canonical spelling).
	Answer string `json:"answer"`
	// Accept are further spellings of the answer that are right too.
	Accept    []string   `json:"accept,omitempty"`
	Incidents []Incident `json:"incidents,omitempty"`
	// StopContainers are compose services stopped for the lesson and
	// started again when it ends.
	StopContainers []string `json:"stop_containers,omitempty"`
}

// Lesson is one guided investigation.
type Lesson struct {
	Name  string
	Title string
	// Story is what the learner is told happened; Task what to find.
	Story string
	Task  string
	Kind  Kind
	// Options are the possible answers, shown with the task; empty for
	// an open kind (a metric name).
	Options []Option
	// NeedsCompose: the lesson breaks or needs what only the compose
	// stack has.
	NeedsCompose bool
	// Scenario (a file in scenarios/) and Rate (journeys per second) are
	// the traffic that runs while the lesson is on.
	Scenario string
	Rate     float64
	Hints    []Hint
	// Concept names what the lesson teaches, for the debrief.
	Concept string

	choose func(r *rand.Rand) Choice
	// explain says what was broken and why the telemetry showed it.
	explain func(c Choice) string
	// evidence gathers what the debrief shows; cheap reads only.
	evidence func(ctx context.Context, ev *Evidence, c Choice) []string
	// links are Grafana links for the debrief in compose mode.
	links func(g Grafana, c Choice) []Link
}

// Link is a labelled URL.
type Link struct {
	Label string
	URL   string
}

// Choose draws the hidden choice for seed: the same seed, the same choice.
func (l *Lesson) Choose(seed uint64) Choice {
	return l.choose(newRand(seed))
}

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// pick returns one of vs.
func pick[T any](r *rand.Rand, vs ...T) T { return vs[r.IntN(len(vs))] }
