package load

import (
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/region"
)

// compiler turns a raw scenario into a Scenario, collecting every problem
// with the line it is on.
type compiler struct {
	file string
	root *yaml.Node
	errs []error
}

// maxErrors keeps a badly broken file from burying the first problems.
const maxErrors = 20

func (c *compiler) errorf(n *yaml.Node, format string, args ...any) {
	if len(c.errs) < maxErrors {
		c.errs = append(c.errs, &ScenarioError{File: c.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
	}
}

func (c *compiler) at(path ...any) *yaml.Node { return at(c.root, path...) }

// builtinVars are set by the engine for every journey.
var builtinVars = []string{"region"}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *compiler) compile(raw *rawScenario) *Scenario {
	s := &Scenario{File: c.file, Name: raw.Name, Description: raw.Description, MaxInFlight: raw.MaxInFlight}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(c.file), filepath.Ext(c.file))
	}
	c.schedule(raw, s)
	if raw.MaxInFlight < 0 {
		c.errorf(c.at("max_in_flight"), "max_in_flight must not be negative")
	}
	c.regions(raw, s)
	c.faults(raw, s)
	for i, expr := range raw.Thresholds {
		t, err := ParseThreshold(expr)
		if err != nil {
			c.errorf(c.at("thresholds", i), "%v", err)
			continue
		}
		s.Thresholds = append(s.Thresholds, t)
	}
	c.journeys(raw, s)
	return s
}

func (c *compiler) duration(n *yaml.Node, what, v string) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil {
		c.errorf(n, "%s %q is not a duration (want e.g. 30s, 1m30s or 500ms)", what, v)
		return 0
	}
	if d <= 0 {
		c.errorf(n, "%s must be above zero (got %s)", what, v)
	}
	return d
}

func (c *compiler) schedule(raw *rawScenario, s *Scenario) {
	constant := raw.Rate != nil || raw.Duration != ""
	switch {
	case constant && len(raw.Stages) > 0:
		c.errorf(c.at("stages"), "give rate and duration, or stages, not both")
	case constant:
		if raw.Rate == nil {
			c.errorf(c.at("duration"), "duration without rate: give the journeys per second as rate")
		} else if s.Rate = *raw.Rate; s.Rate <= 0 || math.IsInf(s.Rate, 0) || math.IsNaN(s.Rate) {
			c.errorf(c.at("rate"), "rate must be above zero journeys per second")
		}
		if raw.Duration == "" {
			c.errorf(c.at("rate"), "rate without duration: say how long to run, e.g. duration: 60s")
		} else {
			s.Length = c.duration(c.at("duration"), "duration", raw.Duration)
		}
		if raw.StartRate != 0 {
			c.errorf(c.at("start_rate"), "start_rate applies to stages only")
		}
	case len(raw.Stages) > 0:
		if raw.StartRate < 0 {
			c.errorf(c.at("start_rate"), "start_rate must not be negative")
		}
		s.StartRate = raw.StartRate
		s.Rate = raw.StartRate
		for i, st := range raw.Stages {
			d := c.duration(c.at("stages", i, "duration"), "stage duration", st.Duration)
			if st.Rate < 0 {
				c.errorf(c.at("stages", i, "rate"), "stage rate must not be negative")
			}
			s.Stages = append(s.Stages, Stage{Duration: d, Rate: st.Rate})
			s.Length += d
			s.Rate = math.Max(s.Rate, st.Rate)
		}
		if s.Rate <= 0 {
			c.errorf(c.at("stages"), "every stage has rate 0: no journey would ever start")
		}
	default:
		c.errorf(c.root, "no schedule: give rate (journeys per second) and duration, or stages")
	}
}

func (c *compiler) regions(raw *rawScenario, s *Scenario) {
	if raw.Regions == nil {
		for _, r := range region.All() {
			s.Regions = append(s.Regions, RegionWeight{Region: r, Weight: 1})
		}
		return
	}
	sum := 0.0
	known := region.All()
	names := make([]string, 0, len(raw.Regions))
	for r := range raw.Regions {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		w := raw.Regions[r]
		if !slices.Contains(known, r) {
			c.errorf(keyAt(c.root, []any{"regions"}, r), "unknown region %q (want one of %s)", r, strings.Join(known, ", "))
			continue
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			c.errorf(c.at("regions", r), "region %s: weight must be a number ≥ 0", r)
			continue
		}
		sum += w
	}
	if sum <= 0 {
		c.errorf(c.at("regions"), "region weights sum to zero: no journey could be given a region")
	}
	for _, r := range known {
		if w, ok := raw.Regions[r]; ok && w > 0 {
			s.Regions = append(s.Regions, RegionWeight{Region: r, Weight: w})
		}
	}
}

func (c *compiler) faults(raw *rawScenario, s *Scenario) {
	for i, f := range raw.Faults {
		n := c.at("faults", i)
		if f.Inject == "" {
			c.errorf(n, "fault without inject: give an X-Shoplab-Fault value such as catalog:delay=300ms")
			continue
		}
		set, err := fault.Parse(f.Inject)
		if err != nil {
			c.errorf(c.at("faults", i, "inject"), "%v", err)
			continue
		}
		out := Fault{Inject: set.String(), Ratio: 1}
		if f.Ratio != nil {
			out.Ratio = *f.Ratio
			if out.Ratio <= 0 || out.Ratio > 1 {
				c.errorf(c.at("faults", i, "ratio"), "ratio must be in (0, 1]: the share of requests that carry the fault")
			}
		}
		for j, r := range f.Regions {
			if !slices.ContainsFunc(s.Regions, func(w RegionWeight) bool { return w.Region == r }) {
				c.errorf(c.at("faults", i, "regions", j), "fault for region %q, which gets no traffic in this scenario (regions: %s)", r, regionNames(s.Regions))
			}
			out.Regions = append(out.Regions, r)
		}
		s.Faults = append(s.Faults, out)
	}
	// A request carries every fault of its region in one header, which
	// the gateway would refuse if together they broke fault's limits.
	for _, r := range s.Regions {
		var all []string
		for _, f := range s.Faults {
			if len(f.Regions) == 0 || slices.Contains(f.Regions, r.Region) {
				all = append(all, f.Inject)
			}
		}
		if _, err := fault.Parse(strings.Join(all, ",")); err != nil {
			c.errorf(c.at("faults"), "the faults of region %s together: %v", r.Region, err)
			return
		}
	}
}

func regionNames(rs []RegionWeight) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Region
	}
	return strings.Join(names, ", ")
}

// scope tracks the variables a journey has defined so far: maybe marks
// those captured by a step that might not run.
type scope struct {
	defined map[string]bool // name → certainly defined
}

func (sc scope) check(c *compiler, n *yaml.Node, t text) {
	for _, r := range t.refs {
		certain, ok := sc.defined[r]
		switch {
		case !ok:
			c.errorf(n, "{{.%s}} is not defined here (defined: %s); define it in vars, or capture it in an earlier step", r, sc.names())
		case !certain:
			c.errorf(n, "{{.%s}} may be missing: the step that captures it has a chance below 1", r)
		}
	}
}

func (sc scope) names() string {
	names := make([]string, 0, len(sc.defined))
	for n := range sc.defined {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (c *compiler) text(n *yaml.Node, what, src string, sc scope) text {
	t, err := parseText(src)
	if err != nil {
		c.errorf(n, "%s: %v", what, err)
		return t
	}
	sc.check(c, n, t)
	return t
}

// pairs returns a mapping node's entries in file order.
func (c *compiler) pairs(n *yaml.Node, what string) [][2]*yaml.Node {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		c.errorf(n, "%s must be a mapping of names to values", what)
		return nil
	}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			c.errorf(v, "%s %s: want a single value (quote templates: \"{{...}}\")", what, k.Value)
			continue
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out
}

func (c *compiler) journeys(raw *rawScenario, s *Scenario) {
	if len(raw.Journeys) == 0 {
		c.errorf(c.root, "no journeys: a scenario needs at least one")
		return
	}
	sum := 0.0
	seen := map[string]bool{}
	for i, rj := range raw.Journeys {
		j := Journey{Name: rj.Name, Weight: 1}
		if j.Name == "" {
			j.Name = fmt.Sprintf("journey-%d", i+1)
		}
		if seen[j.Name] {
			c.errorf(c.at("journeys", i, "name"), "journey %q is defined twice", j.Name)
		}
		seen[j.Name] = true
		if rj.Weight != nil {
			j.Weight = *rj.Weight
			if j.Weight < 0 || math.IsNaN(j.Weight) || math.IsInf(j.Weight, 0) {
				c.errorf(c.at("journeys", i, "weight"), "journey %s: weight must be a number ≥ 0", j.Name)
				j.Weight = 0
			}
		}
		sum += j.Weight
		sc := scope{defined: map[string]bool{}}
		for _, b := range builtinVars {
			sc.defined[b] = true
		}
		for _, kv := range c.pairs(&raw.Journeys[i].Vars, "vars") {
			k, v := kv[0], kv[1]
			if !identRe.MatchString(k.Value) {
				c.errorf(k, "variable name %q: want letters, digits and _", k.Value)
			}
			t := c.text(v, "var "+k.Value, v.Value, sc)
			j.vars = append(j.vars, variable{name: k.Value, value: t})
			sc.defined[k.Value] = true
		}
		if len(rj.Steps) == 0 {
			c.errorf(c.at("journeys", i), "journey %s has no steps", j.Name)
		}
		for k := range rj.Steps {
			j.Steps = append(j.Steps, c.step(&raw.Journeys[i].Steps[k], []any{"journeys", i, "steps", k}, sc))
		}
		s.Journeys = append(s.Journeys, j)
	}
	if sum <= 0 {
		c.errorf(c.at("journeys"), "journey weights sum to zero: no journey could ever be chosen")
	}
}

// reservedHeaders are set by the engine; a step must not set them.
var reservedHeaders = []string{"X-Region", "Traceparent", "Tracestate", "X-Shoplab-Fault", "Content-Length", "Host"}

func (c *compiler) step(rs *rawStep, path []any, sc scope) Step {
	n := func(p ...any) *yaml.Node { return c.at(append(slices.Clone(path), p...)...) }
	st := Step{Name: rs.Name, Chance: 1, endpoint: -1}
	method := strings.ToUpper(strings.TrimSpace(rs.Method))
	switch {
	case rs.Route == "":
		c.errorf(n(), "step without route: want one of %s", endpointList())
	case method == "":
		c.errorf(n(), "step without method: want one of %s", endpointList())
	default:
		st.endpoint = endpointIndex(method, rs.Route)
		if st.endpoint < 0 {
			c.errorf(n("route"), "unknown route %q: want one of %s", method+" "+rs.Route, endpointList())
		} else {
			st.Endpoint = endpoints[st.endpoint]
		}
	}
	if st.Name == "" {
		st.Name = method + " " + rs.Route
	}

	wantParams := routeParams(rs.Route)
	for _, kv := range c.pairs(&rs.Params, "params") {
		k, v := kv[0], kv[1]
		if !slices.Contains(wantParams, k.Value) {
			c.errorf(k, "route %s has no parameter {%s}", rs.Route, k.Value)
			continue
		}
		st.params = append(st.params, namedText{name: k.Value, value: c.text(v, "param "+k.Value, v.Value, sc)})
	}
	for _, p := range wantParams {
		if !slices.ContainsFunc(st.params, func(t namedText) bool { return t.name == p }) && st.endpoint >= 0 {
			c.errorf(n("route"), "route %s needs params: {%s: ...}", rs.Route, p)
		}
	}

	for _, kv := range c.pairs(&rs.Headers, "headers") {
		k, v := kv[0], kv[1]
		name := http.CanonicalHeaderKey(k.Value)
		switch {
		case !validHeaderName(k.Value):
			c.errorf(k, "header name %q is not valid", k.Value)
		case slices.Contains(reservedHeaders, name):
			c.errorf(k, "header %s is set by the load generator (regions, traces and faults have their own settings)", name)
		default:
			st.headers = append(st.headers, namedText{name: name, value: c.text(v, "header "+name, v.Value, sc)})
		}
	}

	if rs.Body != nil {
		if method == http.MethodGet {
			c.errorf(n("body"), "a GET step has no body")
		}
		t := c.text(n("body"), "body", *rs.Body, sc)
		st.body = &t
	}
	for i, code := range rs.Expect {
		if code < 100 || code > 599 {
			c.errorf(n("expect", i), "expect %d is not an HTTP status", code)
		}
	}
	st.Expect = rs.Expect

	if rs.Think != "" {
		lo, hi, ok := strings.Cut(rs.Think, "..")
		st.ThinkMin = c.duration(n("think"), "think", strings.TrimSpace(lo))
		st.ThinkMax = st.ThinkMin
		if ok {
			st.ThinkMax = c.duration(n("think"), "think", strings.TrimSpace(hi))
			if st.ThinkMax < st.ThinkMin {
				c.errorf(n("think"), "think %q: the upper bound is below the lower one", rs.Think)
			}
		}
	}
	if rs.Chance != nil {
		st.Chance = *rs.Chance
		if st.Chance <= 0 || st.Chance > 1 {
			c.errorf(n("chance"), "chance must be in (0, 1]: the probability that the step runs")
		}
	}

	for _, kv := range c.pairs(&rs.Capture, "capture") {
		k, v := kv[0], kv[1]
		if !identRe.MatchString(k.Value) {
			c.errorf(k, "capture name %q: want letters, digits and _", k.Value)
			continue
		}
		p, err := parseJSONPath(v.Value)
		if err != nil {
			c.errorf(v, "capture %s: %v", k.Value, err)
			continue
		}
		st.captures = append(st.captures, capture{name: k.Value, path: p})
	}
	// Captures become visible to the steps after this one.
	for _, cp := range st.captures {
		if _, ok := sc.defined[cp.name]; st.Chance == 1 || !ok {
			sc.defined[cp.name] = st.Chance == 1
		}
	}
	return st
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 127 || !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
