package stack

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/shoplab/shoplab/internal/testkit"
)

// logMountTarget is where both log shippers see ./logs.
const logMountTarget = "/var/log/shoplab"

// statefulVolumes is, per stateful service, the named volume that keeps its
// data and where it is mounted.
var statefulVolumes = map[string]struct{ volume, target string }{
	"prometheus": {"prometheus-data", "/prometheus"},
	"grafana":    {"grafana-data", "/var/lib/grafana"},
	"loki":       {"loki-data", "/loki"},
	"tempo":      {"tempo-data", "/var/tempo"},
	"kafka":      {"kafka-data", "/var/lib/kafka/data"},
	"alloy":      {"alloy-data", "/var/lib/alloy/data"},
	"mailpit":    {"mailpit-data", "/data"},
	"promtail":   {"promtail-positions", "/var/lib/promtail"},
	// Silences and the notification log.
	"alertmanager": {"alertmanager-data", "/alertmanager"},
}

// healthcheckExceptions lists services allowed to run without a
// healthcheck, with the reason. There are none: every image has a command
// that can check it (see the comments in docker-compose.yml).
var healthcheckExceptions = map[string]string{}

// runtimeDirs are bind-mount sources created at run time, not committed;
// they must be git-ignored instead.
var runtimeDirs = []string{"logs", "data"}

// sortedServices returns the services' names in a stable order.
func sortedServices(p *types.Project) []string {
	names := make([]string, 0, len(p.Services))
	for name := range p.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ---- rules ----------------------------------------------------------------
// Each rule returns one message per violation, so that tests can prove a
// rule fires on a broken copy of the compose file.

// checkPinnedImages: every image names an explicit tag other than latest,
// or a digest.
func checkPinnedImages(p *types.Project) []string {
	var errs []string
	for _, name := range sortedServices(p) {
		img := p.Services[name].Image
		if img == "" {
			errs = append(errs, name+": no image")
			continue
		}
		if strings.Contains(img, "@sha256:") {
			continue
		}
		repo, tag := img, ""
		if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
			repo, tag = img[:i], img[i+1:]
		}
		switch tag {
		case "":
			errs = append(errs, fmt.Sprintf("%s: image %q has no tag (means latest)", name, img))
		case "latest":
			errs = append(errs, fmt.Sprintf("%s: image %q uses latest; pin %s to a version", name, img, repo))
		}
	}
	return errs
}

// checkLoopbackPorts: every published port binds to 127.0.0.1.
func checkLoopbackPorts(p *types.Project) []string {
	var errs []string
	for _, name := range sortedServices(p) {
		for _, port := range p.Services[name].Ports {
			if port.HostIP != "127.0.0.1" {
				host := port.HostIP
				if host == "" {
					host = "all interfaces"
				}
				errs = append(errs, fmt.Sprintf("%s: port %d published on %s, not 127.0.0.1", name, port.Target, host))
			}
			if port.Published == "" {
				errs = append(errs, fmt.Sprintf("%s: port %d published on a random host port", name, port.Target))
			}
		}
	}
	return errs
}

// checkNamedVolumes: every stateful service keeps its data in its named
// volume, declared at top level.
func checkNamedVolumes(p *types.Project) []string {
	var errs []string
	names := make([]string, 0, len(statefulVolumes))
	for name := range statefulVolumes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := statefulVolumes[name]
		s, ok := p.Services[name]
		if !ok {
			errs = append(errs, name+": stateful service missing")
			continue
		}
		if _, ok := p.Volumes[want.volume]; !ok {
			errs = append(errs, fmt.Sprintf("%s: volume %s not declared under top-level volumes:", name, want.volume))
		}
		found := false
		for _, v := range s.Volumes {
			if v.Target != want.target {
				continue
			}
			found = true
			if v.Type != types.VolumeTypeVolume || v.Source != want.volume {
				errs = append(errs, fmt.Sprintf("%s: %s is a %s mount of %q, want the named volume %s", name, want.target, v.Type, v.Source, want.volume))
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: nothing mounted at %s (want volume %s)", name, want.target, want.volume))
		}
	}
	return errs
}

// gitIgnored reports whether .gitignore ignores the top-level directory dir.
func gitIgnored(gitignore, dir string) bool {
	for _, line := range strings.Split(gitignore, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
			continue
		}
		if strings.Trim(line, "/") == dir {
			return true
		}
	}
	return false
}

// checkBindMounts: every bind-mounted file or directory is in the
// repository and exists, except the run-time directories, which must be
// git-ignored.
func checkBindMounts(p *types.Project, root, gitignore string) []string {
	var errs []string
	for _, name := range sortedServices(p) {
		for _, v := range p.Services[name].Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			rel, err := filepath.Rel(root, v.Source)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				errs = append(errs, fmt.Sprintf("%s: bind mount %s is outside the repository", name, v.Source))
				continue
			}
			if slices.Contains(runtimeDirs, rel) {
				if !gitIgnored(gitignore, rel) {
					errs = append(errs, fmt.Sprintf("%s: run-time directory %s/ is not git-ignored", name, rel))
				}
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				errs = append(errs, fmt.Sprintf("%s: bind mount source ./%s does not exist", name, filepath.ToSlash(rel)))
			}
		}
	}
	return errs
}

var (
	secretName = regexp.MustCompile(`(?i)PASSWORD|SECRET|TOKEN|KEY`)
	// Only ${VAR}, ${VAR-}, ${VAR:-} or ${VAR:?message}: the value comes
	// from the environment, never from a literal default in the file.
	bareInterpolation = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-|:?\?[^}]*)?\}$`)
)

// checkNoLiteralSecrets (on a project loaded without interpolation): an
// environment variable whose name looks secret has no literal value.
func checkNoLiteralSecrets(p *types.Project) []string {
	var errs []string
	for _, name := range sortedServices(p) {
		for key, val := range p.Services[name].Environment {
			if !secretName.MatchString(key) || val == nil || *val == "" {
				continue
			}
			if !bareInterpolation.MatchString(*val) {
				errs = append(errs, fmt.Sprintf("%s: %s has a literal value; take it from .env: %s: ${VAR:-}", name, key, key))
			}
		}
	}
	sort.Strings(errs)
	return errs
}

// checkHealthchecks: every service has a healthcheck, except the listed
// exceptions.
func checkHealthchecks(p *types.Project) []string {
	var errs []string
	for _, name := range sortedServices(p) {
		if _, ok := healthcheckExceptions[name]; ok {
			continue
		}
		if !hasHealthcheck(p.Services[name]) {
			errs = append(errs, name+": no healthcheck")
		}
	}
	return errs
}

func hasHealthcheck(s types.ServiceConfig) bool {
	hc := s.HealthCheck
	return hc != nil && !hc.Disable && len(hc.Test) > 0 && hc.Test[0] != "NONE"
}

// checkDependsOnHealthy: waiting on a service that has a healthcheck means
// waiting until it is healthy, not merely started.
func checkDependsOnHealthy(p *types.Project) []string {
	var errs []string
	for _, name := range sortedServices(p) {
		for dep, d := range p.Services[name].DependsOn {
			target, ok := p.Services[dep]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: depends on unknown service %s", name, dep))
				continue
			}
			if hasHealthcheck(target) && d.Condition != types.ServiceConditionHealthy {
				errs = append(errs, fmt.Sprintf("%s: depends on %s with condition %q, want %s", name, dep, d.Condition, types.ServiceConditionHealthy))
			}
		}
	}
	sort.Strings(errs)
	return errs
}

// envValue returns a service's environment variable ("" when unset).
func envValue(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

// parseListeners parses "NAME://host:port,..." into name -> host:port.
func parseListeners(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, l := range strings.Split(v, ",") {
		l = strings.TrimSpace(l)
		name, addr, ok := strings.Cut(l, "://")
		if !ok {
			return nil, fmt.Errorf("listener %q is not NAME://host:port", l)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("listener %q: %v", l, err)
		}
		out[name] = addr
	}
	return out, nil
}

// checkKafkaListeners: the host listener is advertised as localhost:9092
// and published on 127.0.0.1:9092; every container that talks to Kafka
// bootstraps from an address the broker advertises on the compose network
// (its service name), never localhost, which inside a container is the
// container itself.
func checkKafkaListeners(p *types.Project) []string {
	const broker = "kafka"
	kafka, ok := p.Services[broker]
	if !ok {
		return []string{"no kafka service"}
	}
	var errs []string
	adv, err := parseListeners(envValue(kafka, "KAFKA_ADVERTISED_LISTENERS"))
	if err != nil {
		return []string{"kafka: KAFKA_ADVERTISED_LISTENERS: " + err.Error()}
	}
	listeners, err := parseListeners(envValue(kafka, "KAFKA_LISTENERS"))
	if err != nil {
		return []string{"kafka: KAFKA_LISTENERS: " + err.Error()}
	}
	for name, addr := range adv {
		_, port, _ := net.SplitHostPort(addr)
		l, ok := listeners[name]
		if !ok {
			errs = append(errs, fmt.Sprintf("kafka: advertised listener %s is not in KAFKA_LISTENERS", name))
			continue
		}
		if _, lport, _ := net.SplitHostPort(l); lport != port {
			errs = append(errs, fmt.Sprintf("kafka: listener %s listens on %s but is advertised on port %s", name, lport, port))
		}
	}
	if got := adv["PLAINTEXT_HOST"]; got != "localhost:9092" {
		errs = append(errs, fmt.Sprintf("kafka: PLAINTEXT_HOST advertised as %q, want localhost:9092 for the services on the host", got))
	}
	published := false
	for _, port := range kafka.Ports {
		if port.Target == 9092 && port.Published == "9092" && port.HostIP == "127.0.0.1" {
			published = true
		}
	}
	if !published {
		errs = append(errs, "kafka: the host listener is not published on 127.0.0.1:9092")
	}
	advertised := map[string]bool{}
	for _, addr := range adv {
		advertised[addr] = true
	}
	clients := 0
	for _, name := range sortedServices(p) {
		if name == broker {
			continue
		}
		for key, val := range p.Services[name].Environment {
			if val == nil || !(strings.Contains(key, "BOOTSTRAP") || key == "KAFKA_BROKERS") {
				continue
			}
			clients++
			for _, addr := range strings.Split(*val, ",") {
				addr = strings.TrimSpace(addr)
				host, _, err := net.SplitHostPort(addr)
				switch {
				case err != nil:
					errs = append(errs, fmt.Sprintf("%s: %s=%q is not host:port", name, key, addr))
				case !advertised[addr]:
					errs = append(errs, fmt.Sprintf("%s: %s=%s is not an address the broker advertises (%s)", name, key, addr, envValue(kafka, "KAFKA_ADVERTISED_LISTENERS")))
				case host != broker:
					errs = append(errs, fmt.Sprintf("%s: %s=%s: a container must use the broker's compose name %s, not %s", name, key, addr, broker, host))
				}
			}
		}
	}
	if clients == 0 {
		errs = append(errs, "no container has a Kafka bootstrap setting (kafka-ui should)")
	}
	sort.Strings(errs)
	return errs
}

// checkProfiles: Promtail runs only with its profile; everything else is in
// the default set.
func checkProfiles(p *types.Project) []string {
	var errs []string
	for _, name := range sortedServices(p) {
		got := p.Services[name].Profiles
		want := []string(nil)
		if name == "promtail" {
			want = []string{ShipperProfile}
		}
		if !slices.Equal(got, want) {
			errs = append(errs, fmt.Sprintf("%s: profiles %v, want %v", name, got, want))
		}
	}
	return errs
}

// checkPrometheus: Prometheus reaches the host and accepts Tempo's span
// metrics with their exemplars.
func checkPrometheus(p *types.Project) []string {
	s, ok := p.Services["prometheus"]
	if !ok {
		return []string{"no prometheus service"}
	}
	var errs []string
	if !slices.Contains(s.ExtraHosts["host.docker.internal"], "host-gateway") {
		errs = append(errs, "prometheus: extra_hosts lacks host.docker.internal:host-gateway (Linux cannot reach the host services)")
	}
	for _, flag := range []string{
		"--config.file=/etc/prometheus/prometheus.yml",
		"--storage.tsdb.path=/prometheus",
		"--web.enable-remote-write-receiver",
		"--enable-feature=exemplar-storage",
	} {
		if !slices.Contains(s.Command, flag) {
			errs = append(errs, "prometheus: command lacks "+flag)
		}
	}
	// Deprecated since Prometheus 3.8 (retention belongs in prometheus.yml).
	for _, arg := range s.Command {
		if strings.HasPrefix(arg, "--storage.tsdb.retention.") {
			errs = append(errs, "prometheus: command uses the deprecated flag "+arg)
		}
	}
	return errs
}

// checkPublished: a service publishes container port target on
// 127.0.0.1:target.
func checkPublished(p *types.Project, service string, targets ...uint32) []string {
	var errs []string
	for _, target := range targets {
		ok := false
		for _, port := range p.Services[service].Ports {
			if port.Target == target && port.HostIP == "127.0.0.1" && port.Published == fmt.Sprint(target) {
				ok = true
			}
		}
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: port %d not published on 127.0.0.1:%d", service, target, target))
		}
	}
	return errs
}

// ---- tests ----------------------------------------------------------------

func TestComposeRules(t *testing.T) {
	root := testkit.RepoRoot(t)
	gitignore := readRepoFile(t, ".gitignore")
	rules := []struct {
		name  string
		check func(*types.Project) []string
	}{
		{"pinned images", checkPinnedImages},
		{"ports on 127.0.0.1", checkLoopbackPorts},
		{"named volumes", checkNamedVolumes},
		{"bind mounts", func(p *types.Project) []string { return checkBindMounts(p, root, gitignore) }},
		{"healthchecks", checkHealthchecks},
		{"depends_on healthy", checkDependsOnHealthy},
		{"kafka listeners", checkKafkaListeners},
		{"profiles", checkProfiles},
		{"prometheus", checkPrometheus},
		{"tempo OTLP ports", func(p *types.Project) []string { return checkPublished(p, "tempo", 4317, 4318) }},
	}
	for envName, o := range environments(t) {
		p := loadCompose(t, repoFile(t, ComposeFile), o)
		for _, r := range rules {
			t.Run(envName+"/"+r.name, func(t *testing.T) {
				expectErrors(t, r.name, r.check(p), false)
			})
		}
	}
}

func TestComposeHasNoLiteralSecrets(t *testing.T) {
	p := loadCompose(t, repoFile(t, ComposeFile), loadOptions{profiles: []string{"*"}, raw: true})
	expectErrors(t, "no literal secrets", checkNoLiteralSecrets(p), false)
}

func TestEnvExampleHasNoSecretValues(t *testing.T) {
	for _, line := range strings.Split(readRepoFile(t, ".env.example"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf(".env.example: %q is not VAR=value", line)
			continue
		}
		if secretName.MatchString(key) && strings.TrimSpace(val) != "" {
			t.Errorf(".env.example: %s has a value; a committed file must not hold secrets", key)
		}
	}
}

// Every ${VAR} of docker-compose.yml is documented in .env.example, and
// .env.example documents nothing else.
func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(readRepoFile(t, ComposeFile), -1) {
		used[m[1]] = true
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)=`).FindAllStringSubmatch(readRepoFile(t, ".env.example"), -1) {
		documented[m[1]] = true
	}
	for v := range used {
		if !documented[v] {
			t.Errorf("docker-compose.yml uses ${%s}, which .env.example does not document", v)
		}
	}
	for v := range documented {
		if !used[v] {
			t.Errorf(".env.example documents %s, which docker-compose.yml does not use", v)
		}
	}
}

func TestComposeTopLevel(t *testing.T) {
	var top map[string]any
	if err := yaml.Unmarshal([]byte(readRepoFile(t, ComposeFile)), &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["version"]; ok {
		t.Error("docker-compose.yml has a version: key; it is obsolete in Compose v2")
	}
	if top["name"] != ProjectName {
		t.Errorf("name: %v, want %s", top["name"], ProjectName)
	}
	if p := loadStack(t); p.Name != ProjectName {
		t.Errorf("project name %q, want %s", p.Name, ProjectName)
	}
}

// A plain `docker compose up` starts Alloy and not Promtail.
func TestDefaultProfileShipsLogsWithAlloyOnly(t *testing.T) {
	p := loadCompose(t, repoFile(t, ComposeFile), loadOptions{})
	if _, ok := p.Services["promtail"]; ok {
		t.Error("promtail starts without --profile promtail")
	}
	if _, ok := p.Services["alloy"]; !ok {
		t.Error("alloy does not start by default")
	}
	var got []string
	for _, c := range DefaultContainers() {
		got = append(got, c.Service)
	}
	sort.Strings(got)
	if want := sortedServices(p); !slices.Equal(got, want) {
		t.Errorf("DefaultContainers() = %v, compose default set = %v", got, want)
	}
	withPromtail := loadCompose(t, repoFile(t, ComposeFile), loadOptions{profiles: []string{ShipperProfile}})
	if _, ok := withPromtail.Services["promtail"]; !ok {
		t.Errorf("--profile %s does not start promtail", ShipperProfile)
	}
}

// Containers() (used by the CLI) agrees with docker-compose.yml.
func TestContainersMatchCompose(t *testing.T) {
	p := loadStack(t)
	seen := map[string]bool{}
	for _, c := range Containers() {
		seen[c.Service] = true
		s, ok := p.Services[c.Service]
		if !ok {
			t.Errorf("Containers() lists %s, which docker-compose.yml does not define", c.Service)
			continue
		}
		if s.Image != c.Image {
			t.Errorf("%s: compose image %s, Containers() says %s", c.Service, s.Image, c.Image)
		}
		profile := ""
		if len(s.Profiles) > 0 {
			profile = s.Profiles[0]
		}
		if profile != c.Profile {
			t.Errorf("%s: compose profile %q, Containers() says %q", c.Service, profile, c.Profile)
		}
		if hasHealthcheck(s) != c.Healthcheck {
			t.Errorf("%s: compose healthcheck %v, Containers() says %v", c.Service, hasHealthcheck(s), c.Healthcheck)
		}
		if c.URL != "" {
			_, port, _ := strings.Cut(strings.TrimPrefix(c.URL, "http://"), ":")
			published := false
			for _, pc := range s.Ports {
				if pc.Published == port && pc.HostIP == "127.0.0.1" {
					published = true
				}
			}
			if !published {
				t.Errorf("%s: URL %s, but compose does not publish 127.0.0.1:%s", c.Service, c.URL, port)
			}
		}
	}
	for _, name := range sortedServices(p) {
		if !seen[name] {
			t.Errorf("docker-compose.yml defines %s, which Containers() does not list", name)
		}
	}
}

// The images are exactly the contract's pinned tags.
func TestImagesAreTheContractTags(t *testing.T) {
	want := map[string]string{
		"prometheus": "prom/prometheus:v3.14.0",
		"grafana":    "grafana/grafana:13.2.2",
		"loki":       "grafana/loki:3.7.7",
		"tempo":      "grafana/tempo:3.0.3",
		"alloy":      "grafana/alloy:v1.19.2",
		"promtail":   "grafana/promtail:3.6.11",
		"kafka":      "apache/kafka:4.3.1",
		"kafka-ui":   "ghcr.io/kafbat/kafka-ui:v1.5.0",
		"mailpit":    "axllent/mailpit:v1.31.1",
		// v0.35.0 (2026-11-09): confirmed by the Go module proxy and the
		// prometheus-community Helm chart's release notes. pkg.go.dev lists
		// a v0.35.1 (2026-11-24) that no second source confirmed yet.
		"alertmanager": "prom/alertmanager:v0.35.0",
	}
	p := loadStack(t)
	for name, img := range want {
		if got := p.Services[name].Image; got != img {
			t.Errorf("%s: image %q, want %q", name, got, img)
		}
	}
	if len(p.Services) != len(want) {
		t.Errorf("compose defines %d services, the contract %d: %v", len(p.Services), len(want), sortedServices(p))
	}
}

// Published ports are the contract's.
func TestPublishedPorts(t *testing.T) {
	want := map[string][]string{
		"prometheus":   {"9090:9090"},
		"grafana":      {"4000:3000"},
		"loki":         {"3100:3100"},
		"tempo":        {"3200:3200", "4317:4317", "4318:4318"},
		"alloy":        {"12345:12345"},
		"promtail":     nil,
		"kafka":        {"9092:9092"},
		"kafka-ui":     {"8080:8080"},
		"mailpit":      {"1025:1025", "8025:8025"},
		"alertmanager": {"9093:9093"},
	}
	p := loadStack(t)
	for name, ports := range want {
		var got []string
		for _, pc := range p.Services[name].Ports {
			got = append(got, fmt.Sprintf("%s:%d", pc.Published, pc.Target))
		}
		sort.Strings(got)
		if !slices.Equal(got, ports) {
			t.Errorf("%s: publishes %v, want %v", name, got, ports)
		}
	}
}

// The data each stateful program writes lands in its volume: the paths set
// in its command, environment or configuration file lie under the volume's
// mount point.
func TestDataPathsAreOnVolumes(t *testing.T) {
	p := loadStack(t)
	promtail := readYAML(t, "promtail-config.yml")
	positions, _ := dig(promtail, "positions", "filename")
	loki := readYAML(t, "loki-config.yaml")
	lokiPrefix, _ := dig(loki, "common", "path_prefix")
	lokiChunks, _ := dig(loki, "common", "storage", "filesystem", "chunks_directory")
	lokiCompactor, _ := dig(loki, "compactor", "working_directory")
	tempo := readYAML(t, "tempo-config.yaml")
	tempoWAL, _ := dig(tempo, "storage", "trace", "wal", "path")
	tempoBlocks, _ := dig(tempo, "storage", "trace", "local", "path")
	tempoGen, _ := dig(tempo, "metrics_generator", "storage", "path")

	flagValue := func(service, flag string) string {
		for _, a := range p.Services[service].Command {
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				return v
			}
		}
		return ""
	}
	cases := []struct{ service, what, path string }{
		{"prometheus", "--storage.tsdb.path", flagValue("prometheus", "--storage.tsdb.path")},
		{"alloy", "--storage.path", flagValue("alloy", "--storage.path")},
		{"alertmanager", "--storage.path", flagValue("alertmanager", "--storage.path")},
		{"kafka", "KAFKA_LOG_DIRS", envValue(p.Services["kafka"], "KAFKA_LOG_DIRS")},
		{"mailpit", "MP_DATABASE", envValue(p.Services["mailpit"], "MP_DATABASE")},
		{"promtail", "positions.filename", fmt.Sprint(positions)},
		{"loki", "common.path_prefix", fmt.Sprint(lokiPrefix)},
		{"loki", "chunks_directory", fmt.Sprint(lokiChunks)},
		{"loki", "compactor.working_directory", fmt.Sprint(lokiCompactor)},
		{"tempo", "storage.trace.wal.path", fmt.Sprint(tempoWAL)},
		{"tempo", "storage.trace.local.path", fmt.Sprint(tempoBlocks)},
		{"tempo", "metrics_generator.storage.path", fmt.Sprint(tempoGen)},
	}
	for _, c := range cases {
		target := statefulVolumes[c.service].target
		if c.path != target && !strings.HasPrefix(c.path, target+"/") {
			t.Errorf("%s: %s = %q is not on the %s volume (%s)", c.service, c.what, c.path, statefulVolumes[c.service].volume, target)
		}
	}
}

// Both shippers see ./logs read-only where their configs look for it.
func TestLogShippersMountLogs(t *testing.T) {
	p := loadStack(t)
	logs := filepath.Join(testkit.RepoRoot(t), "logs")
	for _, name := range []string{"alloy", "promtail"} {
		ok := false
		for _, v := range p.Services[name].Volumes {
			if v.Type == types.VolumeTypeBind && v.Source == logs && v.Target == logMountTarget && v.ReadOnly {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: ./logs is not mounted read-only at %s", name, logMountTarget)
		}
	}
}

func TestGrafana(t *testing.T) {
	for envName, o := range environments(t) {
		t.Run(envName, func(t *testing.T) {
			g := loadCompose(t, repoFile(t, ComposeFile), o).Services["grafana"]
			for key, want := range map[string]string{
				"GF_ANALYTICS_REPORTING_ENABLED":             "false",
				"GF_ANALYTICS_CHECK_FOR_UPDATES":             "false",
				"GF_SMTP_ENABLED":                            "true",
				"GF_SMTP_HOST":                               "mailpit:1025",
				"GF_SMTP_USER":                               "",
				"GF_SMTP_PASSWORD":                           "",
				"GF_SECURITY_ADMIN_PASSWORD":                 "",
				"GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION": "",
				"GF_AUTH_ANONYMOUS_ENABLED":                  "true",
			} {
				if got := envValue(g, key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			if role := envValue(g, "GF_AUTH_ANONYMOUS_ORG_ROLE"); role == "Admin" || role == "" {
				t.Errorf("anonymous role %q: want a non-admin role (Editor)", role)
			}
			// Without a password no admin account is created at all.
			if !slices.Contains(g.Command, "cfg:default.security.disable_initial_admin_creation=true") {
				t.Errorf("command %v does not default disable_initial_admin_creation to true", g.Command)
			}
			root := testkit.RepoRoot(t)
			for src, target := range map[string]string{
				filepath.Join(root, "provisioning"): "/etc/grafana/provisioning",
				filepath.Join(root, "dashboards"):   "/var/lib/grafana/dashboards",
			} {
				ok := false
				for _, v := range g.Volumes {
					if v.Type == types.VolumeTypeBind && v.Source == src && v.Target == target && v.ReadOnly {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s is not mounted read-only at %s", src, target)
				}
			}
		})
	}
}

// With a password in .env, the admin account is created with it.
func TestGrafanaAdminFromEnv(t *testing.T) {
	env := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(env, []byte("GRAFANA_ADMIN_PASSWORD=not-a-real-one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := loadCompose(t, repoFile(t, ComposeFile), loadOptions{envFile: env}).Services["grafana"]
	if got := envValue(g, "GF_SECURITY_ADMIN_PASSWORD"); got != "not-a-real-one" {
		t.Errorf("GF_SECURITY_ADMIN_PASSWORD = %q, want the .env value", got)
	}
	if got := envValue(g, "GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION"); got != "false" {
		t.Errorf("GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION = %q, want false once a password is set", got)
	}
}

// ---- the rules catch violations -------------------------------------------

func TestRulesCatchViolationsInTheFile(t *testing.T) {
	all := loadOptions{profiles: []string{"*"}}
	root := testkit.RepoRoot(t)
	gitignore := readRepoFile(t, ".gitignore")
	cases := []struct {
		name  string
		opts  loadOptions
		check func(*types.Project) []string
		repl  []string
	}{
		{"untagged image", all, checkPinnedImages, []string{"image: grafana/loki:3.7.7", "image: grafana/loki"}},
		{"latest image", all, checkPinnedImages, []string{"image: apache/kafka:4.3.1", "image: apache/kafka:latest"}},
		{"port on all interfaces", all, checkLoopbackPorts, []string{"- 127.0.0.1:9090:9090", "- 9090:9090"}},
		{"port on 0.0.0.0", all, checkLoopbackPorts, []string{"- 127.0.0.1:8080:8080", "- 0.0.0.0:8080:8080"}},
		{"bind mount instead of volume", all, checkNamedVolumes, []string{"- loki-data:/loki", "- ./loki-data:/loki"}},
		{"missing bind source", all, func(p *types.Project) []string { return checkBindMounts(p, root, gitignore) },
			[]string{"./prometheus.yml:/etc", "./prometheus-missing.yml:/etc"}},
		{"bind mount outside the repo", all, func(p *types.Project) []string { return checkBindMounts(p, root, gitignore) },
			[]string{"- ./logs:/var/log/shoplab:ro\n      - alloy-data", "- ../../logs:/var/log/shoplab:ro\n      - alloy-data"}},
		{"literal password", loadOptions{profiles: []string{"*"}, raw: true}, checkNoLiteralSecrets,
			[]string{"GF_SMTP_PASSWORD: ${GRAFANA_SMTP_PASSWORD:-}", "GF_SMTP_PASSWORD: 83175273732073"}},
		{"literal default password", loadOptions{profiles: []string{"*"}, raw: true}, checkNoLiteralSecrets,
			[]string{"GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:-}", "GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:-admin}"}},
		{"depends_on started", all, checkDependsOnHealthy, []string{"condition: service_healthy", "condition: service_started"}},
		{"kafka-ui on the host listener", all, checkKafkaListeners,
			[]string{"KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS: kafka:19092", "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS: localhost:9092"}},
		{"kafka-ui on an unadvertised port (the draft's bug)", all, checkKafkaListeners,
			[]string{"KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS: kafka:19092", "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS: kafka:9092"}},
		{"host listener advertised on the compose name", all, checkKafkaListeners,
			[]string{"PLAINTEXT_HOST://localhost:9092,", "PLAINTEXT_HOST://kafka:9092,"}},
		{"promtail in the default set", all, checkProfiles, []string{"    profiles: [\"promtail\"]\n", ""}},
		{"prometheus without host-gateway", all, checkPrometheus,
			[]string{"    extra_hosts:\n      - host.docker.internal:host-gateway\n", ""}},
		{"prometheus without exemplars", all, checkPrometheus, []string{"      - --enable-feature=exemplar-storage\n", ""}},
		{"prometheus with the deprecated retention flag", all, checkPrometheus,
			[]string{"      - --storage.tsdb.path=/prometheus\n", "      - --storage.tsdb.path=/prometheus\n      - --storage.tsdb.retention.time=15d\n"}},
		{"tempo OTLP port not published", all, func(p *types.Project) []string { return checkPublished(p, "tempo", 4317, 4318) },
			[]string{"- 127.0.0.1:4317:4317", "- 127.0.0.1:14317:4317"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := loadMutated(t, c.opts, c.repl...)
			expectErrors(t, c.name, c.check(p), true)
		})
	}
}

func TestRulesCatchViolationsInTheModel(t *testing.T) {
	cases := []struct {
		name   string
		check  func(*types.Project) []string
		mutate func(p *types.Project)
	}{
		{"missing healthcheck", checkHealthchecks, func(p *types.Project) {
			s := p.Services["mailpit"]
			s.HealthCheck = nil
			p.Services["mailpit"] = s
		}},
		{"disabled healthcheck", checkHealthchecks, func(p *types.Project) {
			s := p.Services["tempo"]
			s.HealthCheck = &types.HealthCheckConfig{Disable: true}
			p.Services["tempo"] = s
		}},
		{"digest-pinned image is fine, untagged is not", checkPinnedImages, func(p *types.Project) {
			s := p.Services["kafka"]
			s.Image = "apache/kafka@sha256:77e3df9054047a88b520d0cc46e16696d3b22022e1d580aeccd2632df6532837"
			p.Services["kafka"] = s
			s = p.Services["mailpit"]
			s.Image = "localhost:5000/mailpit"
			p.Services["mailpit"] = s
		}},
		{"stateful volume undeclared", checkNamedVolumes, func(p *types.Project) {
			delete(p.Volumes, "kafka-data")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := loadStack(t)
			c.mutate(p)
			expectErrors(t, c.name, c.check(p), true)
		})
	}
	// A digest alone is a valid pin.
	p := loadStack(t)
	s := p.Services["kafka"]
	s.Image = "apache/kafka@sha256:77e3df9054047a88b520d0cc46e16696d3b22022e1d580aeccd2632df6532837"
	p.Services["kafka"] = s
	expectErrors(t, "digest pin", checkPinnedImages(p), false)
}

func TestGitIgnored(t *testing.T) {
	for _, c := range []struct {
		gitignore, dir string
		want           bool
	}{
		{"/logs/\n", "logs", true},
		{"logs\n", "logs", true},
		{"# /logs/\n", "logs", false},
		{"/logs/x\n", "logs", false},
		{"/data/\n", "logs", false},
	} {
		if got := gitIgnored(c.gitignore, c.dir); got != c.want {
			t.Errorf("gitIgnored(%q, %q) = %v, want %v", c.gitignore, c.dir, got, c.want)
		}
	}
	gi := readRepoFile(t, ".gitignore")
	for _, d := range runtimeDirs {
		if !gitIgnored(gi, d) {
			t.Errorf(".gitignore does not ignore %s/", d)
		}
	}
}
