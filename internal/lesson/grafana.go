package lesson

import (
	"net/url"
	"strings"

	"github.com/shoplab/shoplab/internal/dashboards"
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
	u := dashboards.URL(g.Base, uid)
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
	return dashboards.ExploreURL(g.Base, q.Lang, q.Expr, "now-15m")
}
