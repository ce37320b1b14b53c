package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shoplab/shoplab/internal/load"
)

// loadRun is one `shoplab load` run: its result, and the CPU the
// generator's process used (from its rusage).
type loadRun struct {
	res load.Result
	cpu time.Duration
}

// answered is how many requests got an answer.
func (r loadRun) answered() int64 { return r.res.Total.Requests - r.res.Total.TransportErrors }

// loadArgs are the arguments of one run against target.
func (d *driver) loadArgs(target, scenario string, rate float64, dur time.Duration, maxInFlight int) []string {
	args := []string{"load", "--scenario", scenario, "--scenarios-dir", d.o.scenarios, "--target", target,
		"--rate", strconv.FormatFloat(rate, 'f', -1, 64), "--duration", dur.String(), "--out", "json"}
	if maxInFlight > 0 {
		args = append(args, "--max-in-flight", strconv.Itoa(maxInFlight))
	}
	return args
}

// startLoad starts a run; wait collects it.
func (d *driver) startLoad(ctx context.Context, args []string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer, error) {
	cmd := exec.CommandContext(ctx, d.o.shoplab, args...)
	cmd.Dir = d.o.repo
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// No Loki marks: the stack is not part of the measurement. The run's
	// record (last-load.json) goes to the driver's temporary directory,
	// never to the repository's data/.
	cmd.Env = append(cmd.Environ(), "LOKI_URL=http://127.0.0.1:1", "SHOPLAB_DATA_DIR="+filepath.Join(d.tmp, "load"))
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, fmt.Errorf("shoplab load: %w", err)
	}
	return cmd, &stdout, &stderr, nil
}

func waitLoad(cmd *exec.Cmd, stdout, stderr *bytes.Buffer) (loadRun, error) {
	err := cmd.Wait()
	var ee *exec.ExitError
	// 2: a scenario threshold failed; 3: the generator saturated. Both
	// still print a result, which the driver judges itself.
	if err != nil && (!errors.As(err, &ee) || (ee.ExitCode() != 2 && ee.ExitCode() != 3)) {
		return loadRun{}, fmt.Errorf("shoplab load %s: %w: %s", strings.Join(cmd.Args[1:], " "), err, lastLines(stderr.String()))
	}
	var r loadRun
	if err := json.Unmarshal(stdout.Bytes(), &r.res); err != nil {
		return loadRun{}, fmt.Errorf("shoplab load: its JSON result: %w: %s", err, lastLines(stderr.String()))
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

// runLoad runs `shoplab load` to its end.
func (d *driver) runLoad(ctx context.Context, args []string) (loadRun, error) {
	cmd, stdout, stderr, err := d.startLoad(ctx, args)
	if err != nil {
		return loadRun{}, err
	}
	return waitLoad(cmd, stdout, stderr)
}

func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}
