package lesson

import (
	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/topology"
)

// All lists the lessons in teaching order: metrics first, then traces,
// logs, the asynchronous hop, the metrics' own cost, and the pipeline.
func All() []*Lesson {
	return []*Lesson{
		redByRegion(),
		exemplarToSpan(),
		logsAndTraces(),
		kafkaHop(),
		cardinality(),
		brokenPipeline(),
		traceShape(),
		slowDatabase(),
	}
}

// Traffic of the lessons: modest rates, enough for every region and
// endpoint to show in a minute.
const (
	checkoutScenario = "checkout"
	browseScenario   = "browse"
)

func regionOptions() []Option {
	var out []Option
	for _, r := range region.All() {
		out = append(out, Option{Value: r})
	}
	return out
}

func serviceOptions() []Option {
	var out []Option
	for _, s := range []string{topology.Gateway, topology.Auth, topology.Catalog, topology.Orders, topology.Notification} {
		out = append(out, Option{Value: s, Aliases: []string{s + " service", s + "-service", trimS(s)}})
	}
	return out
}

// trimS is the singular a learner may type ("order" for orders).
func trimS(s string) string {
	if len(s) > 1 && s[len(s)-1] == 's' {
		return s[:len(s)-1]
	}
	return s
}
