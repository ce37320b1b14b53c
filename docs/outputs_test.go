package docs_test

// The outputs the article shows after its commands are the program's: the
// `shoplab status` table is compared with what the real command prints,
// run in-process.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/shoplab/shoplab/internal/cli"
)

// consoleOutput returns the output lines the article shows under the
// first `$ COMMAND` line of a console block, up to the next prompt or the
// end of the block, and where it is.
func consoleOutput(t *testing.T, command string) ([]string, string) {
	t.Helper()
	lines := strings.Split(string(readFile(t, articleFile)), "\n")
	fs, err := fences(lines)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.info != "console" {
			continue
		}
		for i := f.open + 1; i < f.close; i++ {
			if lines[i] != "$ "+command {
				continue
			}
			var out []string
			for j := i + 1; j < f.close && !strings.HasPrefix(lines[j], "$ "); j++ {
				out = append(out, lines[j])
			}
			return out, fmt.Sprintf("%s:%d", articleFile, i+1)
		}
	}
	t.Fatalf("%s has no console block with the line %q", articleFile, "$ "+command)
	return nil, ""
}

// runShoplab runs a shoplab command line in-process, with only the given
// environment, and returns what it printed on stdout.
func runShoplab(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	var stdout bytes.Buffer
	root := cli.NewCmdRoot(&cli.App{
		Getenv:     func(k string) string { return env[k] },
		Stdin:      strings.NewReader(""),
		Stdout:     &stdout,
		Stderr:     io.Discard,
		Executable: func() (string, error) { return "shoplab", nil },
	})
	root.SetArgs(args)
	// The exit status says whether the lab is healthy, which is not what
	// this test is about.
	_ = root.ExecuteContext(context.Background())
	return stdout.String()
}

// healthRE finds a component's health in a status row.
var healthRE = regexp.MustCompile(`^(\S+\s+)(healthy|down)(\s+)`)

// sameHealth rewrites a status row as if its component were healthy,
// keeping the columns: the article shows a running lab, this test runs
// against whatever listens on the default ports (usually nothing).
func sameHealth(row string) string {
	m := healthRE.FindStringSubmatchIndex(row)
	if m == nil {
		return row
	}
	pad := row[m[6]:m[7]]
	if row[m[4]:m[5]] == "down" {
		pad = pad[min(len(pad)-1, len("healthy")-len("down")):]
	}
	return row[:m[4]] + "healthy" + pad + row[m[7]:]
}

func TestStatusExampleIsTheProgramsOutput(t *testing.T) {
	shown, where := consoleOutput(t, "shoplab status")
	// The table: the lines up to the first blank one.
	var table []string
	for _, l := range shown {
		if l == "" {
			break
		}
		table = append(table, l)
	}
	if len(table) < 2 {
		t.Fatalf("%s: the shoplab status example shows no table", where)
	}

	// No docker on PATH: status then does not ask a Docker engine the
	// test does not control about containers. The article shows a lab
	// started with -d, which leaves its pid in the data directory: this
	// test's own pid stands in for it.
	t.Setenv("PATH", t.TempDir())
	dataDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dataDir, "shoplab.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runShoplab(t, map[string]string{"SHOPLAB_DATA_DIR": dataDir, "SHOPLAB_LOG_DIR": t.TempDir()}, "status")
	real := strings.Split(out, "\n")
	for i, l := range real {
		real[i] = pidRE.ReplaceAllString(sameHealth(l), "pid N")
	}
	n := slices.Index(real, "")
	if n < 2 {
		t.Fatalf("shoplab status printed no table:\n%s", out)
	}
	if strings.Join(table, "\n") != strings.Join(real[:n], "\n") {
		t.Errorf("%s: the shoplab status example is not what the program prints (healthy everywhere):\narticle:\n%s\nprogram:\n%s",
			where, strings.Join(table, "\n"), strings.Join(real[:n], "\n"))
	}

	// What the article shows after the table (the line about the
	// services' background process) follows the program's lines, with any
	// pid.
	rest := shown[len(table):]
	for i, l := range rest {
		l = pidRE.ReplaceAllString(l, "pid N")
		if n+i >= len(real) || l != real[n+i] {
			t.Errorf("%s: after the table the article shows %q, where shoplab status prints:\n%s", where, rest, strings.Join(real[n:], "\n"))
			break
		}
	}
}

var pidRE = regexp.MustCompile(`pid \d+`)

func TestSameHealth(t *testing.T) {
	for in, want := range map[string]string{
		"gateway       down      127.0.0.1:8100         -":    "gateway       healthy   127.0.0.1:8100         -",
		"gateway       healthy   127.0.0.1:8100         -":    "gateway       healthy   127.0.0.1:8100         -",
		"SERVICE       HEALTH    HTTP                   gRPC": "SERVICE       HEALTH    HTTP                   gRPC",
	} {
		if got := sameHealth(in); got != want {
			t.Errorf("sameHealth(%q) = %q, want %q", in, got, want)
		}
	}
}

// slug is the anchor GitHub gives a heading: lower case, punctuation
// dropped, spaces as hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// The steps point at each other ("see Troubleshooting"): every #anchor
// link of the article must lead to one of its headings.
func TestArticleAnchorsExist(t *testing.T) {
	lines := strings.Split(string(readFile(t, articleFile)), "\n")
	fs, err := fences(lines)
	if err != nil {
		t.Fatal(err)
	}
	inFence := map[int]bool{}
	for _, f := range fs {
		for i := f.open; i <= f.close; i++ {
			inFence[i] = true
		}
	}
	anchors := map[string]bool{}
	for i, l := range lines {
		if !inFence[i] && strings.HasPrefix(l, "#") {
			anchors[slug(strings.TrimSpace(strings.TrimLeft(l, "#")))] = true
		}
	}
	links := 0
	for i, l := range lines {
		if inFence[i] {
			continue
		}
		for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(l, -1) {
			links++
			if !anchors[m[1]] {
				t.Errorf("%s:%d: the link #%s leads to no heading", articleFile, i+1, m[1])
			}
		}
	}
	if links == 0 {
		t.Errorf("%s has no #anchor links: is the parser broken?", articleFile)
	}
	if got := slug("Linux (Debian, Ubuntu)"); got != "linux-debian-ubuntu" {
		t.Errorf("slug = %q", got)
	}
}
