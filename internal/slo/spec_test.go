package slo

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// All() is the spec's list of SLOs, in order, with the same objectives,
// alert names and grouping.
func TestTableMatchesSpec(t *testing.T) {
	s := readSpec(t)
	if s.Version != "prometheus/v1" || s.Service != Service {
		t.Errorf("%s: version %q, service %q; want prometheus/v1, %s", SpecFile, s.Version, s.Service, Service)
	}
	all := All()
	if len(s.SLOs) != len(all) {
		t.Fatalf("%s has %d SLOs, All() %d", SpecFile, len(s.SLOs), len(all))
	}
	for i, want := range all {
		got := s.SLOs[i]
		if got.Name != want.Name || got.Objective != want.Objective || got.Alerting.Name != want.Alert {
			t.Errorf("SLO %d: spec says %s %v%% alert %s; All() says %s %v%% alert %s",
				i, got.Name, got.Objective, got.Alerting.Name, want.Name, want.Objective, want.Alert)
		}
		for what, q := range map[string]string{"error_query": got.SLI.Events.ErrorQuery, "total_query": got.SLI.Events.TotalQuery} {
			if byRegion := strings.Contains(q, "by (region)"); byRegion != want.ByRegion {
				t.Errorf("%s: %s groups by region: %v, All() says %v", want.Name, what, byRegion, want.ByRegion)
			}
		}
	}
}

// Every SLO has a page and a ticket alert; each carries the region when
// the SLO does, a summary, its runbook section and the dashboard link with
// the region variable.
func TestAlertsLinkToRunbookAndDashboard(t *testing.T) {
	for _, file := range []string{RulesFile, shortRulesFile} {
		t.Run(file, func(t *testing.T) {
			rules := readRules(t, file)
			for _, s := range All() {
				var severities []string
				for _, r := range rules {
					if r.Alert != s.Alert {
						continue
					}
					sev := r.Labels["severity"]
					severities = append(severities, sev)
					if r.Labels["sloth_severity"] != sev {
						t.Errorf("%s: severity %q but sloth_severity %q", s.Alert, sev, r.Labels["sloth_severity"])
					}
					want := map[string]string{
						"runbook_url":   s.RunbookURL(sev),
						"dashboard_url": DashboardURL,
					}
					if s.ByRegion {
						want["dashboard_url"] = DashboardURL + "?var-" + RegionVariable + "={{ $labels.region }}"
					}
					for k, v := range want {
						if r.Annotations[k] != v {
							t.Errorf("%s (%s): %s = %q, want %q", s.Alert, sev, k, r.Annotations[k], v)
						}
					}
					summary := r.Annotations["summary"]
					if summary == "" {
						t.Errorf("%s (%s): no summary", s.Alert, sev)
					}
					if mentions := strings.Contains(summary, "{{ $labels.region }}"); mentions != s.ByRegion {
						t.Errorf("%s (%s): summary names the region: %v, want %v", s.Alert, sev, mentions, s.ByRegion)
					}
				}
				slices.Sort(severities)
				if !slices.Equal(severities, []string{Page, Ticket}) {
					t.Errorf("%s: alerts of severities %v, want one page and one ticket", s.Alert, severities)
				}
			}
		})
	}
}

// The recording rules keep the region: every SLI recording rule of a
// regional SLO groups by it, so its alerts do too.
func TestRegionalRulesKeepTheRegion(t *testing.T) {
	regional := map[string]bool{}
	for _, s := range All() {
		regional[s.Name] = s.ByRegion
	}
	for _, r := range readRules(t, RulesFile) {
		if !strings.HasPrefix(r.Record, ErrorRatioPrefix) || r.Labels["sloth_window"] == "30d" {
			continue
		}
		if got := strings.Contains(r.Expr, "by (region)"); got != regional[r.Labels["sloth_slo"]] {
			t.Errorf("%s %s: groups by region %v, want %v", r.Labels["sloth_slo"], r.Record, got, regional[r.Labels["sloth_slo"]])
		}
	}
}

// Dashboard(region) is the link the alerts' template renders.
func TestDashboardLink(t *testing.T) {
	if got, want := Dashboard("ap-south"), "http://localhost:4000/d/shoplab-slo?var-region=ap-south"; got != want {
		t.Errorf("Dashboard(ap-south) = %s, want %s", got, want)
	}
	if got := Dashboard(""); got != DashboardURL {
		t.Errorf("Dashboard(\"\") = %s, want %s", got, DashboardURL)
	}
}

var headingRE = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)

// anchor is GitHub's anchor for a Markdown heading.
func anchor(heading string) string {
	a := strings.ToLower(heading)
	a = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(a, "")
	return strings.ReplaceAll(a, " ", "-")
}

// Each runbook has the sections the alerts link to, and the README lists
// every SLO with its objective.
func TestRunbooks(t *testing.T) {
	readme := string(readRepoFile(t, RunbookDir+"/README.md"))
	for _, s := range All() {
		b, err := os.ReadFile(repoPath(t, s.Runbook()))
		if err != nil {
			t.Errorf("%s: no runbook: %v", s.Name, err)
			continue
		}
		var anchors []string
		for _, m := range headingRE.FindAllStringSubmatch(string(b), -1) {
			anchors = append(anchors, anchor(m[1]))
		}
		for _, sev := range []string{Page, Ticket} {
			if !slices.Contains(anchors, sev) {
				t.Errorf("%s has no section #%s (headings: %v)", s.Runbook(), sev, anchors)
			}
		}
		for _, want := range []string{s.Alert, DashboardURL} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s does not mention %s", s.Runbook(), want)
			}
		}
		if link := fmt.Sprintf("(%s.md)", s.Name); !strings.Contains(readme, link) {
			t.Errorf("%s/README.md does not link %s", RunbookDir, link)
		}
		if obj := fmt.Sprintf("%v%%", s.Objective); !strings.Contains(readme, obj) {
			t.Errorf("%s/README.md does not state %s's objective %s", RunbookDir, s.Name, obj)
		}
	}
}
