package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Annotator writes annotation lines (a load test started, ended) to Loki,
// so that Grafana can mark them on its graphs.
//
// It speaks Loki's documented push API (POST /loki/api/v1/push, JSON)
// directly: grafana/loki-client-go, the client the design named, calls
// itself experimental ("DO NOT USE IT") and is unmaintained, and two
// lines per run need no batching client.
type Annotator struct {
	// URL is Loki's base URL, e.g. http://localhost:3100.
	URL    string
	Client *http.Client
}

func (a *Annotator) client() *http.Client {
	if a.Client != nil {
		return a.Client
	}
	return http.DefaultClient
}

// Ready reports whether Loki answers its readiness probe within timeout.
func (a *Annotator) Ready(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(a.URL, "/")+"/ready", nil)
	if err != nil {
		return err
	}
	resp, err := a.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("loki /ready answered %s", resp.Status)
	}
	return nil
}

// pushRequest is the body of POST /loki/api/v1/push.
type pushRequest struct {
	Streams []pushStream `json:"streams"`
}

type pushStream struct {
	Stream map[string]string `json:"stream"`
	// Values are [timestamp in Unix nanoseconds as a string, line].
	Values [][2]string `json:"values"`
}

// Push writes one line with the given labels at time at.
func (a *Annotator) Push(ctx context.Context, labels map[string]string, at time.Time, line string) error {
	body, err := json.Marshal(pushRequest{Streams: []pushStream{{
		Stream: labels,
		Values: [][2]string{{strconv.FormatInt(at.UnixNano(), 10), line}},
	}}})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(a.URL, "/")+"/loki/api/v1/push", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client().Do(req)
	if err != nil {
		return fmt.Errorf("loki push: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("loki push answered %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// AnnotationLabels are the stream labels of a scenario's annotations.
func AnnotationLabels(scenario string) map[string]string {
	return map[string]string{"job": "shoplab-load", "scenario": scenario}
}

// StartLine is the annotation written when e starts.
func (e *Engine) StartLine(target string) string {
	b, _ := json.Marshal(map[string]any{
		"event": "load test started", "scenario": e.sc.Name, "rate": e.PeakRate(), "duration": e.Duration().String(),
		"regions": e.Regions(), "target": target,
	})
	return string(b)
}

// EndLine is the annotation written when a run has ended with r.
func EndLine(r *Result) string {
	b, _ := json.Marshal(map[string]any{
		"event": "load test ended", "scenario": r.Scenario, "rate": r.TargetRate, "regions": r.Regions,
		"requests": r.Total.Requests, "error_ratio": r.Total.ErrorRatio, "p99_ms": r.Total.Latency.P99,
		"passed": r.Passed, "saturated": r.Generator.Saturated,
	})
	return string(b)
}
