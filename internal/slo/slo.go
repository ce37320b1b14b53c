// Package slo names ShopLab's service-level objectives and where their
// pieces live, for the code that shows them (dashboards, status, doctor):
// the Sloth spec slo/shoplab.yml is the source of truth, `make slo`
// generates the Prometheus rules from it with Sloth, and this package's
// tests check that the table below, the spec, the committed rules, the
// runbooks and the alerts' links agree.
package slo

import (
	"net/url"

	"github.com/shoplab/shoplab/internal/stack"
)

// Files, relative to the repository root.
const (
	// SpecFile is the Sloth spec (prometheus/v1) of every SLO.
	SpecFile = "slo/shoplab.yml"
	// RulesFile holds the recording and alerting rules Sloth generates
	// from SpecFile; prometheus.yml loads it.
	RulesFile = "prometheus/rules/shoplab-slos.yml"
	// RunbookDir holds one runbook per SLO, <name>.md, with a "Page" and a
	// "Ticket" section the alerts link to.
	RunbookDir = "docs/runbooks"
)

// SlothVersion is the Sloth release that generates RulesFile (pinned in
// slo/sloth.mod).
const SlothVersion = "v0.16.0"

// Service is the sloth_service label of every rule.
const Service = "shoplab"

// The SLO dashboard the alerts link to, with its region variable set.
const (
	DashboardUID   = "shoplab-slo"
	RegionVariable = "region"
	// DashboardURL is the dashboard on the stack's Grafana.
	DashboardURL = stack.GrafanaURL + "/d/" + DashboardUID
)

// Series Sloth records for every SLO, labelled sloth_slo (and region for
// a regional SLO).
const (
	// ErrorRatioPrefix + a window ("5m", "1h", "30d") is the share of bad
	// events over that window.
	ErrorRatioPrefix = "slo:sli_error:ratio_rate"
	// Objective is the objective as a ratio (0.999).
	Objective = "slo:objective:ratio"
	// CurrentBurnRate is the 5-minute error ratio over the budget: 1 spends
	// the budget exactly in 30 days, 14.4 in about two.
	CurrentBurnRate = "slo:current_burn_rate:ratio"
	// PeriodBurnRate is the same over the whole 30 days.
	PeriodBurnRate = "slo:period_burn_rate:ratio"
	// BudgetRemaining is the share of the 30-day error budget left (1 - the
	// period burn rate; negative once overspent).
	BudgetRemaining = "slo:period_error_budget_remaining:ratio"
)

// Severities: the severity label of Sloth's two alerts per SLO.
const (
	// Page: the budget burns fast enough to be gone within days.
	Page = "page"
	// Ticket: it burns fast enough to be gone before the 30 days are.
	Ticket = "ticket"
)

// SLO is one objective of SpecFile.
type SLO struct {
	// Name is the SLO's name in the spec: its sloth_slo label and its
	// runbook's file name.
	Name string
	// Alert is the name of its page and ticket alerts.
	Alert string
	// Objective is the target share of good events, in percent.
	Objective float64
	// ByRegion says whether its rules and alerts carry the region label.
	ByRegion bool
	// Description says what counts as a good event.
	Description string
}

// All returns the SLOs in the spec's order.
func All() []SLO {
	return []SLO{
		{Name: "checkout-availability", Alert: "CheckoutErrorBudgetBurn", Objective: 99.9, ByRegion: true,
			Description: "checkouts (POST /api/v1/orders) answered without a 5xx"},
		{Name: "checkout-latency", Alert: "CheckoutLatencyBudgetBurn", Objective: 99, ByRegion: true,
			Description: "checkouts answered within 500 ms"},
		{Name: "browse-availability", Alert: "BrowseErrorBudgetBurn", Objective: 99.5, ByRegion: true,
			Description: "product reads (GET /api/v1/products, /api/v1/products/{id}) answered without a 5xx"},
		{Name: "order-email-latency", Alert: "OrderEmailLatencyBudgetBurn", Objective: 99, ByRegion: false,
			Description: "order e-mails sent within 10 s of the order"},
	}
}

// Runbook is the SLO's runbook, relative to the repository root.
func (s SLO) Runbook() string { return RunbookDir + "/" + s.Name + ".md" }

// RunbookURL is the runbook section for an alert of severity on GitHub.
func (s SLO) RunbookURL(severity string) string {
	return "https://github.com/shoplab/shoplab/blob/main/" + s.Runbook() + "#" + severity
}

// Dashboard is the SLO dashboard with region selected; "" leaves the
// variable to the dashboard's default.
func Dashboard(region string) string {
	if region == "" {
		return DashboardURL
	}
	return DashboardURL + "?" + url.Values{"var-" + RegionVariable: {region}}.Encode()
}
