package replication

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/services/notification"
	"github.com/shoplab/shoplab/services/orders"
)

// envReplica names the service a run of this binary is a replica of; a
// run without it is the test.
const envReplica = "SHOPLAB_TEST_REPLICA"

// readyPrefix starts the line a replica prints once it serves: its gRPC
// and HTTP addresses follow.
const readyPrefix = "REPLICA READY "

func TestMain(m *testing.M) {
	if service := os.Getenv(envReplica); service != "" {
		os.Exit(runReplica(service))
	}
	os.Exit(m.Run())
}

// runReplica serves one replica of service, configured by the
// environment like `shoplab serve`, until it is signalled (or killed). It
// is what the test runs as a child process.
func runReplica(service string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveReplica(ctx, service); err != nil {
		fmt.Fprintf(os.Stderr, "replica of %s: %v\n", service, err)
		return 1
	}
	return 0
}

func serveReplica(ctx context.Context, service string) error {
	build := map[string]func(context.Context, server.Deps) (*server.Unit, error){
		topology.Orders:       orders.Build,
		topology.Notification: notification.Build,
	}[service]
	if build == nil {
		return fmt.Errorf("no replica of %q", service)
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	tel, err := telemetry.New(ctx, telemetry.Config{Service: service, LogDir: cfg.LogDir, LogLevel: cfg.LogLevel})
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.Background())
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d := server.Deps{
		Config: cfg, Telemetry: tel, HTTP: httpLn, Brokers: cfg.Brokers(),
		Peers: map[string]string{topology.Catalog: cfg.Catalog.Addr},
	}
	grpcAddr := "-"
	if service == topology.Orders {
		if d.GRPC, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
		grpcAddr = d.GRPC.Addr().String()
	}
	u, err := build(ctx, d)
	if err != nil {
		return err
	}
	fmt.Printf("%s%s %s\n", readyPrefix, grpcAddr, httpLn.Addr())
	return u.Run(ctx)
}

// replica is a running child process serving one replica.
type replica struct {
	service string
	name    string
	// grpcAddr is its gRPC API ("-" for notification), httpAddr its admin
	// endpoints.
	grpcAddr, httpAddr string
	logDir             string
	cmd                *exec.Cmd
	done               chan struct{} // closed once the process is reaped
	killOnce           sync.Once
}

// startReplica runs a replica of service named name with env (on top of a
// minimal environment) and waits until it serves. It is killed when the
// test ends.
func startReplica(t *testing.T, service, name string, env map[string]string) *replica {
	t.Helper()
	dir := t.TempDir()
	r := &replica{service: service, name: name, logDir: filepath.Join(dir, "logs"), done: make(chan struct{})}
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{envReplica + "=" + service, "SHOPLAB_DATA_DIR=" + filepath.Join(dir, "data"), "SHOPLAB_LOG_DIR=" + r.logDir}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GORACE"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &testkit.SyncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	r.cmd = cmd
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), readyPrefix); ok {
				ready <- line
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	exited := make(chan error, 1)
	go func() {
		exited <- cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			r.dumpLogs(t)
		}
	})
	select {
	case line := <-ready:
		f := strings.Fields(line)
		r.grpcAddr, r.httpAddr = f[0], f[1]
	case err := <-exited:
		t.Fatalf("%s exited before serving: %v\n%s", name, err, stderr.String())
	case <-time.After(startTimeout):
		t.Fatalf("%s did not serve within %v\n%s", name, startTimeout, stderr.String())
	}
	return r
}

// kill ends the replica with SIGKILL: no drain, no leaving its consumer
// group, no commit; its connections just drop.
func (r *replica) kill() {
	r.killOnce.Do(func() {
		r.cmd.Process.Kill()
		<-r.done
	})
}

// dumpLogs shows the last lines of the replica's log, to see why a test
// failed.
func (r *replica) dumpLogs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(r.logDir, r.service+".log"))
	if err != nil {
		t.Logf("%s: no log: %v", r.name, err)
		return
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var warn []string
	for _, l := range lines {
		if strings.Contains(l, `"level":"WARN"`) || strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			warn = append(warn, l)
		}
	}
	if len(warn) > 40 {
		warn = warn[len(warn)-40:]
	}
	t.Logf("%s (%d log lines), last warnings and errors:\n%s", r.name, len(lines), strings.Join(warn, "\n"))
}
