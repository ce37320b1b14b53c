package lesson

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// TrafficSpec is the traffic a lesson runs.
type TrafficSpec struct {
	Scenario string
	Rate     float64
	Seed     uint64
}

// Traffic starts and stops the process that drives a lesson's traffic.
// It is a separate process so that the traffic outlives the command that
// started the lesson.
type Traffic interface {
	// Start launches the traffic and returns its pid.
	Start(ctx context.Context, s TrafficSpec) (pid int, err error)
	// Alive reports whether pid is still that traffic process.
	Alive(pid int) bool
	// Stop ends pid and waits until it has exited.
	Stop(ctx context.Context, pid int) error
}

// TrafficCommand is the hidden shoplab subcommand that runs a lesson's
// traffic (`shoplab lesson run-traffic`); Alive looks for it in the
// process's command line, so that a recycled pid is not taken for it.
const TrafficCommand = "run-traffic"

// Process runs the traffic as a detached child: `Executable Args...
// --scenario S --rate R --seed N`, in a session of its own, with its
// output appended to OutPath.
type Process struct {
	Executable string
	// Args come before the traffic's flags, e.g. ["lesson", "run-traffic"].
	Args    []string
	OutPath string
	// Env, when not nil, is the child's environment.
	Env []string
}

// Start launches the child. It is reaped by a goroutine of this process,
// so that a long-lived caller (the TUI) keeps no zombie.
func (p Process) Start(_ context.Context, s TrafficSpec) (int, error) {
	if err := os.MkdirAll(filepath.Dir(p.OutPath), 0o755); err != nil {
		return 0, fmt.Errorf("lesson traffic output: %w", err)
	}
	out, err := os.OpenFile(p.OutPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("lesson traffic output: %w", err)
	}
	defer out.Close()
	args := append(append([]string(nil), p.Args...),
		"--scenario", s.Scenario,
		"--rate", strconv.FormatFloat(s.Rate, 'g', -1, 64),
		"--seed", strconv.FormatUint(s.Seed, 10))
	// Not tied to ctx: the traffic outlives the command.
	cmd := exec.Command(p.Executable, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = p.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start the lesson's traffic: %w", err)
	}
	go func() { _ = cmd.Wait() }()
	return cmd.Process.Pid, nil
}

// Alive reports whether pid runs, is no zombie, and (where /proc tells)
// is a traffic process.
func (p Process) Alive(pid int) bool { return trafficAlive(pid) }

// Stop signals the child's process group to stop, and kills it when it
// has not within 10 seconds.
func (p Process) Stop(ctx context.Context, pid int) error {
	return stopProcess(ctx, pid, 10*time.Second)
}

func trafficAlive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	// Right after exec the kernel has closed the parent's pipe before it
	// sets the new program's arguments up, so the command line can read
	// empty for a moment: that tells nothing either way.
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(cmdline) > 0 {
		return strings.Contains(string(cmdline), TrafficCommand)
	}
	return true
}

func stopProcess(ctx context.Context, pid int, grace time.Duration) error {
	if !trafficAlive(pid) {
		return nil
	}
	// The child leads its own session, hence its own process group.
	if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop the lesson's traffic (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(grace)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for trafficAlive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			deadline = time.Now().Add(grace)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stop the lesson's traffic (pid %d): %w", pid, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
