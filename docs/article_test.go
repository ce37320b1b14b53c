// Tests that keep docs/article.md true to the repository:
//
//   - every block marked <!-- file: PATH --> is that file, byte for byte
//     (go test ./docs/ -update rewrites the blocks from the files);
//   - every make target, shoplab command and flag, and air config file the
//     article tells the reader to use exists;
//   - no misspelling listed in docs/corrections.md survives in the article;
//   - docs/architecture.svg was rendered from the current architecture.dot,
//     and the pictures under docs/img from the current golden screens
//     (pictures_test.go);
//   - the outputs the article shows are what the program prints
//     (outputs_test.go);
//   - the air configurations shown are valid and run what they claim.
package docs_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoplab/shoplab/internal/cli"
	"github.com/shoplab/shoplab/internal/compose"
)

var update = flag.Bool("update", false, "rewrite the article's <!-- file: --> blocks from the repository files")

const (
	repoRoot        = ".." // go test runs in docs/
	articleFile     = "article.md"
	correctionsFile = "corrections.md"
	dotFile         = "architecture.dot"
	svgFile         = "architecture.svg"
)

// originalDraft is the author's draft as written, kept in the repository
// with the leaked SMTP credentials replaced by <redacted>.
var originalDraft = filepath.Join("draft", "original.md")

// notShownMounts are bind-mounted paths from docker-compose.yml that the
// article describes without showing their content, and why.
var notShownMounts = map[string]string{
	"logs":       "runtime: the services' log files",
	"dashboards": "generated dashboard JSON (tens of KB each): described, not shown",
}

// alsoShown are repository files the article must show besides the compose
// file and what it mounts.
var alsoShown = []string{".env.example", ".envrc", ".air.toml", "Makefile"}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---- markdown fences --------------------------------------------------------

type fence struct {
	info       string // the info string: "sh", "yaml", ...
	open       int    // line index of the opening fence
	close      int    // line index of the closing fence
	marker     string // the <!-- file: ... --> comment on the line before, if any
	lineNumber int    // 1-based line of the opening fence, for messages
}

func (f fence) content(lines []string) string {
	if f.close == f.open+1 {
		return ""
	}
	return strings.Join(lines[f.open+1:f.close], "\n") + "\n"
}

var (
	fenceOpenRE = regexp.MustCompile("^(`{3,}|~{3,})\\s*([^`]*)$")
	markerRE    = regexp.MustCompile(`^<!-- file: (\S+?)(?: lines (\d+)-(\d+))? -->$`)
)

// fences finds the fenced code blocks of a markdown document (only fences
// that start at the beginning of a line).
func fences(lines []string) ([]fence, error) {
	var out []fence
	for i := 0; i < len(lines); i++ {
		m := fenceOpenRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		f := fence{open: i, close: -1, lineNumber: i + 1}
		if fields := strings.Fields(m[2]); len(fields) > 0 {
			f.info = fields[0]
		}
		if i > 0 && markerRE.MatchString(lines[i-1]) {
			f.marker = lines[i-1]
		}
		for j := i + 1; j < len(lines); j++ {
			l := strings.TrimRight(lines[j], " ")
			if strings.HasPrefix(l, m[1][:1]) && strings.Trim(l, m[1][:1]) == "" && len(l) >= len(m[1]) {
				f.close = j
				break
			}
		}
		if f.close < 0 {
			return nil, fmt.Errorf("line %d: fence %q is never closed", i+1, m[1])
		}
		out = append(out, f)
		i = f.close
	}
	return out, nil
}

func splitLines(b []byte) []string {
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// ---- 1. marked blocks are the repository's files ----------------------------

type marked struct {
	path       string
	from, to   int // 1-based line range; 0 = whole file
	fence      fence
	wantBlock  string
	haveBlock  string
	fileExists bool
}

func parseMarker(s string) (path string, from, to int) {
	m := markerRE.FindStringSubmatch(s)
	path = m[1]
	if m[2] != "" {
		from, _ = strconv.Atoi(m[2])
		to, _ = strconv.Atoi(m[3])
	}
	return path, from, to
}

// expected is what a marked block must contain.
func expected(path string, from, to int) (string, error) {
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(path)))
	if err != nil {
		return "", err
	}
	if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
		return "", fmt.Errorf("%s does not end with a newline: a code block cannot show it byte for byte", path)
	}
	if from == 0 {
		return string(b), nil
	}
	lines := splitLines(b)
	if from < 1 || to < from || to > len(lines) {
		return "", fmt.Errorf("%s has %d lines: lines %d-%d do not exist", path, len(lines), from, to)
	}
	return strings.Join(lines[from-1:to], "\n") + "\n", nil
}

// fenceFor picks a backtick fence longer than any backtick run in s.
func fenceFor(s string) string {
	longest := 0
	for _, run := range regexp.MustCompile("`+").FindAllString(s, -1) {
		longest = max(longest, len(run))
	}
	return strings.Repeat("`", max(3, longest+1))
}

func TestMarkedBlocksAreTheRepositoryFiles(t *testing.T) {
	raw := readFile(t, articleFile)
	lines := strings.Split(string(raw), "\n")
	fs, err := fences(lines)
	if err != nil {
		t.Fatal(err)
	}
	// Every marker must sit right above a fence.
	fenceAt := map[int]bool{}
	for _, f := range fs {
		fenceAt[f.open] = true
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "<!-- file:") && (!markerRE.MatchString(l) || !fenceAt[i+1]) {
			t.Errorf("%s:%d: %q must be exactly <!-- file: PATH --> (or PATH lines A-B) on the line right above a code fence", articleFile, i+1, l)
		}
	}

	shown := map[string]bool{}
	changed := false
	// Rewrite from the end so earlier line indexes stay valid.
	for k := len(fs) - 1; k >= 0; k-- {
		f := fs[k]
		if f.marker == "" {
			continue
		}
		path, from, to := parseMarker(f.marker)
		if from == 0 {
			shown[path] = true
		}
		want, err := expected(path, from, to)
		if err != nil {
			t.Errorf("%s:%d: %v", articleFile, f.lineNumber, err)
			continue
		}
		have := f.content(lines)
		if have == want {
			continue
		}
		if *update {
			fenceStr := fenceFor(want)
			block := []string{fenceStr + f.info}
			block = append(block, splitLines([]byte(want))...)
			block = append(block, fenceStr)
			lines = slices.Concat(lines[:f.open], block, lines[f.close+1:])
			changed = true
			t.Logf("updated the block of %s at line %d", f.marker, f.lineNumber)
			continue
		}
		t.Errorf("%s:%d: the block marked %s differs from the file at its line %d:\n  article: %q\n  file:    %q\nrun: go test ./docs/ -update",
			articleFile, f.lineNumber, f.marker, firstDiffLine(have, want), lineOf(have, firstDiffLine(have, want)), lineOf(want, firstDiffLine(have, want)))
	}
	if changed {
		if err := os.WriteFile(articleFile, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The compose file, every file it bind-mounts, and the dev-environment
	// files must each be shown whole.
	required := append([]string{"docker-compose.yml"}, alsoShown...)
	mounts, err := composeBindMounts(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts {
		if _, skip := notShownMounts[m]; skip {
			continue
		}
		fi, err := os.Stat(filepath.Join(repoRoot, m))
		if err != nil {
			t.Errorf("docker-compose.yml mounts ./%s, which does not exist: %v", m, err)
			continue
		}
		if !fi.IsDir() {
			required = append(required, m)
			continue
		}
		err = filepath.WalkDir(filepath.Join(repoRoot, m), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(repoRoot, p)
			required = append(required, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range required {
		if !shown[r] {
			t.Errorf("%s shows no whole-file block of %s: add\n<!-- file: %s -->\n```\n```\nand run: go test ./docs/ -update", articleFile, r, r)
		}
	}
}

func firstDiffLine(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

func lineOf(s string, n int) string {
	l := strings.Split(s, "\n")
	if n-1 < len(l) {
		return l[n-1]
	}
	return "(end of block)"
}

// composeBindMounts lists the relative host paths (./x) that
// docker-compose.yml bind-mounts, without the ./ prefix.
func composeBindMounts(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	re := regexp.MustCompile(`(?m)^\s*-\s*\./([^:\s]+):`)
	seen := map[string]bool{}
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		p := strings.TrimSuffix(m[1], "/")
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("docker-compose.yml: found no ./ bind mounts; has its format changed?")
	}
	return out, nil
}

// The prose names the images the compose file pins; when an image is
// bumped, the prose must follow (the file block itself follows by -update).
func TestProseNamesTheComposeImages(t *testing.T) {
	lines := strings.Split(string(readFile(t, articleFile)), "\n")
	fs, err := fences(lines)
	if err != nil {
		t.Fatal(err)
	}
	var prose []string
	next := 0
	for _, f := range fs {
		if f.marker == "" {
			continue
		}
		prose = append(prose, lines[next:f.open]...)
		next = f.close + 1
	}
	text := strings.Join(append(prose, lines[next:]...), "\n")

	compose := string(readFile(t, filepath.Join(repoRoot, "docker-compose.yml")))
	images := regexp.MustCompile(`(?m)^\s*image:\s*([^\s#]+)`).FindAllStringSubmatch(compose, -1)
	if len(images) == 0 {
		t.Fatal("docker-compose.yml: no image: lines found")
	}
	for _, m := range images {
		image := m[1]
		repo := image[:strings.LastIndexByte(image, ':')]
		if !strings.Contains(text, "`"+image+"`") {
			t.Errorf("%s does not name the image %s that docker-compose.yml pins", articleFile, image)
		}
		for _, other := range regexp.MustCompile(regexp.QuoteMeta(repo)+`:[\w.-]+`).FindAllString(text, -1) {
			if other != image {
				t.Errorf("%s names %s, but docker-compose.yml pins %s", articleFile, other, image)
			}
		}
	}
}

// ---- 2. the commands the article shows exist ----------------------------------

// makeTargets parses the Makefile's explicit targets.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.-]*(?:[ \t]+[A-Za-z0-9][A-Za-z0-9_.-]*)*)[ \t]*:([^=]|$)`)
	targets := map[string]bool{}
	for _, l := range splitLines(readFile(t, filepath.Join(repoRoot, "Makefile"))) {
		if strings.HasPrefix(l, "\t") {
			continue
		}
		if m := re.FindStringSubmatch(l); m != nil {
			for _, name := range strings.Fields(m[1]) {
				targets[name] = true
			}
		}
	}
	if len(targets) == 0 {
		t.Fatal("found no targets in the Makefile")
	}
	return targets
}

func TestMakefileTargetsParsed(t *testing.T) {
	targets := makeTargets(t)
	for _, want := range []string{"help", "run", "run-local", "build", "test", "vet", "tools", "proto", "dev", "dev-tools", "diagram"} {
		if !targets[want] {
			t.Errorf("Makefile has no target %q (have %v)", want, sortedKeys(targets))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// shellWords splits a command line into simple commands (separated by
// ;, &&, ||, |, &) of words, handling quotes and backslashes.
func shellWords(line string) [][]string {
	var cmds [][]string
	var cur []string
	var word strings.Builder
	inWord := false
	flushWord := func() {
		if inWord {
			cur = append(cur, word.String())
			word.Reset()
			inWord = false
		}
	}
	flushCmd := func() {
		flushWord()
		if len(cur) > 0 {
			cmds = append(cmds, cur)
		}
		cur = nil
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			inWord = true
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				word.WriteString(line[i+1:])
				i = len(line)
				break
			}
			word.WriteString(line[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) {
					i++
				}
				word.WriteByte(line[i])
			}
		case c == '\\' && i+1 < len(line):
			inWord = true
			i++
			word.WriteByte(line[i])
		case c == ' ' || c == '\t':
			flushWord()
		case c == '#' && !inWord:
			flushCmd()
			return cmds
		case c == ';' || c == '|' || c == '&' || c == '(' || c == ')':
			flushCmd()
		default:
			inWord = true
			word.WriteByte(c)
		}
	}
	flushCmd()
	return cmds
}

type shellLine struct {
	text  string
	where string // file:line
}

// shellCommands returns the commands of the article's sh, bash, shell and
// console blocks (console: only lines with a "$ " prompt), continuation
// lines joined, plus every inline `code span` that starts with make,
// shoplab, air or go run.
func shellCommands(t *testing.T) []shellLine {
	t.Helper()
	lines := strings.Split(string(readFile(t, articleFile)), "\n")
	fs, err := fences(lines)
	if err != nil {
		t.Fatal(err)
	}
	var out []shellLine
	inFence := map[int]bool{}
	for _, f := range fs {
		for i := f.open; i <= f.close; i++ {
			inFence[i] = true
		}
		switch f.info {
		case "sh", "bash", "shell", "console":
		default:
			continue
		}
		var pending string
		start := 0
		for i := f.open + 1; i < f.close; i++ {
			l := lines[i]
			if pending == "" {
				if f.info == "console" {
					if !strings.HasPrefix(l, "$ ") {
						continue
					}
					l = strings.TrimPrefix(l, "$ ")
				}
				start = i + 1
			}
			if strings.HasSuffix(l, "\\") {
				pending += strings.TrimSuffix(l, "\\") + " "
				continue
			}
			out = append(out, shellLine{text: pending + l, where: fmt.Sprintf("%s:%d", articleFile, start)})
			pending = ""
		}
	}
	span := regexp.MustCompile("`([^`]+)`")
	for i, l := range lines {
		if inFence[i] {
			continue
		}
		for _, m := range span.FindAllStringSubmatch(l, -1) {
			c := m[1]
			for _, p := range []string{"make ", "shoplab ", "air ", "go run ./cmd/shoplab", "docker "} {
				if strings.HasPrefix(c, p) {
					out = append(out, shellLine{text: c, where: fmt.Sprintf("%s:%d (inline)", articleFile, i+1)})
					break
				}
			}
		}
	}
	return out
}

func newRoot() *cobra.Command {
	return cli.NewCmdRoot(&cli.App{
		Getenv:     func(string) string { return "" },
		Stdin:      strings.NewReader(""),
		Stdout:     io.Discard,
		Stderr:     io.Discard,
		Executable: func() (string, error) { return "shoplab", nil },
	})
}

// placeholder reports whether a positional argument stands for a value the
// reader picks (SERVICE, <id>, $ID, ...).
func placeholder(s string) bool {
	return strings.ContainsAny(s, "$<>[]{}") || regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(s)
}

func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f
	}
	return cmd.InheritedFlags().Lookup(name)
}

func lookupShorthand(cmd *cobra.Command, c string) *pflag.Flag {
	if f := cmd.Flags().ShorthandLookup(c); f != nil {
		return f
	}
	return cmd.InheritedFlags().ShorthandLookup(c)
}

// checkShoplab checks a shoplab command line (the words after the program)
// against the real command tree. It returns the flag values given.
func checkShoplab(args []string) (map[string]string, error) {
	root := newRoot()
	cmd, rest, err := root.Find(args)
	if err != nil || (cmd == root && len(args) > 0 && !strings.HasPrefix(args[0], "-")) {
		if err == nil {
			err = fmt.Errorf("unknown command %q", args[0])
		}
		return nil, err
	}
	cmd.InitDefaultHelpFlag()
	values := map[string]string{}
	var positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			f := lookupFlag(cmd, name)
			if f == nil {
				return nil, fmt.Errorf("%q has no flag --%s", cmd.CommandPath(), name)
			}
			if !hasVal && f.NoOptDefVal == "" {
				if i+1 >= len(rest) {
					return nil, fmt.Errorf("--%s needs a value", name)
				}
				i++
				val = rest[i]
			}
			values[f.Name] = val
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				f := lookupShorthand(cmd, a[j:j+1])
				if f == nil {
					return nil, fmt.Errorf("%q has no flag -%s", cmd.CommandPath(), a[j:j+1])
				}
				if f.NoOptDefVal != "" {
					values[f.Name] = f.NoOptDefVal
					continue
				}
				if j+1 < len(a) {
					values[f.Name] = a[j+1:]
				} else if i+1 < len(rest) {
					i++
					values[f.Name] = rest[i]
				} else {
					return nil, fmt.Errorf("-%s needs a value", a[j:j+1])
				}
				break
			}
		default:
			positional = append(positional, a)
		}
	}
	if _, help := values["help"]; help {
		return values, nil
	}
	if len(cmd.ValidArgs) > 0 {
		valid := make([]string, len(cmd.ValidArgs))
		for i, v := range cmd.ValidArgs {
			valid[i], _, _ = strings.Cut(v, "\t")
		}
		for _, p := range positional {
			if !placeholder(p) && !slices.Contains(valid, p) {
				return nil, fmt.Errorf("%q does not take %q: want one of %v", cmd.CommandPath(), p, valid)
			}
		}
	}
	if cmd.Args != nil {
		if err := cmd.Args(cmd, positional); err != nil {
			return nil, fmt.Errorf("%s: %w", cmd.CommandPath(), err)
		}
	}
	return values, nil
}

// checkCommand checks one simple command; it ignores programs it does not
// know.
func checkCommand(words []string, targets map[string]bool) error {
	// Leading VAR=value assignments and wrappers.
	for len(words) > 0 && (regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(words[0]) ||
		slices.Contains([]string{"sudo", "env", "time", "exec", "command"}, words[0])) {
		words = words[1:]
	}
	if len(words) == 0 {
		return nil
	}
	prog := words[0]
	switch {
	case prog == "make":
		for i := 1; i < len(words); i++ {
			w := words[i]
			switch {
			case w == "-C" || w == "-f" || w == "-j":
				i++
			case strings.HasPrefix(w, "-"):
			case strings.Contains(w, "="):
				name, val, _ := strings.Cut(w, "=")
				if name == "SERVICE" && !placeholder(val) {
					if _, err := os.Stat(filepath.Join(repoRoot, ".air", val+".toml")); err != nil {
						return fmt.Errorf("make ... SERVICE=%s: there is no .air/%s.toml", val, val)
					}
				}
			case !targets[w]:
				return fmt.Errorf("the Makefile has no target %q", w)
			}
		}
	case prog == "shoplab" || filepath.Base(prog) == "shoplab":
		return checkShoplabLine(words[1:])
	case prog == "docker":
		return checkDocker(words[1:])
	case prog == "go" && len(words) > 2 && words[1] == "run":
		i := 2
		for i < len(words) && strings.HasPrefix(words[i], "-") {
			i++
		}
		if i < len(words) && (words[i] == "./cmd/shoplab" || words[i] == "github.com/shoplab/shoplab/cmd/shoplab") {
			return checkShoplabLine(words[i+1:])
		}
	case prog == "air":
		for i := 1; i < len(words); i++ {
			if words[i] == "--" {
				return checkShoplabLine(words[i+1:])
			}
			if words[i] == "-c" && i+1 < len(words) {
				i++
				if _, err := os.Stat(filepath.Join(repoRoot, words[i])); err != nil {
					return fmt.Errorf("air -c %s: no such file", words[i])
				}
			}
		}
	}
	return nil
}

// composeStack lists docker-compose.yml's services and profiles.
func composeStack() (services, profiles map[string]bool, err error) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		return nil, nil, err
	}
	services, profiles = map[string]bool{}, map[string]bool{}
	inServices := false
	for _, l := range splitLines(b) {
		switch {
		case l == "services:":
			inServices = true
		case l != "" && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "#"):
			inServices = false
		case inServices:
			if m := regexp.MustCompile(`^  ([a-z0-9][a-z0-9_-]*):$`).FindStringSubmatch(l); m != nil {
				services[m[1]] = true
			}
		}
		if m := regexp.MustCompile(`^\s+profiles:\s*\[([^\]]*)\]`).FindStringSubmatch(l); m != nil {
			for _, p := range strings.Split(m[1], ",") {
				profiles[strings.Trim(strings.TrimSpace(p), `"'`)] = true
			}
		}
	}
	if len(services) == 0 {
		return nil, nil, errors.New("docker-compose.yml: found no services; has its format changed?")
	}
	return services, profiles, nil
}

// checkDocker checks the docker commands the article gives against the
// compose file: the project, the profiles, and the services and containers
// they name. Other docker commands pass.
func checkDocker(args []string) error {
	services, profiles, err := composeStack()
	if err != nil {
		return err
	}
	service := func(name string) error {
		if placeholder(name) || services[name] {
			return nil
		}
		return fmt.Errorf("docker-compose.yml has no service %q", name)
	}
	switch {
	case len(args) > 0 && args[0] == "compose":
		sub := ""
		for i := 1; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "-p" || a == "--project-name":
				i++
				if i < len(args) && args[i] != compose.Project {
					return fmt.Errorf("the compose project is %s, not %s", compose.Project, args[i])
				}
			case a == "-f" || a == "--file":
				i++
			case a == "--profile":
				i++
				if i < len(args) && !profiles[args[i]] {
					return fmt.Errorf("docker-compose.yml has no profile %q", args[i])
				}
			case a == "--scale":
				i++
				if i < len(args) {
					name, _, _ := strings.Cut(args[i], "=")
					if err := service(name); err != nil {
						return err
					}
				}
			case strings.HasPrefix(a, "-"):
			case sub == "":
				sub = a
			case slices.Contains([]string{"logs", "ps", "restart", "stop", "start", "up", "exec"}, sub):
				if err := service(a); err != nil {
					return err
				}
				if sub == "exec" {
					return nil // the rest is the command to run
				}
			}
		}
	case len(args) > 1 && args[0] == "network" && args[1] == "inspect":
		for _, a := range args[2:] {
			if !strings.HasPrefix(a, "-") && a != compose.Project+"_default" {
				return fmt.Errorf("the compose network is %s_default, not %s", compose.Project, a)
			}
		}
	case len(args) > 0 && args[0] == "inspect":
		for i := 1; i < len(args); i++ {
			if args[i] == "--format" || args[i] == "-f" {
				i++
				continue
			}
			if m := regexp.MustCompile(`^` + compose.Project + `-(.+)-\d+$`).FindStringSubmatch(args[i]); m != nil {
				if err := service(m[1]); err != nil {
					return fmt.Errorf("container %s: %w", args[i], err)
				}
			} else if !placeholder(args[i]) {
				return fmt.Errorf("%q is not a container of the compose project (%s-<service>-1)", args[i], compose.Project)
			}
		}
	}
	return nil
}

func checkShoplabLine(args []string) error {
	values, err := checkShoplab(args)
	if sc, ok := values["scenario"]; ok && !placeholder(sc) {
		if _, serr := os.Stat(filepath.Join(repoRoot, "scenarios", sc+".yaml")); serr != nil {
			return fmt.Errorf("--scenario=%s: there is no scenarios/%s.yaml", sc, sc)
		}
	}
	return err
}

func TestArticleCommandsExist(t *testing.T) {
	targets := makeTargets(t)
	cmds := shellCommands(t)
	if len(cmds) < 10 {
		t.Fatalf("found only %d commands in %s: is the parser broken?", len(cmds), articleFile)
	}
	checked := 0
	for _, c := range cmds {
		for _, words := range shellWords(c.text) {
			if err := checkCommand(words, targets); err != nil {
				t.Errorf("%s: %q: %v", c.where, c.text, err)
			}
			checked++
		}
	}
	t.Logf("checked %d commands", checked)
}

// The checker itself must catch mistakes, or a green run proves nothing.
func TestCommandCheckerCatchesMistakes(t *testing.T) {
	targets := makeTargets(t)
	good := []string{
		"make run", "make dev SERVICE=catalog", "make diagram",
		"shoplab up --local -d", "shoplab down --volumes --local", "shoplab status",
		"go run ./cmd/shoplab serve catalog", "shoplab open checkout",
		"shoplab open --trace 4bf92f3577b34da6a3ce929d0e0e4736", ".bin/shoplab up -v",
		"shoplab up --wait=30s", "shoplab serve --help", "air -c .air/orders.toml",
		"docker compose -p shoplab logs kafka", "docker compose --profile promtail up -d --scale alloy=0",
		"docker inspect --format '{{.State.OOMKilled}}' shoplab-kafka-1", "docker network inspect shoplab_default",
		"docker compose ps", "docker version",
	}
	bad := []string{
		"make deploy", "make dev SERVICE=payments", "shoplab start", "shoplab up --remote",
		"shoplab up -x", "go run ./cmd/shoplab serve payments", "shoplab open sales",
		"shoplab status extra", "air -c .air/payments.toml", "shoplab open --trace",
		"shoplab load --scenario=nonexistent",
		"docker compose -p shoplab logs zookeeper", "docker compose -p shop ps",
		"docker compose --profile promtial up -d", "docker compose up -d --scale allloy=0",
		"docker inspect shoplab-zookeeper-1", "docker network inspect shoplab_net",
	}
	for _, s := range good {
		for _, w := range shellWords(s) {
			if err := checkCommand(w, targets); err != nil {
				t.Errorf("%q: unexpected error %v", s, err)
			}
		}
	}
	for _, s := range bad {
		var err error
		for _, w := range shellWords(s) {
			if e := checkCommand(w, targets); e != nil {
				err = e
			}
		}
		if err == nil {
			t.Errorf("%q: want an error, got %v", s, err)
		}
	}
	if got := shellWords(`FOO=1 make dev SERVICE="catalog" && shoplab status # note`); len(got) != 2 || got[0][2] != "dev" || got[1][0] != "shoplab" {
		t.Errorf("shellWords: %q", got)
	}
}

// ---- 3. no misspelling from the draft survives ---------------------------------

// misspellings parses the table under the "Misspellings" heading of
// corrections.md: the Draft column.
func misspellings(t *testing.T) []string {
	t.Helper()
	lines := splitLines(readFile(t, correctionsFile))
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "#") && strings.Contains(strings.ToLower(l), "misspellings") {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatalf("%s has no heading containing \"Misspellings\"", correctionsFile)
	}
	col := -1
	var words []string
	inTable := false
	for _, l := range lines[start+1:] {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "|") {
			if inTable {
				break
			}
			if strings.HasPrefix(l, "#") {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if col < 0 {
			for i, c := range cells {
				if strings.EqualFold(c, "Draft") {
					col = i
				}
			}
			if col < 0 {
				t.Fatalf("%s: the Misspellings table has no Draft column: %q", correctionsFile, l)
			}
			continue
		}
		if regexp.MustCompile(`^:?-+:?$`).MatchString(cells[0]) {
			continue
		}
		if col < len(cells) {
			if w := strings.Trim(cells[col], "`*_ "); w != "" {
				words = append(words, w)
			}
		}
	}
	return words
}

func wordRE(w string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(^|[^\pL\pN_])` + regexp.QuoteMeta(w) + `($|[^\pL\pN_])`)
}

func TestNoDraftMisspellingSurvives(t *testing.T) {
	words := misspellings(t)
	if len(words) < 5 {
		t.Fatalf("the Misspellings table of %s lists %d words: it should list the draft's misspellings", correctionsFile, len(words))
	}
	article := string(readFile(t, articleFile))
	for _, w := range words {
		if loc := wordRE(w).FindStringIndex(article); loc != nil {
			line := strings.Count(article[:loc[0]+1], "\n") + 1
			t.Errorf("%s:%d: the draft's misspelling %q is still there", articleFile, line, w)
		}
	}
	t.Run("each listed word is in the draft", func(t *testing.T) {
		draft := readFile(t, originalDraft)
		for _, w := range words {
			if !wordRE(w).Match(draft) {
				t.Errorf("%s lists %q as a misspelling, but the draft does not contain it", correctionsFile, w)
			}
		}
	})
}

// ---- 4. the diagram is current ---------------------------------------------------

var svgHashRE = regexp.MustCompile(`<!-- source-sha256: ([0-9a-f]{64}) -->`)

func TestDiagramSVGIsCurrent(t *testing.T) {
	dot := readFile(t, dotFile)
	svg := readFile(t, svgFile)
	sum := sha256.Sum256(dot)
	want := hex.EncodeToString(sum[:])
	m := svgHashRE.FindSubmatch(svg)
	switch {
	case m == nil:
		t.Errorf("%s carries no <!-- source-sha256: ... --> comment: run make diagram", svgFile)
	case string(m[1]) != want:
		t.Errorf("%s was rendered from another version of %s (sha256 %s, now %s): run make diagram", svgFile, dotFile, m[1], want)
	}
	// Well-formed XML, or browsers show an error instead of the picture.
	checkSVG(t, svgFile, svg)
	article := string(readFile(t, articleFile))
	if !strings.Contains(article, "("+svgFile+")") {
		t.Errorf("%s does not link %s", articleFile, svgFile)
	}
	if !strings.Contains(article, "```mermaid\n") {
		t.Errorf("%s has no mermaid block", articleFile)
	}
}

// ---- 5. the air configurations -----------------------------------------------------

// airKeys are the keys air v1.67.4 reads (runner/config.go), by table.
var airKeys = map[string][]string{
	"": {"root", "tmp_dir", "testdata_dir", "env_files"},
	"build": {"pre_cmd", "cmd", "post_cmd", "bin", "entrypoint", "full_bin", "args_bin", "log",
		"include_ext", "exclude_dir", "include_dir", "exclude_file", "include_file", "exclude_regex",
		"exclude_unchanged", "ignore_dangerous_root_dir", "follow_symlink", "poll", "poll_interval",
		"delay", "stop_on_error", "send_interrupt", "kill_delay", "rerun", "rerun_delay"},
	"color":  {"main", "watcher", "build", "runner", "app", "mode"},
	"log":    {"time", "main_only", "silent"},
	"misc":   {"clean_on_exit", "startup_banner"},
	"screen": {"clear_on_rebuild", "keep_scroll"},
	"proxy":  {"enabled", "proxy_port", "app_port", "app_start_timeout"},
}

// parseTOML reads the subset of TOML the air configurations use: [tables],
// key = "string" | 'string' | [strings] | true/false | integer, # comments.
func parseTOML(src string) (map[string]any, error) {
	out := map[string]any{}
	table := ""
	for n, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") || strings.HasPrefix(line, "[[") {
				return nil, fmt.Errorf("line %d: unsupported table header %q", n+1, line)
			}
			table = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		key, rest, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want key = value: %q", n+1, line)
		}
		key = strings.TrimSpace(key)
		val, tail, err := tomlValue(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n+1, err)
		}
		if tail = strings.TrimSpace(tail); tail != "" && !strings.HasPrefix(tail, "#") {
			return nil, fmt.Errorf("line %d: unexpected %q after the value", n+1, tail)
		}
		full := key
		if table != "" {
			full = table + "." + key
		}
		if _, dup := out[full]; dup {
			return nil, fmt.Errorf("line %d: %s is set twice", n+1, full)
		}
		out[full] = val
	}
	return out, nil
}

func tomlValue(s string) (any, string, error) {
	switch {
	case strings.HasPrefix(s, `"`):
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '"':
				return b.String(), s[i+1:], nil
			case '\\':
				if i+1 >= len(s) {
					return nil, "", errors.New("unterminated escape")
				}
				i++
				switch s[i] {
				case '\\', '"':
					b.WriteByte(s[i])
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					return nil, "", fmt.Errorf("unsupported escape \\%c", s[i])
				}
			default:
				b.WriteByte(s[i])
			}
		}
		return nil, "", errors.New("unterminated string")
	case strings.HasPrefix(s, "'"):
		j := strings.IndexByte(s[1:], '\'')
		if j < 0 {
			return nil, "", errors.New("unterminated literal string")
		}
		return s[1 : 1+j], s[2+j:], nil
	case strings.HasPrefix(s, "["):
		var items []string
		rest := strings.TrimSpace(s[1:])
		for {
			if strings.HasPrefix(rest, "]") {
				return items, rest[1:], nil
			}
			v, tail, err := tomlValue(rest)
			if err != nil {
				return nil, "", err
			}
			str, ok := v.(string)
			if !ok {
				return nil, "", errors.New("only arrays of strings are supported")
			}
			items = append(items, str)
			rest = strings.TrimSpace(tail)
			if strings.HasPrefix(rest, ",") {
				rest = strings.TrimSpace(rest[1:])
			} else if !strings.HasPrefix(rest, "]") {
				return nil, "", fmt.Errorf("want , or ] in array, got %q", rest)
			}
		}
	case strings.HasPrefix(s, "true"):
		return true, s[4:], nil
	case strings.HasPrefix(s, "false"):
		return false, s[5:], nil
	default:
		m := regexp.MustCompile(`^-?[0-9]+`).FindString(s)
		if m == "" {
			return nil, "", fmt.Errorf("unsupported value %q", s)
		}
		n, err := strconv.Atoi(m)
		return n, s[len(m):], err
	}
}

func TestAirConfigs(t *testing.T) {
	// The services `shoplab serve` accepts, less the broker: one config each.
	var services []string
	serve, _, err := newRoot().Find([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range serve.ValidArgs {
		if v, _, _ = strings.Cut(v, "\t"); v != "broker" {
			services = append(services, v)
		}
	}
	configs := map[string]string{".air.toml": "all"}
	for _, s := range services {
		configs[".air/"+s+".toml"] = s
	}
	extra, _ := filepath.Glob(filepath.Join(repoRoot, ".air", "*.toml"))
	for _, e := range extra {
		rel, _ := filepath.Rel(repoRoot, e)
		if _, ok := configs[filepath.ToSlash(rel)]; !ok {
			t.Errorf("%s is not the config of a service that shoplab serve knows (%v)", rel, services)
		}
	}
	tmpDirs := map[string]string{}
	for path, name := range configs {
		t.Run(path, func(t *testing.T) {
			cfg, err := parseTOML(string(readFile(t, filepath.Join(repoRoot, path))))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for k := range cfg {
				table, key := "", k
				if i := strings.LastIndexByte(k, '.'); i >= 0 {
					table, key = k[:i], k[i+1:]
				}
				if !slices.Contains(airKeys[table], key) {
					t.Errorf("%s: air has no key %q", path, k)
				}
			}
			tmp, _ := cfg["tmp_dir"].(string)
			if other, dup := tmpDirs[tmp]; dup || tmp == "" {
				t.Errorf("%s: tmp_dir %q must be set and differ from %s's: parallel air runs would overwrite each other's binary", path, tmp, other)
			}
			tmpDirs[tmp] = path
			if want := "tmp/air/" + name; tmp != want {
				t.Errorf("%s: tmp_dir = %q, want %q", path, tmp, want)
			}
			bin := "./" + tmp + "/shoplab"
			if cmd, _ := cfg["build.cmd"].(string); cmd != "go build -o "+bin+" ./cmd/shoplab" {
				t.Errorf("%s: build.cmd = %q, want it to build ./cmd/shoplab into %s", path, cmd, bin)
			}
			entry, _ := cfg["build.entrypoint"].([]string)
			if len(entry) < 2 || entry[0] != bin {
				t.Fatalf("%s: build.entrypoint = %q, want [%q, ...]", path, entry, bin)
			}
			want := []string{"serve", name}
			if name == "all" {
				want = []string{"up", "--local"}
			}
			if !slices.Equal(entry[1:], want) {
				t.Errorf("%s: runs shoplab %q, want %q", path, entry[1:], want)
			}
			if _, err := checkShoplab(entry[1:]); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			if cfg["build.send_interrupt"] != true {
				t.Errorf("%s: build.send_interrupt must be true, so a restart stops the service gracefully", path)
			}
			if ext, _ := cfg["build.include_ext"].([]string); !slices.Contains(ext, "go") {
				t.Errorf("%s: build.include_ext %q does not watch .go files", path, ext)
			}
		})
	}

	t.Run("the parser rejects what air would not read", func(t *testing.T) {
		for _, bad := range []string{`cmd = "unterminated`, `x = [1, 2]`, "[build\ncmd = 1", `a = "x" b`, "k = 1\nk = 2"} {
			if _, err := parseTOML(bad); err == nil {
				t.Errorf("parseTOML(%q): want an error", bad)
			}
		}
	})
}
