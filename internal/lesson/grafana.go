package lesson

import (
	"encoding/json"
	"net/url"
	"strings"
)

// Grafana builds links into the compose stack's Grafana at Base (and
// its Prometheus, for the pages Grafana does not have).
type Grafana struct {
	Base       string
	Prometheus string
}

// TSDBStatus is Prometheus's page of series counts.
func (g Grafana) TSDBStatus() string { return strings.TrimRight(g.Prometheus, "/") + "/tsdb-status" }

// Dashboard is the dashboard uid with its variables set.
func (g Grafana) Dashboard(uid string, vars map[string]string) string {
	u := strings.TrimRight(g.Base, "/") + "/d/" + uid
	if len(vars) == 0 {
		return u
	}
	q := url.Values{}
	for k, v := range vars {
		q.Set("var-"+k, v)
	}
	return u + "?" + q.Encode()
}

// Explore is Grafana Explore running q on its data source.
func (g Grafana) Explore(q Query) string {
	ds := map[string]string{"promql": "prometheus", "logql": "loki", "traceql": "tempo"}[q.Lang]
	query := map[string]any{
		"refId":      "A",
		"datasource": map[string]string{"type": ds, "uid": ds},
	}
	if q.Lang == "traceql" {
		query["queryType"], query["query"] = "traceql", q.Expr
	} else {
		query["expr"] = q.Expr
	}
	pane := map[string]any{"a": map[string]any{
		"datasource": ds,
		"queries":    []any{query},
		"range":      map[string]string{"from": "now-15m", "to": "now"},
	}}
	b, _ := json.Marshal(pane) // maps of strings always marshal
	return strings.TrimRight(g.Base, "/") + "/explore?schemaVersion=1&orgId=1&panes=" + url.QueryEscape(string(b))
}

// Trace is Grafana Explore showing one trace.
func (g Grafana) Trace(traceID string) string {
	return g.Explore(Query{Lang: "traceql", Expr: traceID})
}
