package dashboards

import (
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/slo"
)

// TestSLODashboard checks the SLO dashboard against internal/slo and the
// committed rules: the UID and variable the alerts' links use, a budget
// and a burn-rate query per SLO on series the rules record, and the
// annotation of firing alerts.
func TestSLODashboard(t *testing.T) {
	var file string
	for _, info := range All() {
		if info.UID == SLOUID {
			file = info.File
		}
	}
	d := loadDashboards(t)[file]
	if d == nil {
		t.Fatalf("dashboard %s (%q) missing", SLOUID, file)
	}
	var hasRegion bool
	for _, v := range d.Templating.List {
		hasRegion = hasRegion || v.Name == slo.RegionVariable
	}
	if !hasRegion {
		t.Errorf("no $%s variable: the alerts' links set var-%s", slo.RegionVariable, slo.RegionVariable)
	}

	recorded := recordedMetrics(t)
	for _, metric := range []string{slo.BudgetRemaining, slo.CurrentBurnRate} {
		if !recorded[metric] {
			t.Errorf("the rule files do not record %s", metric)
		}
	}
	queries := d.Queries()
	for _, s := range slo.All() {
		for _, metric := range []string{slo.BudgetRemaining, slo.CurrentBurnRate} {
			sel := `sloth_slo="` + s.Name + `"`
			var found bool
			for _, q := range queries {
				if q.Datasource.Type == "prometheus" && strings.HasPrefix(q.Text, metric+"{") && strings.Contains(q.Text, sel) {
					found = true
					if s.ByRegion && !strings.Contains(q.Text, `region=~"$region"`) {
						t.Errorf("%s: %s is regional, the query ignores $region: %s", q.Where, s.Name, q.Text)
					}
				}
			}
			if !found {
				t.Errorf("no panel shows %s of %s", metric, s.Name)
			}
		}
	}

	var alerts *Annotation
	for i, a := range d.Annotations.List {
		if a.Datasource != nil && a.Datasource.Type == "prometheus" {
			alerts = &d.Annotations.List[i]
		}
	}
	if alerts == nil {
		t.Fatal("no Prometheus annotation of firing alerts")
	}
	expr, err := parsePromQL(alerts.Expr)
	if err != nil {
		t.Fatalf("annotation %q: %v", alerts.Expr, err)
	}
	uses := selectors(expr)
	if len(uses) != 1 || uses[0].metricName() != "ALERTS" || !strings.Contains(uses[0].String(), `alertstate="firing"`) {
		t.Errorf("annotation %q: want the firing ALERTS", alerts.Expr)
	}
}
