package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/stack"
)

var update = flag.Bool("update", false, "rewrite the README's Configuration table from Vars")

const readme = "../../README.md" // go test runs in internal/config

// Vars is exactly what the loaders read, each variable once.
func TestVarsAreWhatTheLoadersRead(t *testing.T) {
	reads := map[string]int{}
	getenv := func(k string) string { reads[k]++; return "" }
	if _, err := Load(getenv); err != nil {
		t.Fatal(err)
	}
	LoadDesktop(getenv)
	for _, v := range Vars() {
		switch n := reads[v.Name]; n {
		case 1:
		case 0:
			t.Errorf("%s is declared in Vars but never read", v.Name)
		default:
			t.Errorf("%s is read %d times", v.Name, n)
		}
		delete(reads, v.Name)
	}
	for k := range reads {
		t.Errorf("%s is read but not declared in Vars", k)
	}
}

func TestVarsAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range Vars() {
		if !regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(v.Name) {
			t.Errorf("%q is not a variable name", v.Name)
		}
		if seen[v.Name] {
			t.Errorf("%s is declared twice", v.Name)
		}
		seen[v.Name] = true
		if v.Default != "" && v.Unset != "" {
			t.Errorf("%s has both a default and an Unset text", v.Name)
		}
		if v.Doc == "" {
			t.Errorf("%s is not documented", v.Name)
		}
		for _, s := range []string{v.Default, v.Unset, v.Doc} {
			if strings.ContainsAny(s, "|\n") {
				t.Errorf("%s: %q would break the README's table", v.Name, s)
			}
		}
	}
}

// The stack's defaults are the addresses package stack knows the compose
// file publishes.
func TestStackDefaultsAreTheComposeStacks(t *testing.T) {
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	want := Stack{
		ComposeFile: stack.ComposeFile, AnnotationURL: stack.LokiURL,
		PrometheusURL: stack.PrometheusURL, LokiURL: stack.LokiURL, TempoURL: stack.TempoURL,
		GrafanaURL: stack.GrafanaURL, MailpitURL: stack.MailpitURL, AlertmanagerURL: stack.AlertmanagerURL,
	}
	if c.Stack != want {
		t.Errorf("stack defaults %+v, want %+v", c.Stack, want)
	}
}

// configurationTable is the README's Configuration table, one row per
// variable of Vars.
func configurationTable() []string {
	rows := []string{"| variable | default | meaning |", "|---|---|---|"}
	for _, v := range Vars() {
		def := "–"
		switch {
		case v.Default != "":
			def = "`" + v.Default + "`"
		case v.Unset != "":
			def = v.Unset
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %s |", v.Name, def, v.Doc))
	}
	return rows
}

// readmeTable finds the table of the README's Configuration section: the
// lines [start, end) of lines.
func readmeTable(t *testing.T, lines []string) (start, end int) {
	t.Helper()
	heading := slices.Index(lines, "### Configuration")
	if heading < 0 {
		t.Fatalf("%s has no ### Configuration section", readme)
	}
	start = heading + 1
	for start < len(lines) && !strings.HasPrefix(lines[start], "|") {
		if strings.HasPrefix(lines[start], "#") {
			t.Fatalf("%s: the Configuration section has no table", readme)
		}
		start++
	}
	end = start
	for end < len(lines) && strings.HasPrefix(lines[end], "|") {
		end++
	}
	return start, end
}

// tableName is a variable named in a row's first cell.
var tableName = regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")

// The README documents exactly the variables Vars declares, with their
// defaults and documentation: its table is generated from Vars.
func TestREADMEConfigurationTableIsGenerated(t *testing.T) {
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	start, end := readmeTable(t, lines)
	want := configurationTable()
	if *update {
		lines = slices.Replace(lines, start, end, want...)
		if err := os.WriteFile(readme, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	const regenerate = "go test ./internal/config -run READMEConfiguration -update rewrites it"
	documented := map[string]bool{}
	for _, l := range lines[start:end] {
		if cells := strings.Split(l, "|"); len(cells) > 2 {
			for _, m := range tableName.FindAllStringSubmatch(cells[1], -1) {
				documented[m[1]] = true
			}
		}
	}
	declared := map[string]bool{}
	for _, v := range Vars() {
		declared[v.Name] = true
		if !documented[v.Name] {
			t.Errorf("%s: the Configuration table lacks %s (%s)", filepath.Base(readme), v.Name, regenerate)
		}
	}
	for name := range documented {
		if !declared[name] {
			t.Errorf("%s: the Configuration table lists %s, which config.Vars does not declare", filepath.Base(readme), name)
		}
	}
	if got := lines[start:end]; !slices.Equal(got, want) {
		for i := range max(len(got), len(want)) {
			g, w := "", ""
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Fatalf("%s: the Configuration table differs from config.Vars (%s); first at row %d:\n  README: %s\n  Vars:   %s",
					filepath.Base(readme), regenerate, i+1, g, w)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	env := map[string]string{"SHOPLAB_BIND_HOST": " 127.0.0.1,172.17.0.1 ", "SMTP_HOST": "  "}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name, want string
		set        bool
	}{
		{"SHOPLAB_BIND_HOST", "127.0.0.1,172.17.0.1", true},
		{"SHOPLAB_COMPOSE_FILE", "docker-compose.yml", false},
		{"SMTP_HOST", "", false},
		{"NOT_DECLARED", "", false},
	}
	for _, tt := range tests {
		if got, set := Lookup(getenv, tt.name); got != tt.want || set != tt.set {
			t.Errorf("Lookup(%s) = %q, %v; want %q, %v", tt.name, got, set, tt.want, tt.set)
		}
	}
}

func TestLoadDesktop(t *testing.T) {
	env := map[string]string{"TERM": "dumb", "BROWSER": " firefox "}
	d := LoadDesktop(func(k string) string { return env[k] })
	if d != (Desktop{Term: "dumb", Browser: "firefox"}) {
		t.Errorf("desktop %+v", d)
	}
	for _, tt := range []struct {
		d    Desktop
		want bool
	}{
		{Desktop{}, false},
		{Desktop{Term: "xterm"}, false},
		{Desktop{Display: ":0"}, true},
		{Desktop{WaylandDisplay: "wayland-0"}, true},
		{Desktop{Browser: "w3m"}, true},
	} {
		if got := tt.d.CanOpenBrowser(); got != tt.want {
			t.Errorf("%+v.CanOpenBrowser() = %v, want %v", tt.d, got, tt.want)
		}
	}
}
