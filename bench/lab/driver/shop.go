package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/topology"
)

// shopConfig is one way of running the shop.
type shopConfig struct {
	// Name labels the measurement: default, all-on, traces-off, ...
	Name    string
	Signals config.Signals
	// Export sends spans over OTLP to the driver's receiver; without it
	// local mode writes them to span files (its default).
	Export bool
	// Scrape has the driver scrape every service's /metrics every 5 s.
	Scrape bool
}

// process is a program the driver started and stops.
type process struct {
	name string
	dir  string // its data/ and logs/ are here
	cmd  *exec.Cmd
	out  string // its stdout and stderr, for a failure's message
	done chan struct{}
	err  error
	// healthy is how long it took from exec to every /healthz 200.
	healthy time.Duration
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// start runs name with args and env added to the driver's environment,
// and waits until every url answers 200.
func (d *driver) start(ctx context.Context, label, name string, args, env, urls []string) (*process, error) {
	d.seq++
	dir := filepath.Join(d.tmp, fmt.Sprintf("%02d-%s", d.seq, label))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &process{name: label, dir: dir, out: filepath.Join(dir, "output.log"), done: make(chan struct{})}
	out, err := os.Create(p.out)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = d.o.repo
	cmd.Stdout, cmd.Stderr = out, out
	// The child inherits the driver's environment; what is added here
	// comes later and so wins.
	cmd.Env = append(cmd.Environ(), "SHOPLAB_DATA_DIR="+filepath.Join(dir, "data"), "SHOPLAB_LOG_DIR="+filepath.Join(dir, "logs"))
	cmd.Env = append(cmd.Env, env...)
	p.cmd = cmd
	began := time.Now()
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", label, err)
	}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	client := &http.Client{Timeout: time.Second}
	pending := append([]string(nil), urls...)
	deadline := time.Now().Add(60 * time.Second)
	for len(pending) > 0 {
		var still []string
		for _, u := range pending {
			if topology.CheckHTTP(ctx, client, u) != nil {
				still = append(still, u)
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before it was healthy (%v): %s", label, p.err, tail(p.out))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s not healthy after 60s (%v): %s", label, pending, tail(p.out))
		}
	}
	p.healthy = time.Since(began)
	return p, nil
}

// stop interrupts the process (a graceful stop) and waits for it.
func (p *process) stop() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s had already exited: %v: %s", p.name, p.err, tail(p.out))
	default:
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
		return nil
	case <-time.After(45 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within 45s of an interrupt: killed", p.name)
	}
}

// alive fails if the process has exited.
func (p *process) alive() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited during the measurement (%v): %s", p.name, p.err, tail(p.out))
	default:
		return nil
	}
}

// startShop runs `shoplab up --local` configured as c.
func (d *driver) startShop(ctx context.Context, c shopConfig) (*process, error) {
	env := []string{
		"SHOPLAB_SIGNALS=" + c.Signals.String(),
		// Blank reads as unset: local mode writes span files.
		"OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=",
		"OTEL_TRACES_EXPORTER=otlp",
	}
	if c.Export {
		env = append(env, "OTEL_EXPORTER_OTLP_ENDPOINT="+d.recv.endpoint(), "OTEL_EXPORTER_OTLP_PROTOCOL=grpc")
	}
	var urls []string
	for _, e := range d.endpoints {
		urls = append(urls, e.HealthURL)
	}
	p, err := d.start(ctx, "shop-"+c.Name, d.o.shoplab, []string{"up", "--local"}, env, urls)
	if err != nil {
		return nil, err
	}
	d.record(record{Kind: "start", Run: d.run, Measure: "shop-" + c.Name, HealthyMS: ms(p.healthy)})
	d.starts = append(d.starts, p.healthy)
	return p, nil
}

// startFloor runs the floor on its own ports.
func (d *driver) startFloor(ctx context.Context) (*process, error) {
	return d.start(ctx, "floor", d.o.floor, []string{"-http", d.o.floorHTTP, "-grpc", d.o.floorGRPC}, nil,
		[]string{"http://" + d.o.floorHTTP + "/healthz"})
}

// tail is the end of a log file, for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 1500 {
		s = "…" + s[len(s)-1500:]
	}
	return s
}
