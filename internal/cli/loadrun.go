package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/load"
	"github.com/shoplab/shoplab/internal/stack"
)

// loadTarget is the gateway a load run drives: SHOPLAB_TARGET, else the
// gateway of the lab this environment describes (GATEWAY_HTTP_PORT).
func loadTarget(getenv func(string) string) (string, error) {
	if t := getenv("SHOPLAB_TARGET"); t != "" {
		return strings.TrimSuffix(t, "/"), nil
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("http://127.0.0.1:%d", cfg.Gateway.HTTPPort), nil
}

// runAnnotated runs e and, when Loki answers, marks the run's start and
// end there (the dashboards show them as annotations). warn receives an
// annotation that could not be written; the run goes on without it.
func runAnnotated(ctx context.Context, getenv func(string) string, e *load.Engine, target string, warn func(error)) (*load.Result, error) {
	loki := &load.Annotator{URL: cmpOrString(getenv("LOKI_URL"), stack.LokiURL)}
	annotate := loki.Ready(ctx, 500*time.Millisecond) == nil
	labels := load.AnnotationLabels(e.Scenario().Name)
	if annotate {
		if err := loki.Push(ctx, labels, time.Now(), e.StartLine(target)); err != nil {
			warn(fmt.Errorf("could not annotate the start in Loki: %w", err))
		}
	}
	res, err := e.Run(ctx)
	if err == nil && annotate {
		// The run's ctx may be cancelled (Ctrl-C); the end still belongs
		// in Loki.
		if err := loki.Push(context.WithoutCancel(ctx), labels, time.Now(), load.EndLine(res)); err != nil {
			warn(fmt.Errorf("could not annotate the end in Loki: %w", err))
		}
	}
	return res, err
}
