package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

func localEnv(t *testing.T) map[string]string { return testkit.LabEnv(t, nil) }

func run(ctx context.Context, env map[string]string, args ...string) (string, string, error) {
	var out, errOut testkit.SyncBuffer
	err := Run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestCommandErrors(t *testing.T) {
	env := localEnv(t)
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"up", "--local", "--services-only"}, "exclude each other"},
		{[]string{"down", "--local", "--volumes"}, "exclude each other"},
		{[]string{"open", "nope"}, "unknown dashboard"},
		{[]string{"open", "--trace", "xyz"}, "32-character"},
		{[]string{"open", "logs", "--trace", "0af7651916cd43dd8448eb211c80319c"}, "not both"},
		{[]string{"serve", "billing"}, "unknown service"},
		{[]string{"serve"}, "accepts 1 arg"},
		{[]string{"up", "--bogus"}, "unknown flag"},
	}
	for _, tt := range tests {
		_, _, err := run(context.Background(), env, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("shoplab %v: err = %v, want one containing %q", tt.args, err, tt.wantErr)
		}
	}
}

func TestBadConfigIsReportedBeforeStart(t *testing.T) {
	env := localEnv(t)
	env["GATEWAY_HTTP_PORT"] = "eighty"
	_, _, err := run(context.Background(), env, "up", "--local")
	if err == nil || !strings.Contains(err.Error(), "GATEWAY_HTTP_PORT") {
		t.Fatalf("err = %v, want a message naming GATEWAY_HTTP_PORT", err)
	}
}

func TestDownWithoutLab(t *testing.T) {
	out, _, err := run(context.Background(), localEnv(t), "down", "--local")
	if err != nil || !strings.Contains(out, "No ShopEase services are running") {
		t.Fatalf("down = %q, %v", out, err)
	}
}

// TestUpLocalStopsGracefully runs `shoplab up --local` in the foreground
// and cancels it the way Ctrl-C does.
func TestUpLocalStopsGracefully(t *testing.T) {
	env := localEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut testkit.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"up", "--local"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	}()
	testkit.WaitFor(t, 60*time.Second, "up to say the lab runs", func() bool {
		if strings.Contains(out.String(), "Press Ctrl-C to stop.") {
			return true
		}
		select {
		case err := <-done:
			t.Fatalf("up exited early: %v\n%s%s", err, out.String(), errOut.String())
		default:
		}
		return false
	})
	for _, svc := range []string{"gateway", "auth", "catalog", "orders", "notification"} {
		if !strings.Contains(out.String(), "✓ "+svc+" healthy") {
			t.Errorf("output does not report %s healthy:\n%s", svc, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(env["SHOPLAB_DATA_DIR"], "shoplab.pid")); err != nil {
		t.Errorf("no pid file while running: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("up returned %v after Ctrl-C\n%s", err, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("up did not stop within 30s of Ctrl-C")
	}
	if !strings.Contains(out.String(), "Stopped.") {
		t.Errorf("no 'Stopped.' in output:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(env["SHOPLAB_DATA_DIR"], "shoplab.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left after stop: %v", err)
	}
}

func TestOpenHandsURLToBrowser(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "url")
	browser := filepath.Join(dir, "browser")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\necho \"$1\" > "+got+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"open"}, "http://localhost:4000/d/shoplab-overview"},
		{[]string{"open", "checkout"}, "http://localhost:4000/d/shoplab-checkout"},
		{[]string{"open", "logs"}, "http://localhost:4000/d/shoplab-logs"},
		{[]string{"open", "slo"}, "http://localhost:4000/d/shoplab-slo"},
		{[]string{"open", "--trace", "0AF7651916CD43DD8448EB211C80319C"}, TraceURL("0af7651916cd43dd8448eb211c80319c")},
	}
	for _, tt := range tests {
		os.Remove(got)
		env := map[string]string{"BROWSER": browser}
		out, _, err := run(context.Background(), env, tt.args...)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if strings.TrimSpace(out) != tt.want {
			t.Errorf("%v printed %q, want %q", tt.args, out, tt.want)
		}
		testkit.WaitFor(t, 5*time.Second, "the browser to be opened", func() error {
			b, err := os.ReadFile(got)
			if err != nil {
				return err
			}
			if strings.TrimSpace(string(b)) != tt.want {
				return fmt.Errorf("%v opened %q, want %q", tt.args, b, tt.want)
			}
			return nil
		})
	}
	if u := TraceURL("0af7651916cd43dd8448eb211c80319c"); !strings.Contains(u, "%22uid%22%3A%22tempo%22") || !strings.Contains(u, "0af7651916cd43dd8448eb211c80319c") {
		t.Errorf("TraceURL does not target the tempo data source with the trace ID: %s", u)
	}
}
