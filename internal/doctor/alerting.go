package doctor

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/slo"
	"github.com/shoplab/shoplab/internal/topology"
)

const (
	teachSLORules    = "Sloth generates the SLO recording and alerting rules from slo/shoplab.yml (make slo); prometheus.yml loads prometheus/rules/*.yml, so without them no SLO is computed and no alert can fire."
	teachAlertmanger = "Prometheus sends firing alerts to Alertmanager, which groups them, inhibits a ticket while its page fires and e-mails them to Mailpit (alertmanager.yml)."
)

// alertingChecks are the compose-mode checks of the alert path.
func (d *Doctor) alertingChecks() []Check {
	return []Check{
		{ID: "slo-rules", Hop: HopPrecondition, Name: "alerts: Prometheus has loaded the SLO rules (" + slo.RulesFile + ")", Teaches: teachSLORules, Run: d.checkSLORules},
		{ID: "alertmanager", Hop: HopPrecondition, Name: "alerts: Alertmanager is ready", Teaches: teachAlertmanger, Run: d.checkAlertmanager},
	}
}

// promRuleGroups is the data of Prometheus's GET /api/v1/rules.
type promRuleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		File  string `json:"file"`
		Rules []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"rules"`
	} `json:"groups"`
}

// checkSLORules passes when Prometheus has, from the SLO rule file, the
// alerting rule of every SLO.
func (d *Doctor) checkSLORules(ctx context.Context, _ *Probe) Result {
	var env struct {
		Status string         `json:"status"`
		Data   promRuleGroups `json:"data"`
	}
	if err := d.getJSON(ctx, d.cfg.PrometheusURL, "/api/v1/rules", nil, &env); err != nil {
		return d.promUnreachable(err)
	}
	file := path.Base(slo.RulesFile)
	alerts := map[string]bool{}
	groups := 0
	for _, g := range env.Data.Groups {
		if path.Base(g.File) != file {
			continue
		}
		groups++
		for _, r := range g.Rules {
			if r.Type == "alerting" {
				alerts[r.Name] = true
			}
		}
	}
	var missing []string
	for _, s := range slo.All() {
		if !alerts[s.Alert] {
			missing = append(missing, s.Alert)
		}
	}
	expected := fmt.Sprintf("rule groups from %s with the alerts of %d SLOs", file, len(slo.All()))
	if len(missing) > 0 {
		return Result{
			Status:   Fail,
			Expected: expected,
			Found:    fmt.Sprintf("%d groups from %s; missing alerts: %s", groups, file, strings.Join(missing, ", ")),
			Cause:    "prometheus.yml's rule_files do not reach " + slo.RulesFile + " (mount or path), or the file is stale",
			Fix:      "make slo; docker compose -p " + compose.Project + " restart prometheus; check " + d.cfg.PrometheusURL + "/rules",
		}
	}
	return Result{Status: Pass, Expected: expected, Found: fmt.Sprintf("%d groups from %s, %d SLO alerts", groups, file, len(slo.All()))}
}

// checkAlertmanager passes when Alertmanager's GET /-/ready answers 200.
func (d *Doctor) checkAlertmanager(ctx context.Context, _ *Probe) Result {
	u := strings.TrimSuffix(d.cfg.AlertmanagerURL, "/") + "/-/ready"
	expected := "200 from " + u
	if err := topology.CheckHTTP(ctx, d.http, u); err != nil {
		return Result{
			Status: Fail, Expected: expected, Found: err.Error(),
			Cause: "Alertmanager is down, still starting, or not at this URL",
			Fix:   "docker compose -p " + compose.Project + " logs alertmanager; SHOPLAB_ALERTMANAGER_URL",
		}
	}
	return Result{Status: Pass, Expected: expected, Found: "ready"}
}
