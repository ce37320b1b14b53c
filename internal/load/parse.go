package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The raw shapes of a scenario file. Decoding into them with KnownFields
// rejects unknown fields and wrong types; everything else is checked in
// compile (validate.go). Maps whose order matters (vars, capture, params,
// headers) stay yaml.Nodes.
type rawScenario struct {
	Name        string             `yaml:"name"`
	Description string             `yaml:"description"`
	Rate        *float64           `yaml:"rate"`
	Duration    string             `yaml:"duration"`
	StartRate   float64            `yaml:"start_rate"`
	Stages      []rawStage         `yaml:"stages"`
	MaxInFlight int                `yaml:"max_in_flight"`
	Regions     map[string]float64 `yaml:"regions"`
	Faults      []rawFault         `yaml:"faults"`
	Thresholds  []string           `yaml:"thresholds"`
	Journeys    []rawJourney       `yaml:"journeys"`
}

type rawStage struct {
	Duration string  `yaml:"duration"`
	Rate     float64 `yaml:"rate"`
}

type rawFault struct {
	Inject  string   `yaml:"inject"`
	Regions []string `yaml:"regions"`
	Ratio   *float64 `yaml:"ratio"`
}

type rawJourney struct {
	Name   string    `yaml:"name"`
	Weight *float64  `yaml:"weight"`
	Vars   yaml.Node `yaml:"vars"`
	Steps  []rawStep `yaml:"steps"`
}

type rawStep struct {
	Name    string     `yaml:"name"`
	Method  string     `yaml:"method"`
	Route   string     `yaml:"route"`
	Params  yaml.Node  `yaml:"params"`
	Headers yaml.Node  `yaml:"headers"`
	Body    *string    `yaml:"body"`
	Expect  statusList `yaml:"expect"`
	Capture yaml.Node  `yaml:"capture"`
	Think   string     `yaml:"think"`
	Chance  *float64   `yaml:"chance"`
}

// statusList is one status or a list of them.
type statusList []int

func (s *statusList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var v int
		if err := n.Decode(&v); err != nil {
			return err
		}
		*s = statusList{v}
		return nil
	}
	var v []int
	if err := n.Decode(&v); err != nil {
		return err
	}
	*s = v
	return nil
}

// ScenarioError is one problem at one place of a scenario file.
type ScenarioError struct {
	File string
	Line int
	Msg  string
}

func (e *ScenarioError) Error() string {
	if e.Line <= 0 {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Parse reads and validates a scenario. file names it in errors; every
// problem found is reported, each as a *ScenarioError with its line.
func Parse(file string, data []byte) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErrors(file, data, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &ScenarioError{File: file, Line: 1, Msg: "empty scenario"}
	}
	var raw rawScenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlErrors(file, data, err)
	}
	c := &compiler{file: file, root: root.Content[0]}
	s := c.compile(&raw)
	if len(c.errs) > 0 {
		slices.SortStableFunc(c.errs, func(a, b error) int {
			return a.(*ScenarioError).Line - b.(*ScenarioError).Line
		})
		return nil, errors.Join(c.errs...)
	}
	return s, nil
}

var yamlLineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var unknownFieldRe = regexp.MustCompile(`^field (\S+) not found in type load\.(\w+)$`)
var unknownAnchorRe = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// yamlReaderErrors start the messages of yaml.v3's reader, which refuses
// a byte without saying where it is.
var yamlReaderErrors = []string{
	"invalid leading UTF-8", "incomplete UTF-8", "invalid trailing UTF-8",
	"invalid length of a UTF-8", "invalid Unicode character", "control characters are not allowed",
}

// yamlErrors turns yaml.v3's errors into ScenarioErrors, with the known
// fields listed for an unknown one. Each gets a line of data: yaml.v3
// leaves it out of errors on the first line and of those its reader and
// anchor resolution find, so those are looked up here.
func yamlErrors(file string, data []byte, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	errs := make([]error, 0, len(msgs))
	for _, m := range msgs {
		e := &ScenarioError{File: file, Line: 1, Msg: strings.TrimPrefix(m, "yaml: ")}
		if sm := yamlLineRe.FindStringSubmatch(m); sm != nil {
			e.Line, _ = strconv.Atoi(sm[1])
			e.Msg = sm[2]
		} else {
			e.Line = unplacedLine(data, e.Msg)
		}
		if fm := unknownFieldRe.FindStringSubmatch(e.Msg); fm != nil {
			e.Msg = fmt.Sprintf("unknown field %q in %s (known: %s)", fm[1], rawTypeName(fm[2]), strings.Join(rawFields(fm[2]), ", "))
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// unplacedLine is the line of data a yaml.v3 error without one is about:
// the first byte YAML refuses for a reader error, the first use of the
// anchor for an unknown one, and otherwise the first line.
func unplacedLine(data []byte, msg string) int {
	off := -1
	if slices.ContainsFunc(yamlReaderErrors, func(p string) bool { return strings.HasPrefix(msg, p) }) {
		off = refusedByte(data)
	} else if am := unknownAnchorRe.FindStringSubmatch(msg); am != nil {
		off = bytes.Index(data, []byte("*"+am[1]))
	}
	if off < 0 {
		return 1
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// refusedByte is the offset of the first character YAML does not allow
// (invalid UTF-8 or a control character), or -1.
func refusedByte(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || !yamlPrintable(r) {
			return i
		}
		i += size
	}
	return -1
}

// yamlPrintable is YAML 1.2's c-printable, which yaml.v3's reader checks.
func yamlPrintable(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
		(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func rawType(name string) reflect.Type {
	switch name {
	case "rawStage":
		return reflect.TypeFor[rawStage]()
	case "rawFault":
		return reflect.TypeFor[rawFault]()
	case "rawJourney":
		return reflect.TypeFor[rawJourney]()
	case "rawStep":
		return reflect.TypeFor[rawStep]()
	default:
		return reflect.TypeFor[rawScenario]()
	}
}

func rawTypeName(name string) string {
	switch name {
	case "rawStage":
		return "a stage"
	case "rawFault":
		return "a fault"
	case "rawJourney":
		return "a journey"
	case "rawStep":
		return "a step"
	default:
		return "the scenario"
	}
}

func rawFields(name string) []string {
	t := rawType(name)
	fields := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		fields = append(fields, t.Field(i).Tag.Get("yaml"))
	}
	return fields
}

// at finds the node under n at path (mapping keys and sequence indexes);
// when the path goes missing it returns the deepest node found, so an
// error still points near its cause.
func at(n *yaml.Node, path ...any) *yaml.Node {
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						next = n.Content[i+1]
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// keyAt is like at, but for a mapping entry it returns the key's node,
// which is where "unknown region" and the like should point.
func keyAt(n *yaml.Node, path []any, key string) *yaml.Node {
	m := at(n, path...)
	if m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i]
			}
		}
	}
	return m
}
