package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/shoplab/shoplab/internal/topology"
)

// byInstanceDashboards are the dashboards that tell replicas apart: an
// $instance variable and panels split by instance.
var byInstanceDashboards = []string{"overview.json", "checkout.json"}

// The overview and checkout dashboards have $instance: the scrape targets
// of the shop's service instances, several at once or All.
func TestInstanceVariable(t *testing.T) {
	ds := loadDashboards(t)
	for _, file := range byInstanceDashboards {
		t.Run(file, func(t *testing.T) {
			d := ds[file]
			if d == nil {
				t.Fatalf("no %s", file)
			}
			i := slices.IndexFunc(d.Templating.List, func(v Variable) bool { return v.Name == "instance" })
			if i < 0 {
				t.Fatal("no variable instance")
			}
			v := d.Templating.List[i]
			m := labelValuesQuery.FindStringSubmatch(v.QueryText())
			if v.Type != "query" || m == nil || m[2] != "instance" {
				t.Errorf("instance is a %s variable of %q, want label_values(..., instance)", v.Type, v.QueryText())
			}
			if !v.IncludeAll || v.AllValue != allValue {
				t.Errorf("instance: includeAll %v allValue %q, want true and %q", v.IncludeAll, v.AllValue, allValue)
			}
			if !variableIsMulti(t, file, "instance") {
				t.Error("instance is not multi-value")
			}
		})
	}
}

// variableIsMulti reads a variable's multi flag, which Variable leaves
// out.
func variableIsMulti(t *testing.T, file, name string) bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dashboardsDir, file))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Multi bool   `json:"multi"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	for _, v := range d.Templating.List {
		if v.Name == name {
			return v.Multi
		}
	}
	return false
}

// Every service has a panel on the overview that splits one of its rates
// or latencies by instance (a sum or topk by instance: one series per
// replica), and every by-instance panel uses $instance. Held against the
// series a running shop exports, so that "the service's" means what the
// query really selects.
func TestEveryServiceSplitByInstance(t *testing.T) {
	s := startShop(t)
	s.burst(t)
	series := s.scrapeSeries(t)
	covered := map[string][]string{}
	for _, q := range promQueries(t) {
		expr, err := parsePromQL(q.expr)
		if err != nil || q.label != "" {
			continue
		}
		for _, use := range selectors(expr) {
			if !slices.Contains(use.grouping, "instance") {
				continue
			}
			if !slices.ContainsFunc(use.matchers, func(m *labels.Matcher) bool { return m.Name == "instance" }) {
				t.Errorf("%s: splits by instance but ignores $instance", q.where)
			}
			for _, ls := range series {
				if matchesAll(use.matchers, ls) {
					job := ls.Get("job")
					if !slices.Contains(covered[job], q.where) {
						covered[job] = append(covered[job], q.where)
					}
				}
			}
		}
	}
	for _, svc := range topology.Services() {
		if !slices.ContainsFunc(covered[svc], func(where string) bool { return strings.HasPrefix(where, OverviewUID+":") }) {
			t.Errorf("the overview has no panel splitting a %s rate or latency by instance (by-instance panels: %v)", svc, covered)
		}
	}
}
