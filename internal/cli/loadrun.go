package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/traceview"
)

// runAnnotated runs e and, when the Loki at lokiURL answers, marks the
// run's start and end there (the dashboards show them as annotations).
// The result is kept in dataDir for `shoplab trace --slowest/--last`.
// warn receives what could not be written; the run goes on without it.
func runAnnotated(ctx context.Context, lokiURL, dataDir string, e *load.Engine, target string, warn func(error)) (*load.Result, error) {
	loki := &load.Annotator{URL: lokiURL}
	annotate := loki.Ready(ctx, 500*time.Millisecond) == nil
	labels := load.AnnotationLabels(e.Scenario().Name)
	if annotate {
		if err := loki.Push(ctx, labels, time.Now(), e.StartLine(target)); err != nil {
			warn(fmt.Errorf("could not annotate the start in Loki: %w", err))
		}
	}
	res, err := e.Run(ctx)
	if err != nil {
		return res, err
	}
	if annotate {
		// The run's ctx may be cancelled (Ctrl-C); the end still belongs
		// in Loki.
		if err := loki.Push(context.WithoutCancel(ctx), labels, time.Now(), load.EndLine(res)); err != nil {
			warn(fmt.Errorf("could not annotate the end in Loki: %w", err))
		}
	}
	if err := traceview.SaveLastRun(dataDir, res); err != nil {
		warn(fmt.Errorf("could not keep the run for shoplab trace --slowest: %w", err))
	}
	return res, nil
}
