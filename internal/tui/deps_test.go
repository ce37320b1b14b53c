package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

func TestTUIExecRunner(t *testing.T) {
	script := filepath.Join(t.TempDir(), "shoplab")
	body := `#!/bin/sh
echo "args: $*"
if [ "$1" = wait ]; then
  trap 'echo "stopping gracefully"; exit 0' TERM
  echo started
  while :; do sleep 0.05; done
fi
exit 2
`
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	r := ExecRunner{Path: script}

	var out testkit.SyncBuffer
	err := r.Run(context.Background(), []string{"up", "--local", "-d"}, &out)
	if err == nil || !strings.Contains(out.String(), "args: up --local -d") {
		t.Fatalf("Run = %v, output %q: want exit status 2 and the arguments", err, out.String())
	}

	// Cancelling asks the subcommand to stop (SIGTERM), so that `up -d`
	// can stop what it started.
	out = testkit.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, []string{"wait"}, &out) }()
	testkit.WaitFor(t, 5*time.Second, "the script to start", func() error {
		if !strings.Contains(out.String(), "started") {
			return fmt.Errorf("output %q", out.String())
		}
		return nil
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !strings.Contains(out.String(), "stopping gracefully") {
		t.Fatalf("output %q: the subcommand was not sent SIGTERM", out.String())
	}
}

func TestTUICharts(t *testing.T) {
	var s series
	for _, v := range []float64{0, 1, 2, 4, 8} {
		s = s.push(v)
	}
	if got := sparkline(s, 5, 1, 8); got[0] != " ▁▂▄█" {
		t.Errorf("one row: %q", got[0])
	}
	two := sparkline(s, 7, 2, 8)
	if two[0] != "    █  " || two[1] != " ▂▄██  " {
		t.Errorf("two rows: %q, want the top row to carry what exceeds half", two)
	}
	if got := sparkline(s, 3, 1, 8); got[0] != "▂▄█" {
		t.Errorf("narrower than the series: %q, want its newest values", got[0])
	}
	if got := sparkline(s, 5, 1, 0); got[0] != "     " {
		t.Errorf("no scale: %q", got[0])
	}
	for i := 0; i < seriesCap+10; i++ {
		s = s.push(1)
	}
	if len(s) != seriesCap {
		t.Errorf("series grew to %d", len(s))
	}

	for _, tt := range []struct {
		v, top float64
		width  int
		want   string
	}{
		{10, 10, 4, "████"},
		{5, 10, 4, "██  "},
		{1, 10, 4, "▍   "},
		{0, 10, 4, "    "},
		{20, 10, 2, "██"},
		{0.0001, 10, 3, "▏  "},
	} {
		if got := bar(tt.v, tt.top, tt.width); got != tt.want {
			t.Errorf("bar(%g, %g, %d) = %q, want %q", tt.v, tt.top, tt.width, got, tt.want)
		}
	}

	for _, tt := range []struct {
		v    float64
		dir  int
		want float64
	}{{50, 1, 75}, {50, -1, 25}, {8, 1, 10}, {8, -1, 5}, {1, -1, 1}, {2000, 1, 2000}} {
		if got := step(tt.v, rateSteps(), tt.dir); got != tt.want {
			t.Errorf("step(%g, %d) = %g, want %g", tt.v, tt.dir, got, tt.want)
		}
	}
	if got := step(45*time.Second, durationSteps(), 1); got != time.Minute {
		t.Errorf("45s up: %s", got)
	}
}
