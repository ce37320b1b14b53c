package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// The rates and durations the TUI's Load form steps through
// (internal/tui/loadform.go): the comparison uses one of each.
var (
	tuiRates     = []float64{1, 2, 5, 10, 20, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000}
	tuiDurations = []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second, 45 * time.Second, time.Minute, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute, 10 * time.Minute}
)

// tuiResult compares the same browse load run headless and from the TUI.
type tuiResult struct {
	Rate     float64
	Duration time.Duration
	// RPS is requests the gateway answered per second of the schedule
	// (its own request counter, the same measure both ways).
	HeadlessRPS, TUIRPS float64
	// CPU per request of the generator's process: `shoplab load`, or the
	// TUI (drawing included).
	HeadlessCPUPerReqUS, TUICPUPerReqUS float64
}

// measureTUI runs browse at the same rate and length with `shoplab load`
// and with the TUI's Load screen, in a pseudo-terminal whose other end is
// a terminal emulator, as a person's would be.
func (d *driver) measureTUI(ctx context.Context) (r tuiResult, err error) {
	r.Rate = tuiRates[0]
	for _, x := range tuiRates {
		if x <= d.o.tuiRate {
			r.Rate = x
		}
	}
	r.Duration = tuiDurations[len(tuiDurations)-1]
	for i := len(tuiDurations) - 1; i >= 0; i-- {
		if tuiDurations[i] >= d.o.step {
			r.Duration = tuiDurations[i]
		}
	}
	p, err := d.startShop(ctx, shopConfig{Name: "tui"})
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, p.stop()) }()
	target := d.shopTarget()
	if err := d.warmUp(ctx, target, "browse", r.Rate); err != nil {
		return r, err
	}
	counter := func() (float64, error) {
		return scrapeValue(ctx, d.endpoints[0].MetricsURL, "shoplab_http_requests_total")
	}

	// Headless, with the scenario's own max-in-flight, as the TUI runs it.
	c0, err := counter()
	if err != nil {
		return r, err
	}
	lr, err := d.runLoad(ctx, d.loadArgs(target, "browse", r.Rate, r.Duration, 0))
	if err != nil {
		return r, err
	}
	c1, err := counter()
	if err != nil {
		return r, err
	}
	r.HeadlessRPS = (c1 - c0) / r.Duration.Seconds()
	r.HeadlessCPUPerReqUS = perRequestUS(lr.cpu, int64(c1-c0))

	tc0, tc1, tuiCPU, err := d.runTUI(ctx, p, r, counter)
	if err != nil {
		return r, err
	}
	r.TUIRPS = (tc1 - tc0) / r.Duration.Seconds()
	r.TUICPUPerReqUS = perRequestUS(tuiCPU, int64(tc1-tc0))
	d.record(record{Kind: "tui", Run: d.run, Rate: r.Rate, Values: map[string]float64{
		"duration_s": r.Duration.Seconds(), "headless_rps": r.HeadlessRPS, "tui_rps": r.TUIRPS,
		"headless_cpu_per_request_us": r.HeadlessCPUPerReqUS, "tui_cpu_per_request_us": r.TUICPUPerReqUS,
	}})
	d.logf("  browse at %.0f/s for %s: headless %.0f req/s (%.1f µs CPU/req), TUI %.0f req/s (%.1f µs CPU/req)",
		r.Rate, r.Duration, r.HeadlessRPS, r.HeadlessCPUPerReqUS, r.TUIRPS, r.TUICPUPerReqUS)
	return r, nil
}

// runTUI opens the TUI, sets the Load form to r's rate and duration,
// starts browse and waits for it to finish. It returns the gateway's
// request counter before and after, and the TUI's CPU over the run.
func (d *driver) runTUI(ctx context.Context, shop *process, r tuiResult, counter func() (float64, error)) (c0, c1 float64, cpu time.Duration, err error) {
	const cols, rows = 100, 32
	cmd := exec.Command(d.o.shoplab)
	cmd.Dir = d.o.repo
	cmd.Env = append(cmd.Environ(), "TERM=xterm-256color", "LOKI_URL=http://127.0.0.1:1",
		"SHOPLAB_DATA_DIR="+filepath.Join(shop.dir, "data"), "SHOPLAB_LOG_DIR="+filepath.Join(shop.dir, "logs"))
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("start the TUI in a pseudo-terminal: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	defer func() {
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
			err = errors.Join(err, errors.New("the TUI did not quit on q: killed"))
		}
		ptmx.Close()
	}()
	emu := vt.NewSafeEmulator(cols, rows)
	go io.Copy(emu, ptmx) // what the TUI draws
	go io.Copy(ptmx, emu) // the terminal's answers to its queries
	screen := func() string { return ansi.Strip(emu.Render()) }
	keys := func(ks ...string) error {
		for _, k := range ks {
			if _, err := io.WriteString(ptmx, k); err != nil {
				return fmt.Errorf("type into the TUI: %w", err)
			}
		}
		return nil
	}
	waitFor := func(what string, re *regexp.Regexp, timeout time.Duration) error {
		deadline := time.Now().Add(timeout)
		for !re.MatchString(screen()) {
			select {
			case <-exited:
				return fmt.Errorf("the TUI exited while waiting for %s; the screen:\n%s", what, screen())
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the TUI never showed %s; the screen:\n%s", what, screen())
			}
		}
		return nil
	}
	defer keys("q")

	const (
		down, left, right = "\x1b[B", "\x1b[D", "\x1b[C"
	)
	if err := waitFor("the services", regexp.MustCompile(`healthy`), 30*time.Second); err != nil {
		return 0, 0, 0, err
	}
	if err := keys("2"); err != nil {
		return 0, 0, 0, err
	}
	if err := waitFor("the load form", regexp.MustCompile(`Scenario\s+◂ browse ▸`), 10*time.Second); err != nil {
		return 0, 0, 0, err
	}
	seq := []string{down}
	seq = append(seq, slices.Repeat([]string{left}, len(tuiRates))...)
	seq = append(seq, slices.Repeat([]string{right}, slices.Index(tuiRates, r.Rate))...)
	seq = append(seq, down)
	seq = append(seq, slices.Repeat([]string{left}, len(tuiDurations)+3)...)
	seq = append(seq, slices.Repeat([]string{right}, slices.Index(tuiDurations, r.Duration))...)
	if err := keys(seq...); err != nil {
		return 0, 0, 0, err
	}
	// Only the focused field (the duration now) shows its arrows.
	want := fmt.Sprintf(`Rate\s+%g journeys/s(.|\n)*Duration\s+◂ %s ▸`, r.Rate, regexp.QuoteMeta(r.Duration.String()))
	if err := waitFor("the rate and duration set", regexp.MustCompile(want), 10*time.Second); err != nil {
		return 0, 0, 0, err
	}
	if c0, err = counter(); err != nil {
		return 0, 0, 0, err
	}
	cpu0, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		return 0, 0, 0, err
	}
	if err := keys("s"); err != nil {
		return 0, 0, 0, err
	}
	if err := waitFor("the run finished", regexp.MustCompile(`browse finished`), r.Duration+2*time.Minute); err != nil {
		return 0, 0, 0, err
	}
	cpu1, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		return 0, 0, 0, err
	}
	if c1, err = counter(); err != nil {
		return 0, 0, 0, err
	}
	if strings.Contains(screen(), "SATURATED") {
		d.logf("  the TUI's generator saturated")
	}
	return c0, c1, cpu1 - cpu0, nil
}
