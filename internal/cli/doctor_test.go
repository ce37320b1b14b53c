package cli

import (
	"context"
	"encoding/json"
	"maps"
	"net"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// doctorCmd runs `shoplab doctor args...` built directly, as the lead
// registers it under the root command.
func doctorCmd(ctx context.Context, env map[string]string, args ...string) (string, error) {
	var out, errOut testkit.SyncBuffer
	app := &App{Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}
	cmd := NewCmdDoctor(app)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String() + errOut.String(), err
}

// startLocalLab runs the shop in this process on free ports and returns
// the environment that points shoplab at it.
func startLocalLab(t *testing.T) map[string]string {
	t.Helper()
	shop := labharness.Start(t, nil)
	l, env := shop.Lab, maps.Clone(shop.Env)
	port := func(addr string) string {
		_, p, _ := net.SplitHostPort(addr)
		return p
	}
	keys := map[string][2]string{
		topology.Gateway: {"GATEWAY_HTTP_PORT"}, topology.Notification: {"NOTIFICATION_HTTP_PORT"},
		topology.Auth: {"AUTH_HTTP_PORT", "AUTH_GRPC_PORT"}, topology.Catalog: {"CATALOG_HTTP_PORT", "CATALOG_GRPC_PORT"}, topology.Orders: {"ORDERS_HTTP_PORT", "ORDERS_GRPC_PORT"},
	}
	for _, e := range l.Endpoints() {
		k := keys[e.Service]
		env[k[0]] = port(e.HTTP)
		if k[1] != "" {
			env[k[1]] = port(e.GRPC)
		}
	}
	env["SHOPLAB_EMBEDDED_KAFKA_PORT"] = port(l.Brokers()[0])
	return env
}

func TestDoctorCommandLocal(t *testing.T) {
	env := startLocalLab(t)
	ctx := context.Background()

	out, err := doctorCmd(ctx, env, "--local", "--wait", "--timeout", "30s")
	if err != nil {
		t.Fatalf("doctor --local: %v\n%s", err, out)
	}
	for _, w := range []string{
		"ShopLab doctor, local mode",
		"✓ services: all five answer /healthz",
		"✓ probe: one tagged checkout through the gateway",
		"✓ logs: every service it touched logged the probe's trace ID",
		"– traces: the probe's trace is in Tempo",
		"needs the compose stack (Tempo): shoplab up, then shoplab doctor",
		"why: ",
		"0 failed, 0 waiting, 6 skipped",
		"Look it up: grep ",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}

	out, err = doctorCmd(ctx, env, "--local", "--wait", "--json")
	if err != nil {
		t.Fatalf("doctor --local --json: %v\n%s", err, out)
	}
	var rep struct {
		Schema int    `json:"schema"`
		Mode   string `json:"mode"`
		OK     bool   `json:"ok"`
		Probe  struct {
			TraceID, OrderID string
		} `json:"probe"`
		Checks []struct {
			ID, Status string
		} `json:"checks"`
		Summary struct{ Pass, Fail, Waiting, Skip int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json printed something else than one JSON document: %v\n%s", err, out)
	}
	if rep.Schema != 1 || rep.Mode != "local" || !rep.OK || rep.Summary.Skip != 6 || rep.Summary.Fail != 0 || rep.Summary.Pass != len(rep.Checks)-6 {
		t.Errorf("report %+v", rep)
	}
}

// TestDoctorCommandComposeBroken runs the compose-mode doctor with an
// unhealthy container (stand-in docker) and nothing else running: it must
// fail with exit code 1 and say what to do.
func TestDoctorCommandComposeBroken(t *testing.T) {
	fakeDocker(t, "unhealthy")
	env := localEnv(t)
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	for _, k := range []string{"GATEWAY_HTTP_PORT", "AUTH_HTTP_PORT", "AUTH_GRPC_PORT", "CATALOG_HTTP_PORT", "CATALOG_GRPC_PORT",
		"ORDERS_HTTP_PORT", "ORDERS_GRPC_PORT", "NOTIFICATION_HTTP_PORT"} {
		_, p, _ := net.SplitHostPort(closed())
		env[k] = p
	}
	for _, k := range []string{"SHOPLAB_PROMETHEUS_URL", "SHOPLAB_LOKI_URL", "SHOPLAB_TEMPO_URL", "SHOPLAB_GRAFANA_URL", "SHOPLAB_MAILPIT_URL", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		env[k] = "http://" + closed()
	}
	smtpHost, smtpPort, _ := net.SplitHostPort(closed())
	env["SMTP_HOST"], env["SMTP_PORT"] = smtpHost, smtpPort
	env["KAFKA_BROKERS"] = closed()

	out, err := doctorCmd(context.Background(), env, "--grace", "1s")
	if err == nil || ExitCode(err) != 1 {
		t.Fatalf("exit code %d (%v), want 1\n%s", ExitCode(err), err, out)
	}
	for _, w := range []string{
		"ShopLab doctor, compose mode",
		"✗ containers: every container of the stack is healthy",
		"container tempo is unhealthy",
		"check:        docker compose -p shoplab logs tempo",
		"nothing answers on",
		"(Prometheus)",
		"likely cause:",
		"shoplab up",
		"– metrics: Prometheus counted the probe",
		"no probe was sent",
		"Broken: see each ✗ line's likely cause.",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestDoctorCommandErrors(t *testing.T) {
	env := localEnv(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--timeout", "0s"}, "must be positive"},
		{[]string{"--grace", "-1s"}, "must be positive"},
		{[]string{"extra"}, "unknown command"},
		{[]string{"--bogus"}, "unknown flag"},
	} {
		_, err := doctorCmd(context.Background(), env, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("doctor %v: err = %v, want one containing %q", tt.args, err, tt.want)
		}
	}
	env["GATEWAY_HTTP_PORT"] = "eighty"
	if _, err := doctorCmd(context.Background(), env, "--local"); err == nil || !strings.Contains(err.Error(), "GATEWAY_HTTP_PORT") {
		t.Errorf("bad configuration: err = %v, want one naming GATEWAY_HTTP_PORT", err)
	}
}
