package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/stack"
)

// Exit codes of shoplab load besides 0 (passed) and 1 (could not run:
// bad flags, bad scenario, target unreachable).
const (
	exitThresholdFailed = 2
	exitSaturated       = 3
	exitInterrupted     = 130
)

type loadFlags struct {
	scenario, scenariosDir, target, out string
	rate                                float64
	duration                            time.Duration
	regions, thresholds                 []string
	maxInFlight, maxConns               int
	noThink                             bool
}

// NewCmdLoad builds `shoplab load`.
func NewCmdLoad(app *App) *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "load --scenario NAME",
		Short: "Send a scenario's traffic to the shop and report what it measured",
		Long: `Run a load scenario (scenarios/NAME.yaml, or a file) against the shop's
gateway as an open model: journeys start on schedule whether or not earlier
ones finished, and latency is measured from each request's intended start.
Every request carries X-Region and a traceparent, so the slowest ones can be
found in Tempo by the trace IDs the summary lists. The scenario format and
the --out json schema are in scenarios/README.md.

Exit codes:
  0    every threshold held
  1    the run could not start (bad flag or scenario, target unreachable)
  2    a threshold failed
  3    the generator saturated (dropped or late arrivals): the numbers
       describe the generator, not only the target
  130  interrupted`,
		Example: `  shoplab load --scenario checkout
  shoplab load --scenario flash-sale --rate 100 --duration 30s --threshold 'p99<500ms' --threshold 'errors<1%'
  shoplab load --scenario regional-outage --region ap-south --region eu-west --out json > result.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLoad(cmd.Context(), app, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", "", "scenario name (a file in --scenarios-dir) or path to a scenario file")
	fl.StringVar(&f.scenariosDir, "scenarios-dir", "scenarios", "directory of the named scenarios")
	fl.StringVar(&f.target, "target", "", "gateway URL (default $SHOPLAB_TARGET, else the lab's gateway: http://127.0.0.1:$GATEWAY_HTTP_PORT, 8100 unless set)")
	fl.StringVar(&f.out, "out", "text", "result format: text or json (json goes to stdout; progress to stderr)")
	fl.Float64Var(&f.rate, "rate", 0, "journeys per second, overriding the scenario's (a ramp is scaled so that its peak is this)")
	fl.DurationVar(&f.duration, "duration", 0, "how long arrivals go on, overriding the scenario's (a ramp's stages are scaled)")
	fl.StringSliceVar(&f.regions, "region", nil, "send only from these regions (repeatable): "+strings.Join(region.All(), ", "))
	fl.StringArrayVar(&f.thresholds, "threshold", nil, "pass/fail condition, e.g. 'p99<300ms', 'p90<=1s', 'errors<1%', 'rate>=100' (repeatable)")
	fl.IntVar(&f.maxInFlight, "max-in-flight", 0, fmt.Sprintf("journeys open at once before arrivals are dropped (default: the scenario's max_in_flight, else sized by Little's law: peak rate × (mean think time + %s a step) × %g, at least %d, at most %d)",
		load.StepAllowance, load.SlotHeadroom, load.MinMaxInFlight, load.MaxMaxInFlight))
	fl.IntVar(&f.maxConns, "max-conns", 0, fmt.Sprintf("connections to the target (default %d); requests wait for one, and the wait counts in their latency", load.DefaultMaxConns))
	fl.BoolVar(&f.noThink, "no-think", false, "skip the scenario's think times (a quick smoke run)")
	return cmd
}

func runLoad(ctx context.Context, app *App, f loadFlags) error {
	if f.out != "text" && f.out != "json" {
		return fmt.Errorf("--out %q: want text or json", f.out)
	}
	for _, r := range f.regions {
		if !slices.Contains(region.All(), r) {
			return fmt.Errorf("--region %q: want one of %s", r, strings.Join(region.All(), ", "))
		}
	}
	thresholds, err := load.ParseThresholds(f.thresholds)
	if err != nil {
		return fmt.Errorf("--threshold: %w", err)
	}
	if f.scenario == "" {
		names, _ := load.List(f.scenariosDir)
		return fmt.Errorf("--scenario is required (in %s: %s)", f.scenariosDir, strings.Join(names, ", "))
	}
	if f.rate < 0 || f.duration < 0 || f.maxInFlight < 0 || f.maxConns < 0 {
		return errors.New("--rate, --duration, --max-in-flight and --max-conns must not be negative")
	}
	sc, err := load.Find(f.scenariosDir, f.scenario)
	if err != nil {
		return err
	}
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return err
	}
	target := cmp.Or(strings.TrimSuffix(f.target, "/"), s.cfg.Target)

	progressOut := app.Stdout
	if f.out == "json" {
		progressOut = app.Stderr
	}
	live := isTerminal(progressOut)
	every := 2 * time.Second
	if live {
		every = 500 * time.Millisecond
	}
	e, err := load.New(sc, load.Options{
		Target: target, Rate: f.rate, Duration: f.duration, Regions: f.regions,
		MaxInFlight: f.maxInFlight, MaxConns: f.maxConns, NoThink: f.noThink, Thresholds: thresholds,
		Progress: func(p load.Progress) { writeProgress(progressOut, p, live) }, ProgressEvery: every,
	})
	if err != nil {
		return err
	}
	if err := reachable(ctx, target); err != nil {
		return fmt.Errorf("target %s is not reachable (%w); is the shop running? Start it with: shoplab up --local", target, err)
	}

	fmt.Fprintf(progressOut, "Running %s against %s: %s at up to %g journeys/s from %s, at most %d journeys open (Ctrl-C stops early)\n",
		sc.Name, target, e.Duration(), e.PeakRate(), strings.Join(e.Regions(), ", "), e.MaxInFlight())

	res, err := runAnnotated(ctx, s.cfg.Stack.AnnotationURL, s.cfg.DataDir, e, target, func(err error) { fmt.Fprintf(app.Stderr, "(%v)\n", err) })
	if live {
		fmt.Fprintln(progressOut)
	}
	if err != nil {
		return err
	}

	var traceURL func(string) string
	if grafanaUp(context.WithoutCancel(ctx)) {
		traceURL = TraceURL
		for i := range res.Slowest {
			for j := range res.Slowest[i].Requests {
				r := &res.Slowest[i].Requests[j]
				r.TraceURL = TraceURL(r.TraceID)
			}
		}
	}
	if f.out == "json" {
		enc := json.NewEncoder(app.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if err := res.WriteText(app.Stdout, traceURL); err != nil {
		return err
	}
	return loadExit(res)
}

// loadExit maps a result to the command's error and exit code.
func loadExit(res *load.Result) error {
	switch {
	case res.Interrupted:
		return &exitError{code: exitInterrupted, err: errors.New("load test interrupted")}
	case res.Generator.Saturated:
		return &exitError{code: exitSaturated, err: fmt.Errorf("the load generator saturated: %s", strings.Join(res.Generator.Reasons, "; "))}
	}
	var failed []string
	for _, t := range res.Thresholds {
		if !t.Passed {
			failed = append(failed, t.Expr)
		}
	}
	if len(failed) > 0 {
		return &exitError{code: exitThresholdFailed, err: fmt.Errorf("thresholds failed: %s", strings.Join(failed, ", "))}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func writeProgress(w io.Writer, p load.Progress, live bool) {
	errPct := 0.0
	if p.Requests > 0 {
		errPct = 100 * float64(p.Errors) / float64(p.Requests)
	}
	phase := fmt.Sprintf("journeys %.1f/s (target %.4g/s)", p.JourneyRate, p.TargetRate)
	if p.Draining {
		phase = "draining"
	}
	line := fmt.Sprintf("[%5.1fs] %s  requests %.0f/s  in flight %d  errors %d (%.2f%%)  p99 %s",
		p.Elapsed.Seconds(), phase, p.RequestRate, p.InFlight, p.Errors, errPct, p.P99.Round(100*time.Microsecond))
	if p.Dropped > 0 || p.Late > 0 {
		line += fmt.Sprintf("  DROPPED %d  LATE %d", p.Dropped, p.Late)
	}
	if live {
		fmt.Fprint(w, "\r\x1b[K"+line)
		return
	}
	fmt.Fprintln(w, line)
}

// reachable checks that something answers HTTP at target, whatever the
// status: the shop's health is for the run to measure.
func reachable(ctx context.Context, target string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"/healthz", nil)
	if err != nil {
		return err
	}
	// No proxy: the run itself goes straight to the target.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// grafanaUp reports whether the compose stack's Grafana answers, so that
// trace links are only printed when they can be followed.
func grafanaUp(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, stack.GrafanaURL+"/api/health", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
