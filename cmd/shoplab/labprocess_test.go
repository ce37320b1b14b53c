package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

// labProcess is one run of `shoplab up --local` in a process group of its
// own, so that a kill takes the whole lab, embedded broker included.
type labProcess struct {
	cmd  *exec.Cmd
	out  *testkit.SyncBuffer
	done chan struct{} // closed once the process has exited
	err  error         // its exit, once done is closed
	// ready is when the lab said it runs.
	ready time.Time
}

// buildShoplab builds the binary into dir.
func buildShoplab(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "shoplab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startLab starts the lab and returns once it says it runs.
func startLab(t *testing.T, bin string, env []string) *labProcess {
	t.Helper()
	p := &labProcess{cmd: exec.Command(bin, "up", "--local"), out: &testkit.SyncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	testkit.WaitFor(t, 2*time.Minute, "the lab to run", func() bool {
		select {
		case <-p.done:
			t.Fatalf("the lab exited before it ran: %v\n%s", p.err, p.out.String())
		default:
		}
		return strings.Contains(p.out.String(), "Press Ctrl-C to stop.")
	})
	p.ready = time.Now()
	return p
}

// kill ends the lab with SIGKILL, as a crash or the OOM killer would: no
// service gets to flush, commit or close anything.
func (p *labProcess) kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t, "SIGKILL")
}

// stop ends the lab as Ctrl-C does and requires a clean exit.
func (p *labProcess) stop(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	p.wait(t, "Ctrl-C")
	if p.err != nil || !strings.Contains(p.out.String(), "Stopped.") {
		t.Fatalf("the lab did not stop cleanly after Ctrl-C: %v\n%s", p.err, p.out.String())
	}
}

func (p *labProcess) wait(t *testing.T, after string) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the lab still runs 2 minutes after %s:\n%s", after, p.out.String())
	}
}
