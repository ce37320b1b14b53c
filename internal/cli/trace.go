package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/shoplab/shoplab/internal/traceview"
)

type traceFlags struct {
	json, slowest, last bool
	local, compose      bool
	width               int
}

// NewCmdTrace builds `shoplab trace`.
func NewCmdTrace(app *App) *cobra.Command {
	var f traceFlags
	cmd := &cobra.Command{
		Use:   "trace [TRACE_ID]",
		Short: "Show a trace and its log lines in the terminal",
		Long: `Show one trace as a waterfall: a line per span, indented by parent, with
its service, offset and duration drawn to scale, status and the attributes
that matter; under each span the log lines that carry its span ID. The
spans on the critical path are marked, and what happened after the HTTP
response (the outbox, Kafka, the e-mail) is shown apart.

Where the trace comes from: in local mode every service keeps its spans in
logs/spans/ and the logs in logs/*.log; in compose mode Tempo and Loki keep
them. By default the local files are asked first, then Tempo and Loki;
--local or --compose asks only one.

--slowest and --last pick a trace from the last 'shoplab load' run.

Exit codes:
  0  shown
  1  any other failure
  2  the ID is not a trace ID (32 hex digits, not all zero)
  3  no such trace (yet: spans arrive within seconds)
  4  nowhere to look: no span files and Tempo does not answer
  5  --slowest/--last with no load run recorded`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := runTrace(cmd.Context(), app, f, args)
			if err != nil {
				return &exitError{code: traceview.ExitCode(err), err: err}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print the trace as JSON (schema shoplab.trace/v1) for scripts")
	fl.BoolVar(&f.slowest, "slowest", false, "the slowest request of the last load run")
	fl.BoolVar(&f.last, "last", false, "the request that started last among those the last load run kept")
	fl.BoolVar(&f.local, "local", false, "read only the local span and log files")
	fl.BoolVar(&f.compose, "compose", false, "read only Tempo and Loki")
	fl.IntVar(&f.width, "width", 0, "columns to draw in (default: the terminal's, else 120)")
	return cmd
}

func runTrace(ctx context.Context, app *App, f traceFlags, args []string) error {
	picks := 0
	for _, b := range []bool{len(args) == 1, f.slowest, f.last} {
		if b {
			picks++
		}
	}
	if picks != 1 {
		return errors.New("give exactly one of: a trace ID, --slowest, --last")
	}
	if f.local && f.compose {
		return errors.New("--local and --compose exclude each other")
	}
	s, err := loadSettings(app.Getenv)
	if err != nil {
		return err
	}
	var id string
	if len(args) == 1 {
		if id, err = traceview.ParseTraceID(args[0]); err != nil {
			return err
		}
	} else {
		run, err := traceview.ReadLastRun(s.cfg.DataDir)
		if err != nil {
			return err
		}
		pick, what := traceview.PickSlowest, "slowest"
		if f.last {
			pick, what = traceview.PickLast, "last"
		}
		p, err := pick(run)
		if err != nil {
			return err
		}
		id = p.TraceID
		if !f.json {
			fmt.Fprintf(app.Stdout, "The %s request of the last load run (%s): %s %s from %s, %.1f ms, status %d\n\n",
				what, run.Scenario, p.Method, p.Route, p.Region, p.LatencyMS, p.Status)
		}
	}
	local := traceview.NewLocal(s.cfg.LogDir)
	compose := traceview.NewCompose(s.cfg.Stack.TempoURL, s.cfg.Stack.LokiURL)
	var t *traceview.Trace
	switch {
	case f.local:
		t, err = local.Trace(ctx, id)
	case f.compose:
		t, err = compose.Trace(ctx, id)
	default:
		t, err = firstFound(ctx, id, local, compose)
	}
	if err != nil {
		return err
	}
	v := traceview.Analyze(t)
	if f.json {
		return v.WriteJSON(app.Stdout)
	}
	return v.WriteText(app.Stdout, traceWidth(app.Stdout, f.width))
}

// firstFound asks each source in turn and returns the first trace found.
// When none has it, "not found" wins over "unavailable": a source that
// answered and does not know the trace says more than one that is off.
func firstFound(ctx context.Context, id string, sources ...traceview.Source) (*traceview.Trace, error) {
	var errs []error
	for _, src := range sources {
		t, err := src.Trace(ctx, id)
		if err == nil {
			return t, nil
		}
		errs = append(errs, err)
	}
	for _, err := range errs {
		if errors.Is(err, traceview.ErrNotFound) {
			return nil, err
		}
	}
	return nil, errors.Join(errs...)
}

func traceWidth(w io.Writer, flag int) int {
	if flag > 0 {
		return flag
	}
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 120
}
