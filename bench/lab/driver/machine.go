package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// machine describes where and on what the numbers were taken.
type machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	RAMGB     string `json:"ram_gb"`
	GoVersion string `json:"go_version"`
	Kernel    string `json:"kernel"`
	Commit    string `json:"commit"`
	Dirty     bool   `json:"dirty"`
	Date      string `json:"date"`
}

func describeMachine(ctx context.Context, repo string) machine {
	m := machine{CPUs: runtime.NumCPU(), Date: time.Now().UTC().Format("2006-01-02 15:04 MST")}
	if out, err := output(ctx, repo, "nproc"); err == nil {
		if n, err := strconv.Atoi(out); err == nil {
			m.CPUs = n
		}
	}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 64); err == nil {
		m.RAMGB = strconv.FormatFloat(kb/1024/1024, 'f', 1, 64)
	}
	m.GoVersion, _ = output(ctx, repo, "go", "version")
	m.GoVersion = strings.TrimPrefix(m.GoVersion, "go version ")
	m.Kernel, _ = output(ctx, repo, "uname", "-r")
	m.Commit, _ = output(ctx, repo, "git", "rev-parse", "--short", "HEAD")
	if st, err := output(ctx, repo, "git", "status", "--porcelain"); err == nil && st != "" {
		m.Dirty = true
	}
	return m
}

func (m machine) commitLabel() string {
	if m.Dirty {
		return m.Commit + " (dirty: uncommitted changes)"
	}
	return m.Commit
}

// procField is the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func output(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	b, err := cmd.Output()
	return strings.TrimSpace(string(b)), err
}
