package stack

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/shoplab/shoplab/internal/testkit"
)

// The alerting path: Prometheus loads the SLO rules (prometheus/rules/,
// generated from slo/shoplab.yml) and sends what fires to Alertmanager,
// which e-mails it to Mailpit.
const (
	rulesDir            = "prometheus/rules"
	rulesMount          = "/etc/prometheus/prometheus/rules"
	alertmanagerFile    = "alertmanager.yml"
	alertmanagerMount   = "/etc/alertmanager/alertmanager.yml"
	alertmanagerService = "alertmanager"
)

// alertingFiles are the texts checkAlerting reads.
type alertingFiles struct {
	prometheus   string // prometheus.yml
	alertmanager string // alertmanager.yml
}

func readAlertingFiles(t *testing.T) alertingFiles {
	return alertingFiles{prometheus: readRepoFile(t, "prometheus.yml"), alertmanager: readRepoFile(t, alertmanagerFile)}
}

// amConfig is the part of alertmanager.yml the tests read.
type amConfig struct {
	Global struct {
		Smarthost    string `yaml:"smtp_smarthost"`
		RequireTLS   *bool  `yaml:"smtp_require_tls"`
		AuthUsername string `yaml:"smtp_auth_username"`
		AuthPassword string `yaml:"smtp_auth_password"`
	} `yaml:"global"`
	Route struct {
		GroupBy []string `yaml:"group_by"`
	} `yaml:"route"`
	InhibitRules []struct {
		SourceMatchers []string `yaml:"source_matchers"`
		TargetMatchers []string `yaml:"target_matchers"`
		Equal          []string `yaml:"equal"`
	} `yaml:"inhibit_rules"`
	Receivers []struct {
		Name         string `yaml:"name"`
		EmailConfigs []struct {
			To   string `yaml:"to"`
			Text string `yaml:"text"`
		} `yaml:"email_configs"`
	} `yaml:"receivers"`
}

// checkAlerting: Prometheus loads the rules the container has mounted and
// sends alerts to the Alertmanager service, which reads the mounted
// alertmanager.yml, keeps no cluster port, and mails Mailpit's SMTP port on
// the compose network without credentials, grouping by alert and region,
// a page inhibiting the ticket of its SLO and region, every e-mail showing
// the dashboard and runbook links.
func checkAlerting(p *types.Project, root string, f alertingFiles) []string {
	var errs []string
	var prom struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
	}
	if err := yaml.Unmarshal([]byte(f.prometheus), &prom); err != nil {
		return []string{"prometheus.yml: " + err.Error()}
	}
	if want := []string{rulesDir + "/*.yml"}; !slices.Equal(prom.RuleFiles, want) {
		errs = append(errs, fmt.Sprintf("prometheus.yml: rule_files %v, want %v (relative to the file, here and in the container)", prom.RuleFiles, want))
	}
	if matches, _ := filepath.Glob(filepath.Join(root, rulesDir, "*.yml")); len(matches) == 0 {
		errs = append(errs, "no rule file in "+rulesDir+"/ (make slo generates it)")
	}
	var targets []string
	for _, am := range prom.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			targets = append(targets, sc.Targets...)
		}
	}
	am, ok := p.Services[alertmanagerService]
	if !ok {
		return append(errs, "no alertmanager service")
	}
	if want := []string{net.JoinHostPort(alertmanagerService, "9093")}; !slices.Equal(targets, want) {
		errs = append(errs, fmt.Sprintf("prometheus.yml: alerting targets %v, want %v", targets, want))
	}
	if !hasBind(p.Services["prometheus"], filepath.Join(root, rulesDir), rulesMount) {
		errs = append(errs, fmt.Sprintf("prometheus: ./%s is not mounted read-only at %s", rulesDir, rulesMount))
	}
	if !hasBind(am, filepath.Join(root, alertmanagerFile), alertmanagerMount) {
		errs = append(errs, fmt.Sprintf("alertmanager: ./%s is not mounted read-only at %s", alertmanagerFile, alertmanagerMount))
	}
	for _, flag := range []string{"--config.file=" + alertmanagerMount, "--cluster.listen-address="} {
		if !slices.Contains(am.Command, flag) {
			errs = append(errs, "alertmanager: command lacks "+flag)
		}
	}

	var c amConfig
	if err := yaml.Unmarshal([]byte(f.alertmanager), &c); err != nil {
		return append(errs, "alertmanager.yml: "+err.Error())
	}
	if want := net.JoinHostPort("mailpit", "1025"); c.Global.Smarthost != want || !publishes(p.Services["mailpit"], 1025) {
		errs = append(errs, fmt.Sprintf("alertmanager.yml: smtp_smarthost %q, want %s (Mailpit's SMTP port on the compose network)", c.Global.Smarthost, want))
	}
	if c.Global.RequireTLS == nil || *c.Global.RequireTLS {
		errs = append(errs, "alertmanager.yml: smtp_require_tls must be false: Mailpit offers no STARTTLS")
	}
	if c.Global.AuthUsername != "" || c.Global.AuthPassword != "" {
		errs = append(errs, "alertmanager.yml: SMTP credentials in a committed file")
	}
	for _, l := range []string{"alertname", "region"} {
		if !slices.Contains(c.Route.GroupBy, l) {
			errs = append(errs, fmt.Sprintf("alertmanager.yml: route.group_by %v lacks %s", c.Route.GroupBy, l))
		}
	}
	inhibits := false
	for _, r := range c.InhibitRules {
		if slices.Equal(r.SourceMatchers, []string{`severity="page"`}) && slices.Equal(r.TargetMatchers, []string{`severity="ticket"`}) &&
			slices.Contains(r.Equal, "sloth_slo") && slices.Contains(r.Equal, "region") {
			inhibits = true
		}
	}
	if !inhibits {
		errs = append(errs, `alertmanager.yml: no inhibit rule from severity="page" to severity="ticket" with equal [sloth_slo, region]`)
	}
	for _, r := range c.Receivers {
		if len(r.EmailConfigs) == 0 {
			errs = append(errs, fmt.Sprintf("alertmanager.yml: receiver %s sends no e-mail", r.Name))
		}
		for _, e := range r.EmailConfigs {
			for _, a := range []string{".Annotations.dashboard_url", ".Annotations.runbook_url", ".Annotations.summary"} {
				if !strings.Contains(e.Text, a) {
					errs = append(errs, fmt.Sprintf("alertmanager.yml: receiver %s's e-mail text does not show %s", r.Name, a))
				}
			}
		}
	}
	return errs
}

// hasBind reports whether s mounts source read-only at target.
func hasBind(s types.ServiceConfig, source, target string) bool {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && v.Source == source && v.Target == target && v.ReadOnly {
			return true
		}
	}
	return false
}

// publishes reports whether s's container listens on port (published or
// not, it is what other containers reach).
func publishes(s types.ServiceConfig, port uint32) bool {
	for _, p := range s.Ports {
		if p.Target == port {
			return true
		}
	}
	return false
}

func TestAlerting(t *testing.T) {
	expectErrors(t, "alerting", checkAlerting(loadStack(t), testkit.RepoRoot(t), readAlertingFiles(t)), false)
}

func TestAlertingRuleCatchesMistakes(t *testing.T) {
	root := testkit.RepoRoot(t)
	cases := []struct {
		name    string
		file    string // prometheus.yml, alertmanager.yml or docker-compose.yml
		replace [2]string
	}{
		{"no rule files", "prometheus.yml", [2]string{"  - prometheus/rules/*.yml\n", ""}},
		{"rules at the container path", "prometheus.yml", [2]string{"  - prometheus/rules/*.yml", "  - /etc/prometheus/rules/*.yml"}},
		{"alerts to localhost", "prometheus.yml", [2]string{`targets: ["alertmanager:9093"]`, `targets: ["localhost:9093"]`}},
		{"rules not mounted", "docker-compose.yml", [2]string{"./prometheus/rules:/etc/prometheus/prometheus/rules:ro", "./prometheus/rules:/etc/prometheus/rules:ro"}},
		{"config not mounted", "docker-compose.yml", [2]string{"./alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro", "./alertmanager.yml:/etc/alertmanager/am.yml:ro"}},
		{"cluster port open", "docker-compose.yml", [2]string{"      - --cluster.listen-address=\n", ""}},
		{"mail to localhost", alertmanagerFile, [2]string{"smtp_smarthost: mailpit:1025", "smtp_smarthost: localhost:1025"}},
		{"TLS required", alertmanagerFile, [2]string{"smtp_require_tls: false", "smtp_require_tls: true"}},
		{"credentials", alertmanagerFile, [2]string{"smtp_require_tls: false", "smtp_require_tls: false\n  smtp_auth_username: shop\n  smtp_auth_password: 83175273732073"}},
		{"grouped by alert only", alertmanagerFile, [2]string{"group_by: [alertname, region]", "group_by: [alertname]"}},
		{"no inhibition", alertmanagerFile, [2]string{`target_matchers: [severity="ticket"]`, `target_matchers: [severity="none"]`}},
		{"inhibition across regions", alertmanagerFile, [2]string{"equal: [sloth_slo, region]", "equal: [sloth_slo]"}},
		{"no dashboard link", alertmanagerFile, [2]string{"Dashboard: {{ .Annotations.dashboard_url }}", "Dashboard: -"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := readAlertingFiles(t)
			p := loadStack(t)
			mutate := func(text string) string {
				if !strings.Contains(text, c.replace[0]) {
					t.Fatalf("%q is not in %s", c.replace[0], c.file)
				}
				return strings.Replace(text, c.replace[0], c.replace[1], 1)
			}
			switch c.file {
			case "prometheus.yml":
				f.prometheus = mutate(f.prometheus)
			case alertmanagerFile:
				f.alertmanager = mutate(f.alertmanager)
			default:
				p = loadMutated(t, loadOptions{profiles: []string{"*"}}, c.replace[0], c.replace[1])
			}
			expectErrors(t, c.name, checkAlerting(p, root, f), true)
		})
	}
}

func TestAmtoolAcceptsAlertmanagerConfig(t *testing.T) {
	amtool := testkit.RequireTool(t, "amtool", "apt-get install prometheus-alertmanager")
	out, err := exec.Command(amtool, "check-config", repoFile(t, alertmanagerFile)).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool check-config %s: %v\n%s", alertmanagerFile, err, out)
	}
}

// Alertmanager's own router sends pages to the on-call mailbox and
// tickets (and anything unlabelled) to the ticket one.
func TestAlertmanagerRoutes(t *testing.T) {
	amtool := testkit.RequireTool(t, "amtool", "apt-get install prometheus-alertmanager")
	for _, c := range []struct {
		labels []string
		want   string
	}{
		{[]string{"alertname=CheckoutErrorBudgetBurn", "severity=page", "region=ap-south"}, "page"},
		{[]string{"alertname=CheckoutErrorBudgetBurn", "severity=ticket", "region=ap-south"}, "ticket"},
		{[]string{"alertname=OrderEmailLatencyBudgetBurn", "severity=page"}, "page"},
		{[]string{"alertname=Unlabelled"}, "ticket"},
	} {
		args := append([]string{"config", "routes", "test", "--config.file=" + repoFile(t, alertmanagerFile)}, c.labels...)
		out, err := exec.Command(amtool, args...).Output()
		if err != nil {
			t.Fatalf("amtool %s: %v", strings.Join(args, " "), err)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("%v routes to %q, want %q", c.labels, got, c.want)
		}
	}
}
