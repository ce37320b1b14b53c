package dashboards

import (
	"regexp"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/load"
)

// TestLoadScenarioAnnotations checks that the dashboards where traffic
// shows mark load scenarios with the very stream `shoplab load` pushes to
// Loki, so a spike can be matched to the scenario that caused it.
func TestLoadScenarioAnnotations(t *testing.T) {
	pushed := load.AnnotationLabels("checkout")
	selector := regexp.MustCompile(`(\w+)\s*=\s*"([^"]*)"`)
	files := map[string]string{}
	for _, info := range All() {
		files[info.UID] = info.File
	}
	for _, uid := range []string{OverviewUID, CheckoutUID} {
		d := loadDashboards(t)[files[uid]]
		if d == nil {
			t.Fatalf("dashboard %s missing", uid)
		}
		var found bool
		for _, a := range d.Annotations.List {
			if a.Name != "Load scenarios" {
				continue
			}
			found = true
			if a.Datasource == nil || a.Datasource.UID != "loki" {
				t.Errorf("%s: load annotations do not query the loki data source", uid)
			}
			sel, _, _ := strings.Cut(a.Expr, "}")
			matches := selector.FindAllStringSubmatch(sel, -1)
			if len(matches) == 0 {
				t.Errorf("%s: annotation query %q has no label matcher", uid, a.Expr)
			}
			for _, m := range matches {
				v, ok := pushed[m[1]]
				if !ok {
					t.Errorf("%s: annotation selects on %q, which shoplab load does not push (it pushes %v)", uid, m[1], pushed)
				} else if m[1] == "job" && m[2] != v {
					t.Errorf("%s: annotation selects job=%q, shoplab load pushes job=%q", uid, m[2], v)
				}
			}
			if _, ok := pushed[a.TagKeys]; !ok {
				t.Errorf("%s: annotation tags come from %q, not a label shoplab load pushes", uid, a.TagKeys)
			}
		}
		if !found {
			t.Errorf("%s has no \"Load scenarios\" annotation", uid)
		}
	}
}
