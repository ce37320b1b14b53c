package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/shoplab/shoplab/internal/topology"
)

// run runs a doctor with cfg and returns its report, by check ID.
func run(t *testing.T, cfg Config) (*Report, map[string]CheckReport) {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep := d.Run(context.Background())
	return rep, reportByID(t, rep)
}

// reportByID indexes a report's checks by ID; IDs must be unique.
func reportByID(t *testing.T, rep *Report) map[string]CheckReport {
	t.Helper()
	byID := map[string]CheckReport{}
	for _, c := range rep.Checks {
		if _, dup := byID[c.ID]; dup {
			t.Fatalf("two checks with id %s", c.ID)
		}
		byID[c.ID] = c
	}
	return byID
}

// text renders a report as `shoplab doctor` prints it.
func text(rep *Report) string {
	var b bytes.Buffer
	pr := NewPrinter(&b, "logs")
	for _, c := range rep.Checks {
		pr.Check(c)
	}
	pr.Summary(rep)
	return b.String()
}

// composeChecks are the IDs of a compose-mode run, in report order.
func composeChecks() []string {
	return []string{
		"docker", "containers", "ports", "services", "kafka",
		"grafana-datasource-prometheus", "grafana-datasource-loki", "grafana-datasource-tempo",
		"slo-rules", "alertmanager",
		"probe",
		"prometheus-targets", "prometheus-counter", "tempo-trace", "loki-logs", "exemplar-trace", "mailpit-email",
	}
}

// TestDoctorCompose runs the doctor against the shop and stand-ins for
// the stack: first all healthy, then with one hop broken at a time. Each
// broken hop must fail with its own diagnosis while every other check
// passes.
func TestDoctorCompose(t *testing.T) {
	s := startShop(t, true)
	type want struct {
		status                      Status
		found, cause, fix, expected []string
	}
	tests := []struct {
		name   string
		faults faults
		// broken maps the check that must not pass to what it must say.
		broken map[string]want
	}{
		{name: "all pass"},
		{
			name:   "prometheus target down",
			faults: faults{targetDown: "gateway"},
			broken: map[string]want{
				"prometheus-targets": {status: Fail,
					found: []string{"Prometheus target host.docker.internal:", "(job gateway) is down", "connection refused"},
					cause: []string{"is gateway running and listening on an address the container can reach?", "SHOPLAB_BIND_HOST=127.0.0.1,<bridge address>"},
					fix:   []string{"curl http://localhost:", "/targets"}},
				// With the gateway unscraped, Prometheus never sees the
				// probe's request, nor its exemplar.
				"prometheus-counter": {status: Fail, found: []string{"no such series in Prometheus yet", "still, after"}, cause: []string{"gateway's target is down"}},
				"exemplar-trace":     {status: Fail, found: []string{"no exemplars"}, cause: []string{"--enable-feature=exemplar-storage"}},
			},
		},
		{
			name:   "counter missing",
			faults: faults{hideCounter: true},
			broken: map[string]want{
				"prometheus-counter": {status: Fail,
					expected: []string{`sum(shoplab_http_requests_total{job="gateway",route="/api/v1/orders",method="POST",status="201",region="eu-west"})`},
					found:    []string{"no such series in Prometheus yet"},
					cause:    []string{"scrapes every 5 s"},
					fix:      []string{"grep shoplab_http_requests_total"}},
			},
		},
		{
			name:   "trace missing notification",
			faults: faults{hideSpansOf: "notification"},
			broken: map[string]want{
				"tempo-trace": {status: Fail,
					found: []string{"none from notification", "orders published, no consumer span in notification"},
					cause: []string{"notification continued the trace (its log lines carry the trace ID) but its spans did not reach Tempo"},
					fix:   []string{"notification.log"}},
			},
		},
		{
			name:   "logs missing orders",
			faults: faults{hideLogsOf: "orders"},
			broken: map[string]want{
				"loki-logs": {status: Fail,
					expected: []string{`{job="shoplab"} | trace_id="`},
					found:    []string{"lines from gateway", "none from orders"},
					cause:    []string{"orders.log", "but not in Loki: the log shipper does not ship them"},
					fix:      []string{"http://localhost:12345", "logs alloy"}},
			},
		},
		{
			name:   "exemplar trace unknown to Tempo",
			faults: faults{bogusExemplars: true},
			broken: map[string]want{
				"exemplar-trace": {status: Fail,
					found: []string{"Tempo knows none of 0badc0de0badc0de0badc0de0badc0de"},
					cause: []string{"not traces Tempo stores"},
					fix:   []string{"exemplarTraceIdDestinations"}},
			},
		},
		{
			name:   "no e-mail",
			faults: faults{hideMail: true},
			broken: map[string]want{
				"mailpit-email": {status: Fail,
					found: []string{"no such e-mail in Mailpit"},
					cause: []string{"notification sent it over smtp to " + s.smtp.addr(), "Mailpit has no such message"},
					fix:   []string{"SMTP_HOST and SMTP_PORT"}},
			},
		},
		{
			name:   "grafana data source unhealthy",
			faults: faults{unhealthyDataSource: "loki"},
			broken: map[string]want{
				"grafana-datasource-loki": {status: Fail,
					found: []string{"ERROR: Unable to connect with loki"},
					cause: []string{"Grafana cannot query loki"},
					fix:   []string{"provisioning/datasources/datasources.yaml"}},
			},
		},
		{
			name:   "container unhealthy",
			faults: faults{unhealthyContainer: "tempo"},
			broken: map[string]want{
				"containers": {status: Fail,
					found: []string{"container tempo is unhealthy"},
					fix:   []string{"docker compose -p shoplab logs tempo"}},
			},
		},
		{
			name:   "no docker",
			faults: faults{noDocker: true},
			broken: map[string]want{
				"docker":     {status: Fail, found: []string{"docker is not installed"}, cause: []string{"Docker is not installed"}, fix: []string{"shoplab doctor --local"}},
				"containers": {status: Skip, found: []string{"needs docker"}},
			},
		},
	}
	// The runs go side by side (a broken hop waits for the deadline); the
	// subtests then check one run each.
	reports := make([]chan *Report, len(tests))
	for i, tt := range tests {
		cfg := startStandIns(t, s, tt.faults).config()
		if len(tt.broken) > 0 {
			// A broken hop is only declared broken at the deadline.
			cfg.Timeout = 6 * time.Second * slowdown
		}
		d, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		reports[i] = make(chan *Report, 1)
		go func() { reports[i] <- d.Run(context.Background()) }()
	}
	for i, tt := range tests {
		rep := <-reports[i]
		t.Run(tt.name, func(t *testing.T) {
			byID := reportByID(t, rep)
			out := text(rep)
			var ids []string
			for _, c := range rep.Checks {
				ids = append(ids, c.ID)
			}
			if strings.Join(ids, " ") != strings.Join(composeChecks(), " ") {
				t.Fatalf("checks %v, want %v", ids, composeChecks())
			}
			for _, id := range composeChecks() {
				c := byID[id]
				w, isBroken := tt.broken[id]
				if !isBroken {
					if c.Status != Pass {
						t.Errorf("%s: %s, want pass\n%s", id, c.Status, out)
					}
					continue
				}
				if c.Status != w.status {
					t.Errorf("%s: %s, want %s\n%s", id, c.Status, w.status, out)
				}
				for field, wants := range map[string][]string{"found": w.found, "cause": w.cause, "fix": w.fix, "expected": w.expected} {
					got := map[string]string{"found": c.Found, "cause": c.Cause, "fix": c.Fix, "expected": c.Expected}[field]
					for _, sub := range wants {
						if !strings.Contains(got, sub) {
							t.Errorf("%s: %s %q lacks %q", id, field, got, sub)
						}
					}
				}
			}
			wantCode := 0
			if len(tt.broken) > 0 {
				wantCode = 1
			}
			if got := ExitCode(rep); got != wantCode || rep.OK != (wantCode == 0) {
				t.Errorf("exit code %d (ok %v), want %d", got, rep.OK, wantCode)
			}
			if tt.broken == nil {
				checkAllPass(t, s, rep, byID)
			}
		})
	}
}

// checkAllPass checks what a healthy run reports beyond its statuses.
func checkAllPass(t *testing.T, s *shop, rep *Report, byID map[string]CheckReport) {
	t.Helper()
	if rep.Probe == nil || rep.Probe.OrderID == "" || len(rep.Probe.TraceID) != 32 || rep.Probe.Region != "eu-west" ||
		!strings.HasPrefix(rep.Probe.Email, "probe-") || !strings.HasSuffix(rep.Probe.Email, "@shoplab.test") {
		t.Fatalf("probe = %+v", rep.Probe)
	}
	for id, sub := range map[string]string{
		"tempo-trace":    "Kafka hop orders → notification",
		"loki-logs":      "notification",
		"mailpit-email":  "X-Trace-Id is the probe's trace",
		"exemplar-trace": "is a trace in Tempo",
		"probe":          rep.Probe.OrderID,
	} {
		if !strings.Contains(byID[id].Found, sub) {
			t.Errorf("%s found %q, want it to mention %q", id, byID[id].Found, sub)
		}
	}
	// The probe really is one trace across the services: the receiver
	// the stand-in Tempo reads got spans of the probe's trace from each.
	got := map[string]bool{}
	marked := false
	for _, sp := range s.spans.Spans(rep.Probe.TraceID) {
		got[sp.Service] = true
		if sp.Service == "gateway" && sp.Kind == tracepb.Span_SPAN_KIND_SERVER {
			marked = sp.Attrs["user_agent.original"] == probeUserAgent
		}
	}
	if !marked {
		t.Errorf("the gateway's server span of the probe lacks user_agent.original %q", probeUserAgent)
	}
	for _, svc := range probeServices() {
		if !got[svc] {
			t.Errorf("the receiver has no span of the probe's trace from %s", svc)
		}
	}
	for _, c := range rep.Checks {
		if c.Teaches == "" {
			t.Errorf("%s teaches nothing", c.ID)
		}
	}
}

// TestDoctorWaitTurnsGreen withholds every hop's data for the stand-ins'
// first answers, as a stack that is still starting does: with Wait the
// doctor keeps polling and ends green.
func TestDoctorWaitTurnsGreen(t *testing.T) {
	s := startShop(t, true)
	st := startStandIns(t, s, faults{late: 4})
	cfg := st.config()
	cfg.Timeout = 30 * time.Second * slowdown
	rep, byID := run(t, cfg)
	if !rep.OK || ExitCode(rep) != 0 {
		t.Fatalf("not green:\n%s", text(rep))
	}
	for _, name := range []string{"prometheus", "tempo", "loki", "mailpit"} {
		if n := st.gates[name].calls.Load(); n <= st.f.late {
			t.Errorf("%s stand-in asked %d times; the data came only after %d", name, n, st.f.late)
		}
	}
	for _, id := range []string{"prometheus-targets", "prometheus-counter", "tempo-trace", "loki-logs", "mailpit-email"} {
		if byID[id].Attempts < 2 {
			t.Errorf("%s passed after %d attempt(s); the stand-in withheld its data at first", id, byID[id].Attempts)
		}
	}
}

// TestDoctorGraceEndsWaiting: without Wait, data that does not arrive
// within the grace period is reported as waiting, not failed, and the run
// exits 2 (warming up), not 1 (broken).
func TestDoctorGraceEndsWaiting(t *testing.T) {
	s := startShop(t, true)
	st := startStandIns(t, s, faults{late: 1 << 40})
	cfg := st.config()
	cfg.Wait = false
	cfg.Grace = 1500 * time.Millisecond
	start := time.Now()
	rep, byID := run(t, cfg)
	if took := time.Since(start); took > 15*time.Second*slowdown {
		t.Errorf("run took %s with a grace of %s", took, cfg.Grace)
	}
	for _, id := range []string{"prometheus-targets", "prometheus-counter", "tempo-trace", "loki-logs", "exemplar-trace", "mailpit-email"} {
		if byID[id].Status != Waiting {
			t.Errorf("%s: %s, want waiting", id, byID[id].Status)
		}
		if byID[id].Cause == "" {
			t.Errorf("%s waits without a likely cause", id)
		}
	}
	if ExitCode(rep) != 2 || rep.OK {
		t.Errorf("exit code %d (ok %v), want 2", ExitCode(rep), rep.OK)
	}
	out := text(rep)
	for _, w := range []string{"… metrics: every service's scrape target is up", "still warming up", "shoplab doctor --wait"} {
		if !strings.Contains(strings.ToLower(out), strings.ToLower(w)) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestDoctorLocal checks a local-mode lab: what exists there passes, the
// stack's hops are skipped with the reason, and skipping fails nothing.
func TestDoctorLocal(t *testing.T) {
	s := startShop(t, false)
	cfg := Config{
		Mode: ModeLocal, Services: s.Lab.Endpoints(), Brokers: s.Lab.Brokers(), LogDir: s.Config.LogDir,
		Wait: true, Timeout: 30 * time.Second * slowdown, Interval: 100 * time.Millisecond,
	}
	rep, byID := run(t, cfg)
	out := text(rep)
	for _, id := range []string{"services", "kafka", "probe", "metrics-endpoints", "gateway-counter", "gateway-exemplar", "log-files", "notification-email"} {
		if byID[id].Status != Pass {
			t.Errorf("%s: %s, want pass\n%s", id, byID[id].Status, out)
		}
	}
	for _, id := range []string{"prometheus-targets", "tempo-trace", "loki-logs", "exemplar-trace", "mailpit-email", "grafana-datasources"} {
		if c := byID[id]; c.Status != Skip || !strings.Contains(c.Found, "needs the compose stack") {
			t.Errorf("%s: %s %q, want skipped as needing the compose stack", id, c.Status, c.Found)
		}
	}
	for _, id := range []string{"docker", "containers", "ports"} {
		if _, ok := byID[id]; ok {
			t.Errorf("local mode ran the compose check %s", id)
		}
	}
	if !rep.OK || ExitCode(rep) != 0 {
		t.Errorf("exit code %d, want 0: skips do not fail a local run\n%s", ExitCode(rep), out)
	}
	if !strings.Contains(byID["notification-email"].Found, "no SMTP_HOST") {
		t.Errorf("notification-email found %q, want it to say e-mails are only logged", byID["notification-email"].Found)
	}
	if !strings.Contains(byID["gateway-exemplar"].Found, rep.Probe.TraceID) {
		t.Errorf("gateway-exemplar found %q, want the probe's trace %s", byID["gateway-exemplar"].Found, rep.Probe.TraceID)
	}
	for _, w := range []string{"– metrics: Prometheus scrapes every service", "needs the compose stack (Tempo)", "✓ logs: every service it touched logged the probe's trace ID"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestDoctorLocalNothingRunning: with no lab, the preconditions fail with
// the command that starts one, and the hops are skipped for want of a
// probe.
func TestDoctorLocalNothingRunning(t *testing.T) {
	cfg := Config{
		Mode:     ModeLocal,
		Services: testEndpoints(t),
		Brokers:  []string{closedAddr(t)},
		LogDir:   t.TempDir(),
		Grace:    500 * time.Millisecond,
		Interval: 100 * time.Millisecond,
	}
	rep, byID := run(t, cfg)
	for id, want := range map[string]string{"services": "shoplab up --local", "kafka": "shoplab up --local", "probe": "shoplab up --local", "metrics-endpoints": "shoplab up --local"} {
		if c := byID[id]; c.Status != Fail || !strings.Contains(c.Fix, want) {
			t.Errorf("%s: %s, fix %q; want a failure that says %q", id, c.Status, c.Fix, want)
		}
	}
	if c := byID["log-files"]; c.Status != Skip || !strings.Contains(c.Found, "no probe") {
		t.Errorf("log-files: %s %q, want skipped for want of a probe", c.Status, c.Found)
	}
	if ExitCode(rep) != 1 {
		t.Errorf("exit code %d, want 1", ExitCode(rep))
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema int    `json:"schema"`
		Mode   string `json:"mode"`
		OK     *bool  `json:"ok"`
		Probe  struct {
			TraceID string `json:"trace_id"`
		} `json:"probe"`
		Checks []struct {
			ID, Hop, Name, Status, Expected, Found, Cause, Fix string
			TookMS                                             *int64 `json:"took_ms"`
		} `json:"checks"`
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != 1 || doc.Mode != "local" || doc.OK == nil || *doc.OK || len(doc.Probe.TraceID) != 32 || doc.Summary["fail"] != 4 {
		t.Errorf("JSON report %s", b.String())
	}
	for _, c := range doc.Checks {
		if c.ID == "" || c.Hop == "" || c.Name == "" || c.TookMS == nil || (c.Status != "pass" && c.Status != "fail" && c.Status != "waiting" && c.Status != "skip") {
			t.Errorf("JSON check %+v lacks a field", c)
		}
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// testEndpoints are the five services, none of them running.
func testEndpoints(t *testing.T) []topology.Endpoint {
	t.Helper()
	var out []topology.Endpoint
	for _, svc := range topology.Services() {
		a := closedAddr(t)
		out = append(out, topology.Endpoint{Service: svc, HTTP: a, HealthURL: "http://" + a + "/healthz", MetricsURL: "http://" + a + "/metrics"})
	}
	return out
}
