package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/testkit"
)

// fakeDocker puts the stand-in docker (testdata/docker) first on PATH in
// the given mode and returns the file that records its calls. With mode
// "" no docker is on PATH at all.
func fakeDocker(t *testing.T, mode string) string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls.log")
	if mode != "" {
		script, err := os.ReadFile("testdata/docker")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "docker"), script, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// sh and friends stay reachable; no real docker does.
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/usr/bin:/bin")
	t.Setenv("FAKE_DOCKER_LOG", log)
	t.Setenv("FAKE_DOCKER_MODE", mode)
	// shoplab up creates ./logs beside docker-compose.yml: keep it out of
	// the source tree.
	t.Chdir(dir)
	return log
}

func calls(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

const composeArgs = "compose --project-name shoplab --file docker-compose.yml"

func TestUpComposeFailuresAreClear(t *testing.T) {
	tests := []struct {
		mode string
		want []string
	}{
		{mode: "", want: []string{"docker is not installed", "shoplab up --local"}},
		{mode: "nocompose", want: []string{"docker compose (v2) is not available", "shoplab up --local"}},
		{mode: "oldcompose", want: []string{"too old", "Compose v2"}},
		{mode: "noengine", want: []string{"Docker engine is not running", "shoplab up --local"}},
		{mode: "unhealthy", want: []string{"container tempo is unhealthy", "docker compose -p shoplab logs tempo"}},
	}
	for _, tt := range tests {
		t.Run("mode="+tt.mode, func(t *testing.T) {
			log := fakeDocker(t, tt.mode)
			_, _, err := run(context.Background(), localEnv(t), "up", "--stack-wait", "5s")
			if err == nil {
				t.Fatal("up succeeded")
			}
			if ExitCode(err) == 0 {
				t.Fatal("exit code 0 for a failure")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tt.mode == "unhealthy" {
				if got := calls(t, log); !contains(got, composeArgs+" up --detach --remove-orphans") {
					t.Errorf("compose up not called; calls: %q", got)
				}
			}
		})
	}
}

// nonLoopbackIPv4 is one of this machine's IPv4 addresses other than
// loopback, or "" when it has none.
func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	return ""
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestUpComposeStartsStackThenServices checks the calls issued against
// the stand-in docker, then that the services come up pointed at the
// stack (here: Kafka is an embedded broker standing in for the
// container's host listener).
func TestUpComposeStartsStackThenServices(t *testing.T) {
	log := fakeDocker(t, "ok")
	b, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	env := localEnv(t)
	env["KAFKA_BROKERS"] = b.Addrs()[0]
	env["OTEL_TRACES_EXPORTER"] = "none"
	env["SMTP_HOST"] = "" // logged e-mails; the default would be Mailpit
	// host.docker.internal, as a Linux engine's containers see it: an
	// address of this machine when it has one besides loopback (then the
	// services must listen there too), else a bridge address it lacks.
	wantBind := []string{"127.0.0.1"}
	if ip := nonLoopbackIPv4(t); ip != "" {
		t.Setenv("FAKE_DOCKER_HOST_ADDR", ip)
		wantBind = append(wantBind, ip)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut testkit.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"up"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	}()
	testkit.WaitFor(t, 60*time.Second, "up to say the lab runs", func() bool {
		select {
		case err := <-done:
			t.Fatalf("up exited early: %v\n%s%s", err, out.String(), errOut.String())
		default:
		}
		return strings.Contains(out.String(), "Press Ctrl-C to stop.")
	})
	// Prometheus (in a container) can reach the services; nothing else
	// beyond this machine can: never 0.0.0.0.
	m := regexp.MustCompile(`Shop API: +http://127\.0\.0\.1:(\d+)/`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output names no Shop API address:\n%s", out.String())
	}
	port, _ := strconv.Atoi(m[1])
	if got := listeningAddrs(t, port); !sameSet(got, wantBind) {
		t.Errorf("gateway listens on %v, want %v", got, wantBind)
	}
	if w := "listening on " + strings.Join(wantBind, " and "); !strings.Contains(out.String(), w) {
		t.Errorf("output does not say %q:\n%s", w, out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("up: %v", err)
	}
	want := []string{
		"compose version --short",
		"info --format {{.ServerVersion}}",
		composeArgs + " up --detach --remove-orphans",
		composeArgs + " ps --all --format json",
	}
	if got := calls(t, log); !contains(got, composeArgs+" exec -T prometheus cat /etc/hosts") {
		t.Errorf("up did not ask the prometheus container where host.docker.internal points; calls: %q", got)
	}
	got := calls(t, log)
	if len(got) < len(want) {
		t.Fatalf("docker calls = %q, want at least %q", got, want)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("docker call %d = %q, want %q", i, got[i], w)
		}
	}
	for _, w := range []string{"✓ tempo", "✓ kafka", "compose mode", "http://localhost:4000/d/shoplab-overview", "http://localhost:8025"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

func TestDownVolumesAsksFirst(t *testing.T) {
	tests := []struct {
		answer     string
		args       []string
		wantDown   bool
		wantErr    bool
		wantVolume bool
	}{
		{answer: "n\n", args: []string{"down", "--volumes"}, wantErr: true},
		{answer: "", args: []string{"down", "--volumes"}, wantErr: true},
		{answer: "y\n", args: []string{"down", "--volumes"}, wantDown: true, wantVolume: true},
		{answer: "", args: []string{"down", "--volumes", "--yes"}, wantDown: true, wantVolume: true},
		{answer: "", args: []string{"down"}, wantDown: true},
		{answer: "", args: []string{"down", "--local"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")+" answer="+strings.TrimSpace(tt.answer), func(t *testing.T) {
			log := fakeDocker(t, "ok")
			env := localEnv(t)
			var out, errOut testkit.SyncBuffer
			err := Run(context.Background(), tt.args, func(k string) string { return env[k] }, strings.NewReader(tt.answer), &out, &errOut)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v\n%s", err, tt.wantErr, out.String())
			}
			got := calls(t, log)
			down := contains(got, composeArgs+" down --remove-orphans")
			downVolumes := contains(got, composeArgs+" down --remove-orphans --volumes")
			if (down || downVolumes) != tt.wantDown || downVolumes != tt.wantVolume {
				t.Fatalf("docker calls %q: want down=%v volumes=%v", got, tt.wantDown, tt.wantVolume)
			}
		})
	}
}

func TestStatusReportsContainers(t *testing.T) {
	fakeDocker(t, "unhealthy")
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/alerts" || r.URL.Query().Get("inhibited") != "false" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `[{"labels":{"alertname":"CheckoutErrorBudgetBurn","severity":"page","region":"ap-south","sloth_slo":"checkout-availability"},"startsAt":"2026-12-01T10:00:00Z","status":{"state":"active"}}]`)
	}))
	defer am.Close()
	env := localEnv(t)
	env["SHOPLAB_ALERTMANAGER_URL"] = am.URL
	out, _, err := run(context.Background(), env, "status")
	if err == nil {
		t.Fatal("status exited 0 with an unhealthy container and no services")
	}
	// With the stack up, Kafka is the stack's (as shoplab up points the
	// services), not the embedded broker of local mode.
	if !strings.Contains(out, "localhost:9092") {
		t.Errorf("status does not check the compose stack's Kafka (localhost:9092):\n%s", out)
	}
	for _, w := range []string{"CONTAINER", "tempo", "unhealthy", "grafana", "FIRING ALERT", "CheckoutErrorBudgetBurn", "ap-south"} {
		if !strings.Contains(out, w) {
			t.Errorf("status output lacks %q:\n%s", w, out)
		}
	}
}
