package stack

import (
	"fmt"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/testkit"
)

// ---- prometheus.yml --------------------------------------------------------

func TestPromtoolAcceptsPrometheusConfig(t *testing.T) {
	promtool := testkit.RequireTool(t, "promtool", "apt-get install prometheus")
	cmd := exec.Command(promtool, "check", "config", repoFile(t, "prometheus.yml"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config prometheus.yml: %v\n%s", err, out)
	}
}

// promConfig is the part of prometheus.yml the tests read.
type promConfig struct {
	Global struct {
		ScrapeInterval string `yaml:"scrape_interval"`
		ScrapeTimeout  string `yaml:"scrape_timeout"`
	} `yaml:"global"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// promJobs maps each job to its targets and metrics path ("" = default).
func promJobs(t *testing.T, text string) (map[string][]string, map[string]string, promConfig) {
	t.Helper()
	var c promConfig
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	targets := map[string][]string{}
	paths := map[string]string{}
	for _, sc := range c.ScrapeConfigs {
		if _, dup := targets[sc.JobName]; dup {
			t.Errorf("prometheus.yml: job %s defined twice", sc.JobName)
		}
		targets[sc.JobName] = nil
		paths[sc.JobName] = sc.MetricsPath
		for _, s := range sc.StaticConfigs {
			targets[sc.JobName] = append(targets[sc.JobName], s.Targets...)
		}
	}
	return targets, paths, c
}

// serviceJobs is one scrape job per ShopLab service, at its default HTTP
// port, as internal/config defines them.
var serviceJobs = map[string]int{
	"gateway":      config.GatewayHTTPPort,
	"auth":         config.AuthHTTPPort,
	"catalog":      config.CatalogHTTPPort,
	"orders":       config.OrdersHTTPPort,
	"notification": config.NotificationHTTPPort,
}

// checkPromJobs: one job per service targeting host.docker.internal:<port>
// at /metrics, and the stack's self-scrapes.
func checkPromJobs(targets map[string][]string, paths map[string]string) []string {
	var errs []string
	names := make([]string, 0, len(serviceJobs))
	for n := range serviceJobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, job := range names {
		want := []string{fmt.Sprintf("host.docker.internal:%d", serviceJobs[job])}
		if got, ok := targets[job]; !ok {
			errs = append(errs, "no scrape job "+job)
		} else if !slices.Equal(got, want) {
			errs = append(errs, fmt.Sprintf("job %s targets %v, want %v", job, got, want))
		}
		if p := paths[job]; p != "/metrics" && p != "" {
			errs = append(errs, fmt.Sprintf("job %s scrapes %s, want /metrics", job, p))
		}
	}
	for job, target := range map[string]string{
		"prometheus":   "localhost:9090",
		"tempo":        "tempo:3200",
		"loki":         "loki:3100",
		"alloy":        "alloy:12345",
		"alertmanager": "alertmanager:9093",
	} {
		if got := targets[job]; !slices.Equal(got, []string{target}) {
			errs = append(errs, fmt.Sprintf("self-scrape job %s targets %v, want [%s]", job, got, target))
		}
	}
	sort.Strings(errs)
	return errs
}

func TestPrometheusScrapesEveryService(t *testing.T) {
	targets, paths, c := promJobs(t, readRepoFile(t, "prometheus.yml"))
	expectErrors(t, "prometheus jobs", checkPromJobs(targets, paths), false)
	if c.Global.ScrapeInterval != "5s" {
		t.Errorf("global scrape_interval %q, want 5s", c.Global.ScrapeInterval)
	}
	// The Go services' own defaults must still be the ports the contract
	// publishes to Prometheus (a renumbering would silently break scraping).
	for job, port := range map[string]int{"gateway": 8100, "auth": 8101, "catalog": 8102, "orders": 8103, "notification": 8104} {
		if serviceJobs[job] != port {
			t.Errorf("internal/config: %s HTTP port %d, the stack contract says %d", job, serviceJobs[job], port)
		}
	}
}

func TestPrometheusJobRuleCatchesMistakes(t *testing.T) {
	text := readRepoFile(t, "prometheus.yml")
	for name, repl := range map[string][2]string{
		"wrong port":         {`"host.docker.internal:8103"`, `"host.docker.internal:9103"`},
		"localhost":          {`"host.docker.internal:8100"`, `"localhost:8100"`},
		"missing job":        {"job_name: notification", "job_name: notifications"},
		"wrong metrics path": {"- job_name: auth\n    metrics_path: /metrics", "- job_name: auth\n    metrics_path: /stats"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(text, repl[0]) {
				t.Fatalf("%q not in prometheus.yml", repl[0])
			}
			targets, paths, _ := promJobs(t, strings.Replace(text, repl[0], repl[1], 1))
			expectErrors(t, name, checkPromJobs(targets, paths), true)
		})
	}
}

// ---- tempo-config.yaml -----------------------------------------------------

// removedIn3 are blocks Tempo 3.0 removed; a config that has them does not
// start.
var removedIn3 = []string{"ingester", "compactor", "ingester_client", "metrics_generator_client"}

func checkTempo(cfg map[string]any) []string {
	var errs []string
	want := func(what string, want any, p ...string) {
		got, ok := dig(cfg, p...)
		if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
			errs = append(errs, fmt.Sprintf("%s: %s = %v, want %v", what, strings.Join(p, "."), got, want))
		}
	}
	for _, block := range removedIn3 {
		if _, ok := cfg[block]; ok {
			errs = append(errs, fmt.Sprintf("top-level %s: block removed in Tempo 3.0", block))
		}
	}
	want("OTLP gRPC must listen on all interfaces", "0.0.0.0:4317", "distributor", "receivers", "otlp", "protocols", "grpc", "endpoint")
	want("OTLP HTTP must listen on all interfaces", "0.0.0.0:4318", "distributor", "receivers", "otlp", "protocols", "http", "endpoint")
	want("span metrics go to Prometheus", "http://prometheus:9090/api/v1/write", "metrics_generator", "storage", "remote_write", "0", "url")
	want("exemplars link metrics to traces", true, "metrics_generator", "storage", "remote_write", "0", "send_exemplars")
	want("no usage reports", false, "usage_report", "reporting_enabled")
	want("Grafana streams search over HTTP", true, "stream_over_http_enabled")
	want("HTTP API on 3200", 3200, "server", "http_listen_port")
	want("local storage", "local", "storage", "trace", "backend")
	want("exemplar label matches the services'", "trace_id", "overrides", "defaults", "metrics_generator", "trace_id_label_name")
	procs, _ := dig(cfg, "overrides", "defaults", "metrics_generator", "processors")
	list, _ := procs.([]any)
	for _, p := range []string{"service-graphs", "span-metrics"} {
		if !slices.Contains(list, any(p)) {
			errs = append(errs, fmt.Sprintf("overrides.defaults.metrics_generator.processors %v lacks %s", procs, p))
		}
	}
	if _, ok := cfg["metrics_generator_processors"]; ok {
		errs = append(errs, "legacy flat overrides are refused by Tempo 3.0")
	}
	return errs
}

func TestTempoConfig(t *testing.T) {
	expectErrors(t, "tempo-config.yaml", checkTempo(readYAML(t, "tempo-config.yaml")), false)
}

func TestTempoRuleCatchesMistakes(t *testing.T) {
	text := readRepoFile(t, "tempo-config.yaml")
	for name, repl := range map[string][2]string{
		"receiver on localhost": {"endpoint: 0.0.0.0:4318", "endpoint: localhost:4318"},
		"2.x ingester block":    {"storage:\n  trace:", "ingester:\n  max_block_duration: 5m\nstorage:\n  trace:"},
		"2.x compactor block":   {"storage:\n  trace:", "compactor:\n  compaction:\n    block_retention: 1h\nstorage:\n  trace:"},
		"usage reports on":      {"reporting_enabled: false", "reporting_enabled: true"},
		"no exemplars":          {"send_exemplars: true", "send_exemplars: false"},
		"remote write to Mimir": {"http://prometheus:9090/api/v1/write", "http://mimir:9009/api/v1/push"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(text, repl[0]) {
				t.Fatalf("%q not in tempo-config.yaml", repl[0])
			}
			var cfg map[string]any
			if err := yaml.Unmarshal([]byte(strings.Replace(text, repl[0], repl[1], 1)), &cfg); err != nil {
				t.Fatal(err)
			}
			expectErrors(t, name, checkTempo(cfg), true)
		})
	}
}

// ---- loki-config.yaml ------------------------------------------------------

func checkLoki(cfg map[string]any) []string {
	var errs []string
	want := func(what string, want any, p ...string) {
		got, ok := dig(cfg, p...)
		if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
			errs = append(errs, fmt.Sprintf("%s: %s = %v, want %v", what, strings.Join(p, "."), got, want))
		}
	}
	want("single tenant", false, "auth_enabled")
	want("HTTP on 3100", 3100, "server", "http_listen_port")
	want("retention is off unless enabled", true, "compactor", "retention_enabled")
	want("retention needs a delete request store", "filesystem", "compactor", "delete_request_store")
	want("structured metadata (trace_id)", true, "limits_config", "allow_structured_metadata")
	want("no usage reports", false, "analytics", "reporting_enabled")
	if v, ok := dig(cfg, "limits_config", "retention_period"); !ok || v == "" {
		errs = append(errs, "limits_config.retention_period unset: logs would live forever")
	}
	configs, _ := dig(cfg, "schema_config", "configs")
	list, _ := configs.([]any)
	if len(list) == 0 {
		errs = append(errs, "no schema_config.configs")
	} else {
		last := list[len(list)-1]
		for _, kv := range [][2]string{{"store", "tsdb"}, {"schema", "v13"}, {"object_store", "filesystem"}} {
			if got, _ := dig(last, kv[0]); fmt.Sprint(got) != kv[1] {
				errs = append(errs, fmt.Sprintf("current schema %s = %v, want %s (structured metadata needs tsdb + v13)", kv[0], got, kv[1]))
			}
		}
		if got, _ := dig(last, "index", "period"); fmt.Sprint(got) != "24h" {
			errs = append(errs, fmt.Sprintf("index period %v, want 24h (retention needs it)", got))
		}
	}
	if _, ok := dig(cfg, "compactor", "shared_store"); ok {
		errs = append(errs, "compactor.shared_store was removed in Loki 3.0")
	}
	return errs
}

func TestLokiConfig(t *testing.T) {
	expectErrors(t, "loki-config.yaml", checkLoki(readYAML(t, "loki-config.yaml")), false)
}

func TestLokiRuleCatchesMistakes(t *testing.T) {
	text := readRepoFile(t, "loki-config.yaml")
	for name, repl := range map[string][2]string{
		"retention off":           {"retention_enabled: true", "retention_enabled: false"},
		"no delete request store": {"  delete_request_store: filesystem\n", ""},
		"old schema":              {"schema: v13", "schema: v12"},
		"boltdb":                  {"store: tsdb", "store: boltdb-shipper"},
		"analytics on":            {"reporting_enabled: false", "reporting_enabled: true"},
		"no structured metadata":  {"allow_structured_metadata: true", "allow_structured_metadata: false"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(text, repl[0]) {
				t.Fatalf("%q not in loki-config.yaml", repl[0])
			}
			var cfg map[string]any
			if err := yaml.Unmarshal([]byte(strings.Replace(text, repl[0], repl[1], 1)), &cfg); err != nil {
				t.Fatal(err)
			}
			expectErrors(t, name, checkLoki(cfg), true)
		})
	}
}

// ---- log shippers ----------------------------------------------------------

// wantLabels are the stream labels both shippers set from the JSON line.
var wantLabels = []string{"level", "region", "service"}

// logGlob is the file pattern both shippers tail: the compose mount of
// ./logs plus the services' log file names.
var logGlob = path.Join(logMountTarget, "*.log")

const lokiPushURL = "http://loki:3100/loki/api/v1/push"

// promtailConfig is the part of promtail-config.yml the tests read.
type promtailConfig struct {
	Server struct {
		HTTPListenPort    int    `yaml:"http_listen_port"`
		GRPCListenAddress string `yaml:"grpc_listen_address"`
		HealthCheckTarget *bool  `yaml:"health_check_target"`
	} `yaml:"server"`
	Positions struct {
		Filename string `yaml:"filename"`
	} `yaml:"positions"`
	Clients []struct {
		URL string `yaml:"url"`
	} `yaml:"clients"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
		PipelineStages []map[string]yaml.Node `yaml:"pipeline_stages"`
	} `yaml:"scrape_configs"`
}

// stageKeys returns the keys of a stage's mapping (for labels and
// structured_metadata, the names it sets).
func stageKeys(n yaml.Node) []string {
	var keys []string
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			keys = append(keys, n.Content[i].Value)
		}
	}
	sort.Strings(keys)
	return keys
}

func checkPromtail(text string) []string {
	var c promtailConfig
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		return []string{err.Error()}
	}
	var errs []string
	if len(c.Clients) != 1 || c.Clients[0].URL != lokiPushURL {
		errs = append(errs, fmt.Sprintf("clients %v, want one client %s", c.Clients, lokiPushURL))
	}
	if c.Positions.Filename == "" {
		errs = append(errs, "no positions file: a restart would re-send every line")
	}
	// Promtail's /ready (the healthcheck) answers 500 until a file matches
	// __path__ unless this is off: unhealthy on a fresh clone.
	if c.Server.HealthCheckTarget == nil || *c.Server.HealthCheckTarget {
		errs = append(errs, "server.health_check_target is not false: the container is unhealthy until a log file exists")
	}
	if c.Server.GRPCListenAddress != "127.0.0.1" {
		errs = append(errs, fmt.Sprintf("server.grpc_listen_address %q: the unused gRPC port should stay inside the container (127.0.0.1)", c.Server.GRPCListenAddress))
	}
	if len(c.ScrapeConfigs) != 1 {
		return append(errs, fmt.Sprintf("%d scrape_configs, want 1", len(c.ScrapeConfigs)))
	}
	sc := c.ScrapeConfigs[0]
	globs := []string{}
	for _, s := range sc.StaticConfigs {
		globs = append(globs, s.Labels["__path__"])
		if s.Labels["job"] != "shoplab" {
			errs = append(errs, fmt.Sprintf("label job=%q, want shoplab", s.Labels["job"]))
		}
	}
	if !slices.Equal(globs, []string{logGlob}) {
		errs = append(errs, fmt.Sprintf("__path__ %v, want [%s] (where compose mounts ./logs)", globs, logGlob))
	}
	var jsonKeys, labels, metadata []string
	var order []string
	for _, st := range sc.PipelineStages {
		for name, n := range st {
			order = append(order, name)
			switch name {
			case "json":
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == "expressions" {
						jsonKeys = stageKeys(*n.Content[i+1])
					}
				}
			case "labels":
				labels = stageKeys(n)
			case "structured_metadata":
				metadata = stageKeys(n)
			}
		}
	}
	if len(order) == 0 || order[0] != "json" {
		errs = append(errs, fmt.Sprintf("stages %v: json must come first", order))
	}
	for _, k := range append(slices.Clone(wantLabels), "trace_id") {
		if !slices.Contains(jsonKeys, k) {
			errs = append(errs, fmt.Sprintf("json stage does not extract %s", k))
		}
	}
	if slices.Contains(labels, "trace_id") {
		errs = append(errs, "labels stage makes trace_id a label: one stream per request")
	}
	if !slices.Equal(labels, wantLabels) {
		errs = append(errs, fmt.Sprintf("labels %v, want %v", labels, wantLabels))
	}
	if !slices.Equal(metadata, []string{"trace_id"}) {
		errs = append(errs, fmt.Sprintf("structured_metadata %v, want [trace_id]", metadata))
	}
	return errs
}

func TestPromtailConfig(t *testing.T) {
	text := readRepoFile(t, "promtail-config.yml")
	expectErrors(t, "promtail-config.yml", checkPromtail(text), false)

	// The positions file is on the promtail-positions volume, and the
	// compose healthcheck asks the port Promtail listens on.
	var c promtailConfig
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatal(err)
	}
	if dir := path.Dir(c.Positions.Filename); dir != statefulVolumes["promtail"].target {
		t.Errorf("positions file in %s, but the promtail-positions volume is at %s", dir, statefulVolumes["promtail"].target)
	}
	hc := strings.Join(loadStack(t).Services["promtail"].HealthCheck.Test, " ")
	if want := fmt.Sprintf("/dev/tcp/127.0.0.1/%d", c.Server.HTTPListenPort); !strings.Contains(hc, want) {
		t.Errorf("promtail healthcheck %q does not ask its HTTP port (%s)", hc, want)
	}
}

func TestPromtailRuleCatchesMistakes(t *testing.T) {
	text := readRepoFile(t, "promtail-config.yml")
	for name, repl := range map[string][2]string{
		"trace_id as a label":    {"      - labels:\n          service:\n", "      - labels:\n          trace_id:\n          service:\n"},
		"no structured metadata": {"      - structured_metadata:\n          trace_id:\n", ""},
		"wrong path":             {"__path__: /var/log/shoplab/*.log", "__path__: /var/log/*.log"},
		"wrong client":           {"url: http://loki:3100/loki/api/v1/push", "url: http://localhost:3100/loki/api/v1/push"},
		"region not extracted":   {"            region: region\n", ""},
		"ready waits for files":  {"  health_check_target: false\n", ""},
		"grpc on every address":  {"  grpc_listen_address: 127.0.0.1\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(text, repl[0]) {
				t.Fatalf("%q not in promtail-config.yml", repl[0])
			}
			expectErrors(t, name, checkPromtail(strings.Replace(text, repl[0], repl[1], 1)), true)
		})
	}
}

// alloyBlock returns the body of the first block `header {`, matching
// braces (the caller strips comments first).
func alloyBlock(text, header string) (string, bool) {
	i := strings.Index(text, header+" {")
	if i < 0 {
		return "", false
	}
	start := i + len(header) + 2
	depth := 1
	for j := start; j < len(text); j++ {
		switch text[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return text[start:j], true
			}
		}
	}
	return "", false
}

// alloyKeys returns the keys assigned in a block body (`key = ...`).
func alloyKeys(body string) []string {
	var keys []string
	for _, m := range regexp.MustCompile(`(?m)^\s*"?([A-Za-z_][A-Za-z0-9_]*)"?\s*=`).FindAllStringSubmatch(body, -1) {
		keys = append(keys, m[1])
	}
	sort.Strings(keys)
	return keys
}

func checkAlloy(text string) []string {
	// "//" also starts the URLs' "http://": drop comments only where "//"
	// follows whitespace or starts the line.
	text = regexp.MustCompile(`(?m)(^|\s)//.*$`).ReplaceAllString(text, "$1")
	var errs []string
	body := func(header string) string {
		b, ok := alloyBlock(text, header)
		if !ok {
			errs = append(errs, "no "+header+" block")
		}
		return b
	}
	fileMatch := body(`local.file_match "shoplab"`)
	if !strings.Contains(fileMatch, fmt.Sprintf(`"__path__" = %q`, logGlob)) {
		errs = append(errs, fmt.Sprintf("local.file_match does not tail %s (where compose mounts ./logs)", logGlob))
	}
	if !regexp.MustCompile(`"?job"?\s*=\s*"shoplab"`).MatchString(fileMatch) {
		errs = append(errs, `local.file_match does not set job = "shoplab"`)
	}
	process := body(`loki.process "shoplab"`)
	// The maps the stages are given: stage.json { expressions = {...} },
	// stage.labels { values = {...} }, stage.structured_metadata { values = {...} }.
	stageMap := func(stage, attr string) (string, bool) {
		b, ok := alloyBlock(process, stage)
		if !ok {
			return "", false
		}
		return alloyBlock(b, attr+" =")
	}
	jsonStage, _ := stageMap("stage.json", "expressions")
	labels, okL := stageMap("stage.labels", "values")
	metadata, okM := stageMap("stage.structured_metadata", "values")
	if !okL {
		errs = append(errs, "no stage.labels { values = {...} }")
	}
	if !okM {
		errs = append(errs, "no stage.structured_metadata { values = {...} }")
	}
	for _, k := range append(slices.Clone(wantLabels), "trace_id") {
		if !slices.Contains(alloyKeys(jsonStage), k) {
			errs = append(errs, "stage.json does not extract "+k)
		}
	}
	if strings.Contains(labels, "trace_id") {
		errs = append(errs, "stage.labels names trace_id: one stream per request")
	}
	if got := alloyKeys(labels); !slices.Equal(got, wantLabels) {
		errs = append(errs, fmt.Sprintf("stage.labels sets %v, want %v", got, wantLabels))
	}
	if got := alloyKeys(metadata); !slices.Equal(got, []string{"trace_id"}) {
		errs = append(errs, fmt.Sprintf("stage.structured_metadata sets %v, want [trace_id]", got))
	}
	write := body(`loki.write "local"`)
	if !strings.Contains(write, fmt.Sprintf("url = %q", lokiPushURL)) {
		errs = append(errs, "loki.write does not push to "+lokiPushURL)
	}
	// The pipeline is wired: source -> process -> write.
	for _, wire := range []string{
		"targets    = local.file_match.shoplab.targets",
		"forward_to = [loki.process.shoplab.receiver]",
		"forward_to = [loki.write.local.receiver]",
	} {
		if !strings.Contains(text, wire) {
			errs = append(errs, "missing wiring: "+wire)
		}
	}
	return errs
}

func TestAlloyConfig(t *testing.T) {
	expectErrors(t, "alloy-config.alloy", checkAlloy(readRepoFile(t, "alloy-config.alloy")), false)
}

func TestAlloyRuleCatchesMistakes(t *testing.T) {
	text := readRepoFile(t, "alloy-config.alloy")
	for name, repl := range map[string][2]string{
		"trace_id as a label":    {"      service = \"\",\n      level   = \"\",", "      service = \"\",\n      trace_id = \"\",\n      level   = \"\","},
		"no structured metadata": {"      trace_id = \"\",\n    }\n  }\n}", "    }\n  }\n}"},
		"wrong path":             {`"/var/log/shoplab/*.log"`, `"/var/log/*.log"`},
		"wrong loki url":         {`url = "http://loki:3100/loki/api/v1/push"`, `url = "http://localhost:3100/loki/api/v1/push"`},
		"process not wired":      {"forward_to = [loki.write.local.receiver]", "forward_to = []"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(text, repl[0]) {
				t.Fatalf("%q not in alloy-config.alloy", repl[0])
			}
			expectErrors(t, name, checkAlloy(strings.Replace(text, repl[0], repl[1], 1)), true)
		})
	}
}

// Alloy's --storage.path (positions) and UI port agree with compose.
func TestAlloyComposeAgreement(t *testing.T) {
	a := loadStack(t).Services["alloy"]
	cmd := strings.Join(a.Command, " ")
	for _, want := range []string{"run /etc/alloy/config.alloy", "--server.http.listen-addr=0.0.0.0:12345"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("alloy command %q lacks %q", cmd, want)
		}
	}
	hc := strings.Join(a.HealthCheck.Test, " ")
	if !strings.Contains(hc, "/dev/tcp/127.0.0.1/12345") {
		t.Errorf("alloy healthcheck %q does not ask the UI port 12345", hc)
	}
	mounted := false
	for _, v := range a.Volumes {
		if v.Target == "/etc/alloy/config.alloy" && v.ReadOnly && strings.HasSuffix(v.Source, "alloy-config.alloy") {
			mounted = true
		}
	}
	if !mounted {
		t.Error("alloy-config.alloy is not mounted read-only at /etc/alloy/config.alloy")
	}
}
