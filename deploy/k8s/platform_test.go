package k8s_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestPlatformResources builds the Kafka and PostgreSQL kustomizations.
// Their kinds are the operators' (Strimzi's, CloudNativePG's), with no Go
// types here, so they are parsed as strict YAML and held to the rules that
// concern ShopLab: versions pinned, and the topology the overlays assume.
func TestPlatformResources(t *testing.T) {
	for _, tc := range []struct {
		dir string
		// brokers is the Kafka node count; 0 for no Kafka.
		brokers   int
		instances int
	}{
		{dir: "kafka/local", brokers: 1},
		{dir: "kafka/scaled", brokers: 3},
		{dir: "postgres", instances: 3},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			docs, err := build(tc.dir, false)
			if err != nil {
				t.Fatal(err)
			}
			o, err := decode(docs, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range o.custom {
				kind, _ := m["kind"].(string)
				switch kind {
				case "Kafka":
					v := str(m, "spec", "kafka", "version")
					if !exactVersion.MatchString(v) {
						t.Errorf("Kafka: spec.kafka.version %q is not pinned", v)
					}
					rf := str(m, "spec", "kafka", "config", "default.replication.factor")
					if rf != fmt.Sprint(tc.brokers) {
						t.Errorf("Kafka: default.replication.factor %s with %d brokers", rf, tc.brokers)
					}
				case "KafkaNodePool":
					if got := str(m, "spec", "replicas"); got != fmt.Sprint(tc.brokers) {
						t.Errorf("KafkaNodePool: %s replicas, want %d", got, tc.brokers)
					}
					if str(m, "spec", "resources", "requests", "memory") == "" {
						t.Error("KafkaNodePool: no memory request")
					}
				case "Cluster":
					if img := str(m, "spec", "imageName"); !pinned(img) {
						t.Errorf("Cluster: image %q is not pinned", img)
					}
					if got := str(m, "spec", "instances"); got != fmt.Sprint(tc.instances) {
						t.Errorf("Cluster: %s instances, want %d", got, tc.instances)
					}
				case "Database":
				default:
					t.Errorf("unexpected kind %s", kind)
				}
			}
		})
	}
}

// TestPostgresDatabases checks that the PostgreSQL kustomization creates a
// database for every service the scaled overlay points at one.
func TestPostgresDatabases(t *testing.T) {
	docs, err := build("postgres", false)
	if err != nil {
		t.Fatal(err)
	}
	o, err := decode(docs, true)
	if err != nil {
		t.Fatal(err)
	}
	made := map[string]bool{}
	for _, m := range o.custom {
		if m["kind"] == "Database" {
			made[str(m, "spec", "name")] = true
		}
	}
	for _, d := range load(t, "overlays/scaled").deployments {
		svc := d.Spec.Template.Spec.Containers[0].Args[0]
		if key := sharedState(svc); key != "" && !made[svc] {
			t.Errorf("%s uses %s, but deploy/k8s/postgres makes no database %q", svc, key, svc)
		}
	}
}

// TestObservabilityConfigMaps builds the dashboards' and rules'
// ConfigMaps from the repository's files, and checks that every dashboard
// is there and is JSON.
func TestObservabilityConfigMaps(t *testing.T) {
	docs, err := build("observability", true)
	if err != nil {
		t.Fatal(err)
	}
	o, err := decode(docs, false)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Glob("../../dashboards/*.json")
	if len(want) == 0 {
		t.Fatal("no dashboards/*.json")
	}
	for _, cm := range o.configMaps {
		if cm.Name != "shoplab-dashboards" {
			continue
		}
		if cm.Labels["grafana_dashboard"] != "1" {
			t.Errorf("ConfigMap %s lacks the sidecar's label grafana_dashboard=1", cm.Name)
		}
		for _, f := range want {
			data, ok := cm.Data[filepath.Base(f)]
			if !ok {
				t.Errorf("%s is not in ConfigMap %s: add it to deploy/k8s/observability", f, cm.Name)
				continue
			}
			if !json.Valid([]byte(data)) {
				t.Errorf("%s: not JSON", f)
			}
		}
		return
	}
	t.Error("no ConfigMap shoplab-dashboards")
}

// TestDockerfile checks the image's recipe: every base image pinned, the
// build image's Go the one go.mod names, cgo on (SQLite), and a runtime
// stage that runs `shoplab serve` as a non-root user.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if goVersion == nil {
		t.Fatal("go.mod has no go line")
	}
	var froms []string
	user, entry := "", ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, f[1])
			user, entry = "", "" // a new stage
		case "USER":
			user = f[1]
		case "ENTRYPOINT":
			entry = strings.Join(f[1:], " ")
		}
	}
	if len(froms) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(froms))
	}
	for _, img := range froms {
		if !pinned(img) {
			t.Errorf("FROM %s is not pinned", img)
		}
	}
	if want := "golang:" + string(goVersion[1]) + "-"; !strings.HasPrefix(froms[0], want) {
		t.Errorf("build stage FROM %s, want %s* (go.mod's go line)", froms[0], want)
	}
	if !strings.Contains(string(b), "CGO_ENABLED=1") {
		t.Error("the build does not set CGO_ENABLED=1 (mattn/go-sqlite3 needs cgo)")
	}
	if user == "" || user == "0" || user == "root" || strings.HasPrefix(user, "0:") {
		t.Errorf("the runtime stage runs as %q, want a non-root user", user)
	}
	if !strings.Contains(entry, `"serve"`) {
		t.Errorf("ENTRYPOINT %s does not run `shoplab serve`", entry)
	}
}

// str returns the scalar at path in m as a string, "" when absent.
func str(m map[string]any, path ...string) string {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		b, _ := yaml.Marshal(t)
		return strings.TrimSpace(string(b))
	}
}
