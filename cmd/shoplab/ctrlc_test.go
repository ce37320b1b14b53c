package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

// labEnv is the environment of a local lab on free ports under dir.
func labEnv(t *testing.T, dir string) []string {
	t.Helper()
	keys := []string{"GATEWAY_HTTP_PORT", "AUTH_HTTP_PORT", "AUTH_GRPC_PORT", "CATALOG_HTTP_PORT", "CATALOG_GRPC_PORT",
		"ORDERS_HTTP_PORT", "ORDERS_GRPC_PORT", "NOTIFICATION_HTTP_PORT", "SHOPLAB_EMBEDDED_KAFKA_PORT"}
	env := append(os.Environ(), "SHOPLAB_DATA_DIR="+filepath.Join(dir, "data"), "SHOPLAB_LOG_DIR="+filepath.Join(dir, "logs"), "AUTH_BCRYPT_COST=4")
	for i, p := range freePorts(t, len(keys)) {
		env = append(env, keys[i]+"="+strconv.Itoa(p))
	}
	return env
}

// interruptWhenRunning starts cmd in a process group of its own, waits
// until the lab says it runs, then sends SIGINT to the whole group, as a
// terminal's Ctrl-C does, and returns the output and cmd's exit.
func interruptWhenRunning(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	var out testkit.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	testkit.WaitFor(t, 3*time.Minute, "the lab to run", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("exited before it ran: %v\n%s", err, out.String())
		default:
		}
		return strings.Contains(out.String(), "Press Ctrl-C to stop.")
	})
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		return out.String(), err
	case <-time.After(2 * time.Minute):
		t.Fatalf("still running 2 minutes after Ctrl-C:\n%s", out.String())
		return "", nil
	}
}

// TestCtrlCIsACleanStop: a stop the user asked for is not a failure.
func TestCtrlCIsACleanStop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "shoplab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "up", "--local")
	cmd.Env = labEnv(t, dir)
	out, err := interruptWhenRunning(t, cmd)
	if err != nil {
		t.Fatalf("shoplab up --local after Ctrl-C: %v, want exit 0\n%s", err, out)
	}
	if !strings.Contains(out, "Stopped.") {
		t.Errorf("no graceful stop reported:\n%s", out)
	}
}

// TestMakeRunLocalCtrlC runs the README's `make run-local` and presses
// Ctrl-C: make must report no error. make itself always ends by the
// interrupt (status 130, as every make does); what it prints tells how its
// recipe ended: "Error N" for a non-zero exit, "Interrupt" for a program
// killed by the signal, nothing for a clean exit 0.
func TestMakeRunLocalCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the lab through make")
	}
	mk := testkit.RequireTool(t, "make", "apt-get install make")
	dir := t.TempDir()
	cmd := exec.Command(mk, "--no-print-directory", "-C", filepath.Join("..", ".."), "BIN="+dir, "run-local")
	cmd.Env = labEnv(t, dir)
	out, err := interruptWhenRunning(t, cmd)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if strings.Contains(out, "make: ***") {
		t.Errorf("make reports a failure after Ctrl-C:\n%s", out)
	}
	if !strings.Contains(out, "Stopped.") {
		t.Errorf("no graceful stop reported:\n%s", out)
	}
}
