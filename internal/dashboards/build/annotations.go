package build

import (
	"fmt"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/loki"

	"github.com/shoplab/shoplab/internal/load"
)

// BuiltInAnnotations are Grafana's own annotations and alerts, as Grafana
// adds them to every dashboard: on, and not among the toggles.
func BuiltInAnnotations() *dashboard.AnnotationQueryBuilder {
	return dashboard.NewAnnotationQueryBuilder().
		Name("Annotations & Alerts").
		Datasource(dataSource("grafana", "-- Grafana --")).
		Type("dashboard").
		BuiltIn(1).
		Enable(true).
		Hide(true).
		IconColor("rgba(0, 211, 255, 1)")
}

// LoadRunAnnotations marks the start and end of every `shoplab load` run
// with the line it pushes to Loki (internal/load: a JSON line with event,
// scenario and rate), so that a spike on a graph can be matched to the
// scenario that caused it.
func LoadRunAnnotations() *dashboard.AnnotationQueryBuilder {
	expr := loadRunStream() + " | json"
	return dashboard.NewAnnotationQueryBuilder().
		Name("Load scenarios").
		Datasource(Loki()).
		Enable(true).
		Hide(false).
		IconColor("orange").
		// Loki's annotation support reads the query and the formats from
		// the annotation itself; the target is what Grafana's query
		// editor shows.
		Expr(expr).
		TagKeys("scenario").
		TitleFormat("{{event}}: {{scenario}}").
		TextFormat("{{scenario}} at up to {{rate}} journeys/s").
		Target(loki.NewDataqueryBuilder().RefId("Anno").Expr(expr).Instant(false))
}

// loadRunStream is the stream selector of the annotations shoplab load
// pushes, without the scenario label (every scenario).
func loadRunStream() string {
	labels := load.AnnotationLabels("")
	var matchers []string
	for name, value := range labels {
		if value != "" {
			matchers = append(matchers, fmt.Sprintf("%s=%q", name, value))
		}
	}
	sort.Strings(matchers)
	return "{" + strings.Join(matchers, ", ") + "}"
}
