package dashboards

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestExploreURL checks that an Explore link runs its query on a
// provisioned data source of its language, over the range asked for.
func TestExploreURL(t *testing.T) {
	c := provisionedDatasources(t)
	tests := []struct {
		lang, expr, dsType, field string
	}{
		{lang: "promql", expr: `sum(rate(shoplab_http_requests_total[5m]))`, dsType: "prometheus", field: "expr"},
		{lang: "logql", expr: `{job="shoplab"} |= "error"`, dsType: "loki", field: "expr"},
		{lang: "traceql", expr: "0af7651916cd43dd8448eb211c80319c", dsType: "tempo", field: "query"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			u, err := url.Parse(ExploreURL("http://grafana.test/", tt.lang, tt.expr, "now-1h"))
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Scheme + "://" + u.Host + u.Path; got != "http://grafana.test/explore" {
				t.Errorf("link to %s, want http://grafana.test/explore", got)
			}
			var panes map[string]struct {
				Datasource string                       `json:"datasource"`
				Queries    []map[string]json.RawMessage `json:"queries"`
				Range      struct{ From, To string }    `json:"range"`
			}
			if err := json.Unmarshal([]byte(u.Query().Get("panes")), &panes); err != nil {
				t.Fatalf("panes: %v", err)
			}
			p := panes["a"]
			if ds := c.byUID(p.Datasource); ds == nil || ds.Type != tt.dsType {
				t.Errorf("pane data source %q, want a provisioned %s", p.Datasource, tt.dsType)
			}
			if len(p.Queries) != 1 {
				t.Fatalf("%d queries, want 1", len(p.Queries))
			}
			var expr string
			if err := json.Unmarshal(p.Queries[0][tt.field], &expr); err != nil || expr != tt.expr {
				t.Errorf("query %s = %q (%v), want %q", tt.field, expr, err, tt.expr)
			}
			var ref DataSourceRef
			if err := json.Unmarshal(p.Queries[0]["datasource"], &ref); err != nil || ref.UID != p.Datasource || ref.Type != tt.dsType {
				t.Errorf("query data source %+v (%v), want uid %q type %s", ref, err, p.Datasource, tt.dsType)
			}
			if p.Range.From != "now-1h" || p.Range.To != "now" {
				t.Errorf("range %+v, want now-1h to now", p.Range)
			}
			if !strings.Contains(u.RawQuery, "orgId=1") {
				t.Errorf("query %q has no orgId", u.RawQuery)
			}
		})
	}
}
