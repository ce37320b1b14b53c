package load

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseScenario: Parse never panics on arbitrary bytes, and what it
// refuses it refuses as it promises: only *ScenarioErrors, each naming
// the file and a line of it. Only YAML's own reader errors (bad
// encoding) may come without a line; every other error points into the
// file.
func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(base))
	files, err := filepath.Glob(filepath.Join(scenarioDir, "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("f.yaml", data)
		if err == nil {
			if sc == nil {
				t.Fatal("Parse returned neither a scenario nor an error")
			}
			return
		}
		if sc != nil {
			t.Fatalf("Parse returned a scenario and %v", err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, e := range leaves(err) {
			var se *ScenarioError
			if !errors.As(e, &se) {
				t.Fatalf("error %v (%T) is not a *ScenarioError", e, e)
			}
			if se.File != "f.yaml" {
				t.Fatalf("error %v names file %q", e, se.File)
			}
			if se.Line < 1 || se.Line > lines {
				t.Fatalf("error %q: line %d, the file has %d", e, se.Line, lines)
			}
		}
	})
}

// leaves are the errors errors.Join put together, or err itself.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// TestYAMLErrorsHaveLines: the YAML errors yaml.v3 gives without a line
// still point at theirs.
func TestYAMLErrorsHaveLines(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{name: "syntax on the first line", data: `"`, want: "f.yaml:1: found unexpected end of stream"},
		{name: "invalid UTF-8", data: "name: t\nrate: 1\ndescription: \xff\n", want: "f.yaml:3: invalid leading UTF-8 octet"},
		{name: "control character", data: "name: t\ndescription: a\x01b\n", want: "f.yaml:2: control characters are not allowed"},
		{name: "unknown anchor", data: "name: t\nrate: 1\nduration: *d\n", want: "f.yaml:3: unknown anchor 'd' referenced"},
		{name: "syntax with a line", data: "name: t\n\trate: 1\n", want: "f.yaml:2: found a tab character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.data))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one starting %q", err, tt.want)
			}
		})
	}
}
