package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/traceview"
)

// checkout places one order through the gateway and returns its trace ID.
func checkout(t *testing.T, base string) string {
	t.Helper()
	c := &testkit.Client{Base: base, Region: "eu-west"}
	email := fmt.Sprintf("trace-%d@example.com", time.Now().UnixNano())
	c.Do(t, "POST", "/api/v1/auth/register", map[string]string{"email": email, "password": "correct horse battery", "name": "Ada"}).Want(t, 201)
	var login struct{ Token string }
	c.Do(t, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"}).Want(t, 200).Decode(t, &login)
	c.Token = login.Token
	r := c.Do(t, "POST", "/api/v1/orders", map[string]any{"items": []map[string]int{{"product_id": 1, "quantity": 1}}}).Want(t, 201)
	if r.TraceID == "" {
		t.Fatal("the order's answer carries no X-Trace-Id")
	}
	return r.TraceID
}

// TestTraceLocalModeEndToEnd: one real checkout in local mode is one
// trace across the five services and the Kafka hop, read back from the
// services' own span files, with their log lines under their spans.
func TestTraceLocalModeEndToEnd(t *testing.T) {
	shop := labharness.Start(t, map[string]string{"OTEL_TRACES_EXPORTER": "none"})
	id := checkout(t, shop.GatewayURL())

	var v traceview.View
	testkit.WaitFor(t, 30*time.Second, "the checkout's trace with its e-mail", func() error {
		out, errOut, err := run(context.Background(), shop.Env, "trace", id, "--local", "--json")
		if err != nil {
			return fmt.Errorf("shoplab trace: %v (exit %d) %s", err, ExitCode(err), errOut)
		}
		v = traceview.View{}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			return err
		}
		for _, svc := range []string{"gateway", "auth", "orders", "catalog", "notification"} {
			if !strings.Contains(" "+strings.Join(v.Services, " ")+" ", " "+svc+" ") {
				return fmt.Errorf("services so far %v: no %s", v.Services, svc)
			}
		}
		return nil
	})

	kinds := map[string]bool{}
	logsBy := map[string]int{}
	for _, s := range v.Spans {
		kinds[s.Kind] = true
		for _, l := range s.Logs {
			if l.SpanID != s.SpanID {
				t.Errorf("log line %q (span %s) shown under span %s", l.Msg, l.SpanID, s.SpanID)
			}
			logsBy[l.Service]++
		}
	}
	for _, k := range []string{"producer", "consumer"} {
		if !kinds[k] {
			t.Errorf("no %s span: the Kafka hop is missing (kinds %v)", k, kinds)
		}
	}
	for _, svc := range []string{"gateway", "orders", "notification"} {
		if logsBy[svc] == 0 {
			t.Errorf("no log line of %s under its spans (log lines by service: %v)", svc, logsBy)
		}
	}
	if v.Async == nil {
		t.Error("the e-mail is not shown as what happened after the response")
	}

	// The text view names the same trace and its services.
	out, _, err := run(context.Background(), shop.Env, "trace", id, "--local", "--width", "100")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{id, "gateway", "notification"} {
		if !strings.Contains(out, w) {
			t.Errorf("the waterfall lacks %q:\n%s", w, out)
		}
	}

	// A trace the spans do not know (yet): its own exit code.
	_, _, err = run(context.Background(), shop.Env, "trace", strings.Repeat("cd", 16), "--local")
	if got := ExitCode(err); got != traceview.ExitNotFound {
		t.Errorf("unknown trace: exit %d (%v), want %d", got, err, traceview.ExitNotFound)
	}
}

func TestTraceBadInput(t *testing.T) {
	env := localEnv(t)
	// Nothing listens here: compose mode's Tempo is "down".
	env["SHOPLAB_TEMPO_URL"] = "http://127.0.0.1:1"
	env["SHOPLAB_LOKI_URL"] = "http://127.0.0.1:1"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"malformed", []string{"trace", "xyz"}, traceview.ExitMalformedID, "32 hex"},
		{"all zero", []string{"trace", strings.Repeat("0", 32)}, traceview.ExitMalformedID, "malformed"},
		{"nothing recorded, stack down", []string{"trace", strings.Repeat("ab", 16)}, traceview.ExitUnavailable, "unavailable"},
		{"no load run", []string{"trace", "--slowest"}, traceview.ExitNoLoadRun, "no load run"},
		{"two picks", []string{"trace", strings.Repeat("ab", 16), "--last"}, 1, "exactly one"},
		{"no pick", []string{"trace"}, 1, "exactly one"},
		{"both modes", []string{"trace", strings.Repeat("ab", 16), "--local", "--compose"}, 1, "exclude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(context.Background(), env, tt.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if got := ExitCode(err); got != tt.wantCode {
				t.Errorf("exit %d (%v), want %d", got, err, tt.wantCode)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not say %q", err, tt.wantErr)
			}
		})
	}
}
