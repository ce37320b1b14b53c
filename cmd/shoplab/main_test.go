package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// freePorts returns n distinct free loopback ports.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// TestDetachedLabLifecycle builds the real binary and runs the detached
// lab through up -d, status and down, as a user would.
func TestDetachedLabLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "shoplab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	env := labEnv(t, dir)
	shoplab := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { shoplab("down") })

	out, err := shoplab("up", "--local", "-d")
	if err != nil {
		t.Fatalf("up -d: %v\n%s", err, out)
	}
	pidBytes, err := os.ReadFile(filepath.Join(dir, "data", "shoplab.pid"))
	if err != nil {
		t.Fatalf("no pid file after up -d: %v\n%s", err, out)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidBytes)))

	out, err = shoplab("status")
	if err != nil {
		t.Fatalf("status with a running lab: %v\n%s", err, out)
	}
	for _, svc := range []string{"gateway", "auth", "catalog", "orders", "notification", "kafka"} {
		if !strings.Contains(out, svc) {
			t.Errorf("status does not list %s:\n%s", svc, out)
		}
	}
	if strings.Contains(out, " down ") {
		t.Errorf("status reports a component down:\n%s", out)
	}

	if out, err = shoplab("down"); err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	if running(pid) {
		t.Fatalf("lab process %d still running after down", pid)
	}
	out, err = shoplab("status")
	if err == nil {
		t.Fatalf("status after down exited 0:\n%s", out)
	}
}

// running reports whether pid is a live process. An exited child that its
// new parent has not reaped yet (a zombie) has stopped running.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(stat), ')')
	return !(i > 0 && i+2 < len(stat) && stat[i+2] == 'Z')
}
