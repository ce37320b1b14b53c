package load

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Scenario is a validated scenario: everything in it was checked when it
// was loaded, so running it cannot fail on its definition.
type Scenario struct {
	Name        string
	Description string
	// File is where the scenario was read from.
	File string
	// A constant schedule has Rate journeys per second for Length; a ramp
	// starts at StartRate and follows Stages (then Rate is the peak).
	Rate      float64
	Length    time.Duration
	StartRate float64
	Stages    []Stage
	// MaxInFlight bounds the journeys running at once; 0 leaves the
	// choice to the engine's options.
	MaxInFlight int
	Regions     []RegionWeight
	Faults      []Fault
	Thresholds  []Threshold
	Journeys    []Journey
}

// RegionWeight is a client region and its share of the arrivals.
type RegionWeight struct {
	Region string
	Weight float64
}

// Fault is an X-Shoplab-Fault value the scenario adds to the requests of
// the given regions (every region when empty), to Ratio of them.
type Fault struct {
	Inject  string
	Regions []string
	Ratio   float64
}

// Journey is what one arriving user does: its steps, in order.
type Journey struct {
	Name   string
	Weight float64
	Steps  []Step
	vars   []variable
}

type variable struct {
	name  string
	value text
}

// Step is one request of a journey.
type Step struct {
	Name     string
	Endpoint Endpoint
	// Expect are the statuses that count as success; empty means any 2xx.
	Expect []int
	// Think is waited before the step (a random duration in
	// [ThinkMin, ThinkMax]); Chance is the probability the step runs.
	ThinkMin, ThinkMax time.Duration
	Chance             float64

	endpoint int
	params   []namedText
	headers  []namedText
	body     *text
	captures []capture
}

type namedText struct {
	name  string
	value text
}

type capture struct {
	name string
	path jsonPath
}

// expected reports whether status counts as a success of s.
func (s *Step) expected(status int) bool {
	if len(s.Expect) == 0 {
		return status >= 200 && status < 300
	}
	for _, e := range s.Expect {
		if e == status {
			return true
		}
	}
	return false
}

// Pacer returns the scenario's arrival schedule. A rate above zero
// overrides the scenario's rate: a ramp is scaled so that its peak is
// rate. A length above zero overrides the duration: a ramp's stages are
// stretched or shrunk in proportion.
func (s *Scenario) Pacer(rate float64, length time.Duration) Pacer {
	if len(s.Stages) == 0 {
		p := ConstantPacer{Freq: s.Rate, Length: s.Length}
		if rate > 0 {
			p.Freq = rate
		}
		if length > 0 {
			p.Length = length
		}
		return p
	}
	rf, lf := 1.0, 1.0
	if rate > 0 && s.Rate > 0 {
		rf = rate / s.Rate
	}
	if length > 0 {
		lf = float64(length) / float64(s.Length)
	}
	// Stage ends are scaled and rounded, not stage lengths, so that the
	// stages add up to exactly length.
	stages := make([]Stage, len(s.Stages))
	var end, prev time.Duration
	for i, st := range s.Stages {
		end += st.Duration
		scaled := time.Duration(math.Round(float64(end) * lf))
		if i == len(s.Stages)-1 && length > 0 {
			scaled = length
		}
		stages[i] = Stage{Duration: scaled - prev, Rate: st.Rate * rf}
		prev = scaled
	}
	return NewLinearPacer(s.StartRate*rf, stages)
}

// LoadFile reads and validates the scenario in path.
func LoadFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// List returns the names of the scenarios in dir (its *.yaml files),
// sorted.
func List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// ErrUnknownScenario is returned by Find for a name dir has no file for.
var ErrUnknownScenario = errors.New("unknown scenario")

// Find loads a scenario by name from dir (dir/NAME.yaml), or from a file
// when nameOrPath is a path to one.
func Find(dir, nameOrPath string) (*Scenario, error) {
	if strings.ContainsRune(nameOrPath, filepath.Separator) || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml") {
		return LoadFile(nameOrPath)
	}
	path := filepath.Join(dir, nameOrPath+".yaml")
	if _, err := os.Stat(path); err != nil {
		names, lerr := List(dir)
		if lerr != nil {
			return nil, fmt.Errorf("%w %q: cannot read scenario directory: %w", ErrUnknownScenario, nameOrPath, lerr)
		}
		return nil, fmt.Errorf("%w %q: %s has %s", ErrUnknownScenario, nameOrPath, dir, oneOf(names))
	}
	return LoadFile(path)
}

func oneOf(names []string) string {
	if len(names) == 0 {
		return "no scenarios"
	}
	return "scenarios " + strings.Join(names, ", ")
}
