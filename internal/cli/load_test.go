package cli

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

// runLoadCmd runs `shoplab load args...` with env.
func runLoadCmd(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	// A run keeps its result in the data directory: a temporary one, never
	// the source tree.
	if _, ok := env["SHOPLAB_DATA_DIR"]; !ok {
		env = maps.Clone(env)
		if env == nil {
			env = map[string]string{}
		}
		env["SHOPLAB_DATA_DIR"] = t.TempDir()
	}
	var out, errOut testkit.SyncBuffer
	app := &App{Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}
	cmd := NewCmdLoad(app)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// fakeGateway answers the read API the browse scenario uses; delay slows
// every answer.
func fakeGateway(t *testing.T, delay time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		switch {
		case r.URL.Path == "/healthz":
		case r.URL.Path == "/api/v1/products":
			w.Write([]byte(`{"products":[{"id":1},{"id":2}]}`))
		case strings.HasPrefix(r.URL.Path, "/api/v1/products/"):
			w.Write([]byte(`{"id":1}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// noStack keeps the tests away from a Loki that may run on this machine.
func noStack() map[string]string {
	return map[string]string{"LOKI_URL": "http://127.0.0.1:1"}
}

const scenariosDir = "../../scenarios"

func TestLoadRejectsBadFlags(t *testing.T) {
	srv := fakeGateway(t, 0)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("rate: 10\nduration: 1s\njourneys:\n  - steps: [{method: GET, route: /api/v1/basket}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--scenario", "nope"}, []string{`unknown scenario "nope"`, "browse", "checkout", "flash-sale", "regional-outage", "slow-catalog"}},
		{[]string{}, []string{"--scenario is required", "checkout"}},
		{[]string{"--scenario", "browse", "--region", "mars"}, []string{`--region "mars"`, "us-east"}},
		{[]string{"--scenario", "browse", "--threshold", "p99<fast"}, []string{"--threshold", `"fast" is not a duration`}},
		{[]string{"--scenario", "browse", "--threshold", "latency<1s"}, []string{`unknown metric "latency"`}},
		{[]string{"--scenario", "browse", "--out", "xml"}, []string{`--out "xml"`}},
		{[]string{"--scenario", "browse", "--rate", "-1"}, []string{"must not be negative"}},
		{[]string{"--scenario", bad}, []string{bad + ":4: unknown route \"GET /api/v1/basket\""}},
		{[]string{"--scenario", "browse", "--target", "http://127.0.0.1:1"}, []string{"not reachable", "shoplab up --local"}},
		{[]string{"--scenario", "browse", "--target", "ftp://x"}, []string{"want an http://"}},
	}
	for _, tt := range tests {
		args := append([]string{"--scenarios-dir", scenariosDir, "--target", srv.URL}, tt.args...)
		_, _, err := runLoadCmd(t, noStack(), args...)
		if err == nil {
			t.Errorf("load %v: no error", tt.args)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("load %v: error %q does not contain %q", tt.args, err, w)
			}
		}
		if code := ExitCode(err); code != 1 {
			t.Errorf("load %v: exit code %d, want 1", tt.args, code)
		}
	}
}

func TestLoadExitCodes(t *testing.T) {
	fast, slow := fakeGateway(t, 0), fakeGateway(t, 300*time.Millisecond)
	tests := []struct {
		name     string
		target   string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"thresholds hold", fast.URL, []string{"--threshold", "p99<10s", "--threshold", "errors<1%"}, 0, "PASSED"},
		{"a threshold fails", fast.URL, []string{"--threshold", "p99<1ns", "--threshold", "errors<1%"}, exitThresholdFailed, "✗ p99<1ns"},
		{"saturated", slow.URL, []string{"--rate", "100", "--max-in-flight", "2"}, exitSaturated, "GENERATOR SATURATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--scenarios-dir", scenariosDir, "--scenario", "browse", "--target", tt.target,
				"--rate", "20", "--duration", "1s", "--no-think"}, tt.args...)
			out, _, err := runLoadCmd(t, noStack(), args...)
			code := 0
			if err != nil {
				code = ExitCode(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d (%v), want %d\n%s", code, err, tt.wantCode, out)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}

// TestLoadJSONSchema checks --out json against the schema documented in
// scenarios/README.md, and the Loki annotations of the run.
func TestLoadJSONSchema(t *testing.T) {
	srv := fakeGateway(t, 0)
	var mu sync.Mutex
	var pushes []string
	loki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/loki/api/v1/push" {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			pushes = append(pushes, string(b))
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer loki.Close()
	env := map[string]string{"LOKI_URL": loki.URL, "SHOPLAB_TARGET": srv.URL}
	out, errOut, err := runLoadCmd(t, env, "--scenarios-dir", scenariosDir, "--scenario", "browse",
		"--rate", "20", "--duration", "1s", "--no-think", "--region", "eu-west", "--region", "us-east", "--out", "json")
	// Exit 3 (the generator saturated) happens on a busy machine; the
	// schema is what this test checks, and it is written either way.
	if err != nil && ExitCode(err) != 3 {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var res struct {
		Schema     string    `json:"schema"`
		Scenario   string    `json:"scenario"`
		Target     string    `json:"target"`
		StartedAt  time.Time `json:"started_at"`
		DurationS  float64   `json:"duration_s"`
		TargetRate float64   `json:"target_rate"`
		Regions    []string  `json:"regions"`
		Generator  struct {
			Scheduled, Started, Dropped, Late int64
			Saturated                         bool
		} `json:"generator"`
		Journeys []struct {
			Name      string `json:"name"`
			Started   int64  `json:"started"`
			Completed int64  `json:"completed"`
		} `json:"journeys"`
		Total     map[string]json.RawMessage `json:"total"`
		Endpoints []struct {
			Method, Route, Region string
			Requests              int64              `json:"requests"`
			Rate                  float64            `json:"rate"`
			ErrorRatio            float64            `json:"error_ratio"`
			Statuses              map[string]int64   `json:"statuses"`
			Latency               map[string]float64 `json:"latency_ms"`
		} `json:"endpoints"`
		Slowest []struct {
			Method, Route string
			Requests      []struct {
				TraceID   string  `json:"trace_id"`
				LatencyMS float64 `json:"latency_ms"`
				Region    string  `json:"region"`
				Status    int     `json:"status"`
			} `json:"requests"`
		} `json:"slowest"`
		Thresholds []struct {
			Expr   string  `json:"expr"`
			Actual float64 `json:"actual"`
			Passed bool    `json:"passed"`
		} `json:"thresholds"`
		Passed bool `json:"passed"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout is not one JSON result: %v\n%s", err, out)
	}
	if res.Schema != "shoplab.load/v1" || res.Scenario != "browse" || res.Target != srv.URL || res.DurationS != 1 || res.TargetRate != 20 ||
		res.StartedAt.IsZero() || strings.Join(res.Regions, ",") != "us-east,eu-west" || !res.Passed {
		t.Errorf("header fields: %+v", res)
	}
	if g := res.Generator; g.Scheduled != 20 || g.Started != 20 || g.Dropped != 0 || g.Saturated {
		t.Errorf("generator %+v", g)
	}
	if len(res.Journeys) != 3 {
		t.Errorf("journeys %+v", res.Journeys)
	}
	for _, k := range []string{"requests", "rate", "errors", "error_ratio", "transport_errors", "statuses", "latency_ms", "service_ms"} {
		if _, ok := res.Total[k]; !ok {
			t.Errorf("total has no %q", k)
		}
	}
	if len(res.Endpoints) == 0 {
		t.Fatal("no endpoints")
	}
	for _, e := range res.Endpoints {
		if e.Requests == 0 || e.Statuses["200"] != e.Requests || e.ErrorRatio != 0 || e.Latency["p99"] <= 0 || e.Latency["max"] < e.Latency["p50"] {
			t.Errorf("endpoint %+v", e)
		}
		if e.Region != "us-east" && e.Region != "eu-west" {
			t.Errorf("traffic from %s, outside --region", e.Region)
		}
	}
	for _, s := range res.Slowest {
		if len(s.Requests) == 0 || len(s.Requests) > 5 {
			t.Errorf("%s %s: %d slowest requests", s.Method, s.Route, len(s.Requests))
		}
		for _, r := range s.Requests {
			if !validTraceID(r.TraceID) || r.Status != 200 {
				t.Errorf("slow request %+v", r)
			}
		}
	}
	if len(res.Thresholds) != 2 || !res.Thresholds[0].Passed { // browse.yaml's own
		t.Errorf("thresholds %+v", res.Thresholds)
	}
	if dec.More() {
		t.Error("more than one JSON value on stdout")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pushes) != 2 || !strings.Contains(pushes[0], `"job":"shoplab-load"`) || !strings.Contains(pushes[0], `"scenario":"browse"`) ||
		!strings.Contains(pushes[0], "load test started") || !strings.Contains(pushes[1], "load test ended") {
		t.Errorf("Loki pushes: %q", pushes)
	}
}

// TestLoadSaturationReason: a run that drops arrivals says whether the
// scenario's think time needs more journey slots than --max-in-flight
// allows, or the target is too slow.
func TestLoadSaturationReason(t *testing.T) {
	fast, slow := fakeGateway(t, 0), fakeGateway(t, 300*time.Millisecond)
	tests := []struct {
		name   string
		target string
		args   []string
		want   string
	}{
		// browse thinks 0.45 s a journey on average: ~45 slots at 100/s.
		{"think time needs the slots", fast.URL, []string{"--rate", "100", "--max-in-flight", "5"}, "the scenario needs about"},
		{"the target is slow", slow.URL, []string{"--rate", "100", "--max-in-flight", "2", "--no-think"}, "the target cannot keep up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--scenarios-dir", scenariosDir, "--scenario", "browse", "--target", tt.target, "--duration", "1s"}, tt.args...)
			out, _, err := runLoadCmd(t, noStack(), args...)
			if code := ExitCode(err); code != exitSaturated {
				t.Fatalf("exit code %d (%v), want %d\n%s", code, err, exitSaturated, out)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(out, tt.want) {
				t.Errorf("error %q or output lacks %q:\n%s", err, tt.want, out)
			}
		})
	}
}
