package cli

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
// started with -d and a second `up` can refuse to start beside it.
func pidPath(dataDir string) string { return filepath.Join(dataDir, "shoplab.pid") }

func writePID(dataDir string) error {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(pidPath(dataDir), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

// readPID returns the pid of the running lab, or 0 when none runs (a stale
// file left by a crash is removed).
func readPID(dataDir string) (int, error) {
	b, err := os.ReadFile(pidPath(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s is corrupt; delete it", pidPath(dataDir))
	}
	if !alive(pid) {
		os.Remove(pidPath(dataDir))
		return 0, nil
	}
	return pid, nil
}

func removePID(dataDir string) { os.Remove(pidPath(dataDir)) }

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
