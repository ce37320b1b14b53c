package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The pid file marks a running lab, so that `shoplab down` can stop a lab
// started in the background and a second start can refuse to run beside
// it.

// PIDPath is the pid file of the lab whose data is in dataDir.
func PIDPath(dataDir string) string { return filepath.Join(dataDir, "shoplab.pid") }

// WritePID marks this process as the lab running on dataDir.
func WritePID(dataDir string) error {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(PIDPath(dataDir), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

// ReadPID returns the pid of the lab running on dataDir, or 0 when none
// runs (a stale file left by a crash is removed).
func ReadPID(dataDir string) (int, error) {
	b, err := os.ReadFile(PIDPath(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s is corrupt; delete it", PIDPath(dataDir))
	}
	if !alive(pid) {
		os.Remove(PIDPath(dataDir))
		return 0, nil
	}
	return pid, nil
}

// RemovePID removes the mark WritePID left.
func RemovePID(dataDir string) { os.Remove(PIDPath(dataDir)) }

// RunningError says that a lab already runs on the data directory.
type RunningError struct{ PID int }

func (e *RunningError) Error() string {
	return fmt.Sprintf("the services are already running (pid %d): stop them with 'shoplab down'", e.PID)
}

// CheckNotRunning fails with a *RunningError when a lab already runs on
// dataDir.
func CheckNotRunning(dataDir string) error {
	pid, err := ReadPID(dataDir)
	if err != nil {
		return err
	}
	if pid != 0 {
		return &RunningError{PID: pid}
	}
	return nil
}

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil || p.Signal(syscall.Signal(0)) != nil {
		return false
	}
	// A zombie still answers signal 0; where /proc exists, ask it. (A
	// container whose init does not reap would otherwise keep it "alive".)
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return true
}
