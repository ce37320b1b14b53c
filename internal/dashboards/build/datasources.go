package build

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/loki"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/tempo"
)

// The data sources' UIDs, fixed in provisioning/datasources/datasources.yaml
// so that dashboards and correlations can name them.
const (
	PrometheusUID = "prometheus"
	LokiUID       = "loki"
	TempoUID      = "tempo"
)

// Prometheus refers to the provisioned Prometheus data source.
func Prometheus() common.DataSourceRef { return dataSource("prometheus", PrometheusUID) }

// Loki refers to the provisioned Loki data source.
func Loki() common.DataSourceRef { return dataSource("loki", LokiUID) }

// Tempo refers to the provisioned Tempo data source.
func Tempo() common.DataSourceRef { return dataSource("tempo", TempoUID) }

func dataSource(typ, uid string) common.DataSourceRef {
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

// RefID names a panel's i-th query (0: A, 1: B, ...), as Grafana does.
func RefID(i int) string { return string(rune('A' + i)) }

// PromRange is a PromQL range query: a graph's series, named by legend
// (a template such as "{{job}}").
func PromRange(refID, expr, legend string) *prometheus.DataqueryBuilder {
	return promQuery(refID, expr, legend).Range()
}

// PromInstant is a PromQL instant query: one value per series, at the end
// of the dashboard's time range.
func PromInstant(refID, expr, legend string) *prometheus.DataqueryBuilder {
	return promQuery(refID, expr, legend).Instant()
}

// PromTable is an instant query whose result a table shows: one row per
// series, one column per label.
func PromTable(refID, expr string) *prometheus.DataqueryBuilder {
	return PromInstant(refID, expr, "").Format(prometheus.PromQueryFormatTable)
}

// promQuery sets the data source on the query as well as on its panel:
// Grafana takes the target's when they differ, and the consistency tests
// require both.
func promQuery(refID, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(Prometheus()).
		RefId(refID).
		EditorMode(prometheus.QueryEditorModeCode).
		Expr(expr).
		LegendFormat(legend)
}

// LokiMetric is a LogQL metric query over the dashboard's time range.
func LokiMetric(refID, expr, legend string) *loki.DataqueryBuilder {
	return lokiQuery(refID, expr).LegendFormat(legend)
}

// LokiLogs is a LogQL log query: at most maxLogLines lines.
func LokiLogs(refID, expr string) *loki.DataqueryBuilder {
	return lokiQuery(refID, expr).MaxLines(maxLogLines)
}

// maxLogLines is the Loki data source's maxLines: a logs panel asks for
// no more than the data source would return.
const maxLogLines = 1000

func lokiQuery(refID, expr string) *loki.DataqueryBuilder {
	return loki.NewDataqueryBuilder().
		Datasource(Loki()).
		RefId(refID).
		EditorMode(loki.QueryEditorModeCode).
		QueryType("range").
		Expr(expr)
}

// TraceSearch is a TraceQL search listing the traces query matches, as a
// table of at most limit traces.
func TraceSearch(refID, query string, limit int64) *tempo.DataqueryBuilder {
	return tempo.NewDataqueryBuilder().
		Datasource(Tempo()).
		RefId(refID).
		QueryType("traceql").
		Limit(limit).
		TableType(tempo.SearchTableTypeTraces).
		Query(query)
}
