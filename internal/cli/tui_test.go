package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/tui"
)

func TestTUIWantsTUI(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	env := func(term string) func(string) string {
		return func(k string) string {
			if k == "TERM" {
				return term
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		app     App
		wantTUI bool
	}{
		{"a terminal", App{Stdin: tty, Stdout: tty, Getenv: env("xterm-256color")}, true},
		{"a dumb terminal", App{Stdin: tty, Stdout: tty, Getenv: env("dumb")}, false},
		{"output piped", App{Stdin: tty, Stdout: file, Getenv: env("xterm")}, false},
		{"input from a file", App{Stdin: file, Stdout: tty, Getenv: env("xterm")}, false},
		{"buffers", App{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Getenv: env("xterm")}, false},
	}
	for _, tt := range tests {
		if got := wantsTUI(&tt.app); got != tt.wantTUI {
			t.Errorf("%s: wantsTUI = %v, want %v", tt.name, got, tt.wantTUI)
		}
	}
}

func TestTUIDepsFollowTheConfiguration(t *testing.T) {
	env := map[string]string{"GATEWAY_HTTP_PORT": "9100", "SHOPLAB_EMBEDDED_KAFKA_PORT": "19999"}
	app := &App{Getenv: func(k string) string { return env[k] }, Executable: func() (string, error) { return "/opt/shoplab", nil }}
	d, err := tuiDeps(app)
	if err != nil {
		t.Fatal(err)
	}
	if d.Target != "http://127.0.0.1:9100" {
		t.Errorf("target %q, want the configured gateway", d.Target)
	}
	if len(d.Services) != 5 || d.Services[0].Service != topology.Gateway || d.Services[0].HTTP != "127.0.0.1:9100" {
		t.Errorf("services %+v", d.Services)
	}
	if len(d.Brokers) != 1 || d.Brokers[0].Addr != "127.0.0.1:19999" || !d.Brokers[0].Embedded {
		t.Errorf("brokers %+v, want the embedded one", d.Brokers)
	}
	if r, ok := d.Lab.(tui.ExecRunner); !ok || r.Path != "/opt/shoplab" {
		t.Errorf("lab runner %#v, want this executable", d.Lab)
	}
	if _, ok := d.Lessons.(*lesson.Engine); !ok {
		t.Errorf("lessons %#v, want shoplab lesson's engine", d.Lessons)
	}
	if d.TraceURL("0af7651916cd43dd8448eb211c80319c") != TraceURL("0af7651916cd43dd8448eb211c80319c") {
		t.Error("trace links differ from shoplab open --trace's")
	}

	env["KAFKA_BROKERS"] = "kafka-a:9092,kafka-b:9092"
	env["SHOPLAB_TARGET"] = "http://shop.test:8100/"
	app.Executable = func() (string, error) { return "", errors.New("unknown") }
	if d, err = tuiDeps(app); err != nil {
		t.Fatal(err)
	}
	if len(d.Brokers) != 2 || d.Brokers[1].Addr != "kafka-b:9092" || d.Brokers[0].Embedded {
		t.Errorf("brokers %+v, want KAFKA_BROKERS", d.Brokers)
	}
	if d.Target != "http://shop.test:8100" || d.Lab != nil {
		t.Errorf("target %q, lab runner %v", d.Target, d.Lab)
	}

	env["GATEWAY_HTTP_PORT"] = "eighty"
	if _, err := tuiDeps(app); err == nil || !strings.Contains(err.Error(), "GATEWAY_HTTP_PORT") {
		t.Errorf("bad configuration: err %v", err)
	}
}

func TestTUIBrowserOpener(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "opened")
	browser := filepath.Join(dir, "browser")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\necho \"$1\" > "+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	failing := filepath.Join(dir, "failing")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	open := func(env map[string]string) error {
		return browserOpener(&App{Getenv: func(k string) string { return env[k] }})(context.Background(), "http://localhost:4000/d/x")
	}
	if err := open(map[string]string{"BROWSER": browser}); err != nil {
		t.Fatalf("with $BROWSER: %v", err)
	}
	if b, _ := os.ReadFile(log); strings.TrimSpace(string(b)) != "http://localhost:4000/d/x" {
		t.Errorf("the browser got %q", b)
	}
	if err := open(map[string]string{"BROWSER": failing}); err == nil {
		t.Error("a browser that fails at once counts as opened")
	}
	if err := open(map[string]string{"BROWSER": filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing browser counts as opened")
	}
	if err := open(map[string]string{}); err == nil && runtime.GOOS == "linux" {
		t.Error("no display and no $BROWSER: want an error, so that the TUI shows the link")
	}
}
