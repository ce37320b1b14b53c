package dashboards

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/topology"
)

// The Loki stream labels both log shippers create (alloy-config.alloy,
// promtail-config.yml): the log fields service, level and region, job from
// the scrape target and filename from the file source. trace_id is
// structured metadata, never a label: one stream per request would ruin
// Loki.
var lokiLabels = []string{"job", "service", "level", "region", "filename"}

// lokiJob is the job label the shippers give the services' log lines.
const lokiJob = "shoplab"

// grafanaDashboardsPath is where docker-compose.yml mounts dashboards/ in
// the Grafana container, and where the dashboard provider reads them.
const grafanaDashboardsPath = "/var/lib/grafana/dashboards"

// grafanaProvisioningPath is where Grafana reads its provisioning files.
const grafanaProvisioningPath = "/etc/grafana/provisioning"

func TestDashboardFiles(t *testing.T) {
	dashboards := loadDashboards(t)
	want := map[string]bool{}
	for _, info := range All() {
		want[info.File] = true
		t.Run(info.File, func(t *testing.T) {
			d, ok := dashboards[info.File]
			if !ok {
				t.Fatalf("%s is missing from %s", info.File, dashboardsDir)
			}
			if d.UID != info.UID || d.Title != info.Title {
				t.Errorf("uid %q title %q, want uid %q title %q", d.UID, d.Title, info.UID, info.Title)
			}
			if len(d.ID) > 0 && string(d.ID) != "null" {
				t.Errorf(`"id" is %s, want none or null: Grafana assigns it`, d.ID)
			}
			// 42 is the Foundation SDK's dashboard schema (Grafana 12.3), which
			// Grafana 13 reads without migrating; 39 was Grafana 11's.
			if d.SchemaVersion < 39 || d.SchemaVersion > 42 {
				t.Errorf("schemaVersion %d, want 39..42 (Grafana 11-13)", d.SchemaVersion)
			}
			ids := map[int]string{}
			for _, p := range d.AllPanels() {
				if other, dup := ids[p.ID]; dup {
					t.Errorf("panels %q and %q share id %d", other, p.Title, p.ID)
				}
				ids[p.ID] = p.Title
				if p.Type != "row" && p.Type != "text" && len(p.Targets) == 0 {
					t.Errorf("panel %q (%s) has no query", p.Title, p.Type)
				}
			}
		})
	}
	for file := range dashboards {
		if !want[file] {
			t.Errorf("%s is not one of ShopLab's dashboards (add it to All)", file)
		}
	}
	uids, titles := map[string]bool{}, map[string]bool{}
	for _, info := range All() {
		if uids[info.UID] || titles[info.Title] {
			t.Errorf("uid %q or title %q is used twice", info.UID, info.Title)
		}
		uids[info.UID], titles[info.Title] = true, true
	}
}

func TestProvisionedDatasources(t *testing.T) {
	c := provisionedDatasources(t)
	if c.APIVersion != 1 {
		t.Errorf("apiVersion %d, want 1", c.APIVersion)
	}
	tests := []struct {
		uid, typ, url string
		isDefault     bool
	}{
		{uid: "prometheus", typ: "prometheus", url: "http://prometheus:9090", isDefault: true},
		{uid: "loki", typ: "loki", url: "http://loki:3100"},
		{uid: "tempo", typ: "tempo", url: "http://tempo:3200"},
	}
	for _, tt := range tests {
		t.Run(tt.uid, func(t *testing.T) {
			d := c.byUID(tt.uid)
			if d == nil {
				t.Fatalf("no data source with uid %q", tt.uid)
			}
			if d.Type != tt.typ || d.URL != tt.url || d.IsDefault != tt.isDefault {
				t.Errorf("type %q url %q default %v, want %q %q %v", d.Type, d.URL, d.IsDefault, tt.typ, tt.url, tt.isDefault)
			}
		})
	}
	if len(c.Datasources) != len(tests) {
		t.Errorf("%d data sources, want %d", len(c.Datasources), len(tests))
	}
}

// TestDatasourceReferences checks that every panel, target, variable and
// annotation uses a provisioned data source, by UID and with its type.
func TestDatasourceReferences(t *testing.T) {
	c := provisionedDatasources(t)
	dashboards := loadDashboards(t)
	for _, file := range sortedKeys(dashboards) {
		d := dashboards[file]
		t.Run(file, func(t *testing.T) {
			refs := d.DataSourceRefs()
			for _, where := range sortedKeys(refs) {
				ref := refs[where]
				if strings.HasPrefix(where, "annotation ") && ref == (DataSourceRef{Type: "grafana", UID: "-- Grafana --"}) {
					continue // Grafana's built-in annotations
				}
				ds := c.byUID(ref.UID)
				switch {
				case ds == nil:
					t.Errorf("%s uses data source uid %q, which provisioning does not define", where, ref.UID)
				case ds.Type != ref.Type:
					t.Errorf("%s uses %q as type %q; it is a %q", where, ref.UID, ref.Type, ds.Type)
				}
			}
			// No mixed panels: each target queries its panel's data source.
			for _, p := range d.AllPanels() {
				for _, tg := range p.Targets {
					if tg.Datasource == nil || p.Datasource == nil {
						t.Errorf("panel %q target %s: data source must be set on panel and target", p.Title, tg.RefID)
					} else if *tg.Datasource != *p.Datasource {
						t.Errorf("panel %q target %s queries %v, its panel %v", p.Title, tg.RefID, *tg.Datasource, *p.Datasource)
					}
				}
			}
		})
	}
}

// TestVariablesDefined checks that queries only use Grafana's built-in
// variables and their own dashboard's.
func TestVariablesDefined(t *testing.T) {
	dashboards := loadDashboards(t)
	for _, file := range sortedKeys(dashboards) {
		d := dashboards[file]
		t.Run(file, func(t *testing.T) {
			defined := map[string]bool{}
			for _, v := range d.Templating.List {
				defined[v.Name] = true
			}
			for _, q := range d.Queries() {
				for _, name := range varNames(q.Text) {
					if _, builtin := builtinVars[name]; !builtin && !defined[name] {
						t.Errorf("%s uses $%s, which the dashboard does not define", q.Where, name)
					}
				}
			}
			for _, v := range d.Templating.List {
				if v.IncludeAll && v.AllValue != allValue {
					t.Errorf("variable %s: allValue %q, want %q (a regex matching every value)", v.Name, v.AllValue, allValue)
				}
			}
		})
	}
}

// streamSelector matches a LogQL stream selector; labelMatcher one of its
// matchers.
var (
	streamSelector = regexp.MustCompile(`\{([^{}]*)\}`)
	labelMatcher   = regexp.MustCompile(`^\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$`)
)

// TestLokiQueries checks that every LogQL selects streams by the labels the
// shippers create, and never by trace_id.
func TestLokiQueries(t *testing.T) {
	dashboards := loadDashboards(t)
	n := 0
	for _, file := range sortedKeys(dashboards) {
		for _, q := range dashboards[file].Queries() {
			if q.Datasource.Type != "loki" {
				continue
			}
			n++
			sels := streamSelector.FindAllStringSubmatch(q.Text, -1)
			if len(sels) == 0 {
				t.Errorf("%s: no stream selector in %q", q.Where, q.Text)
			}
			for _, sel := range sels {
				job := false
				for _, m := range strings.Split(sel[1], ",") {
					lm := labelMatcher.FindStringSubmatch(m)
					if lm == nil {
						t.Errorf("%s: cannot read matcher %q in %q", q.Where, m, q.Text)
						continue
					}
					if !slices.Contains(lokiLabels, lm[1]) {
						t.Errorf("%s: selects on label %q; the shippers only create %v (trace_id is structured metadata: filter it after the selector)", q.Where, lm[1], lokiLabels)
					}
					job = job || (lm[1] == "job" && lm[2] == "=" && lm[3] == lokiJob)
				}
				if !job {
					t.Errorf(`%s: selector {%s} lacks job="%s"`, q.Where, sel[1], lokiJob)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no Loki query in any dashboard")
	}

	// The variables offer exactly the values the services log.
	d := dashboards["logs.json"]
	if d == nil {
		t.Fatal("logs.json missing")
	}
	levels := []string{slog.LevelError.String(), slog.LevelWarn.String(), slog.LevelInfo.String(), slog.LevelDebug.String()}
	tests := []struct {
		variable string
		want     []string
	}{
		{"service", topology.Services()},
		{"level", levels},
		{"region", append(region.All(), region.Unknown)},
	}
	for _, tt := range tests {
		t.Run("variable "+tt.variable, func(t *testing.T) {
			for _, v := range d.Templating.List {
				if v.Name == tt.variable {
					got, want := slices.Sorted(slices.Values(v.Values())), slices.Sorted(slices.Values(tt.want))
					if !slices.Equal(got, want) {
						t.Errorf("values %v, want %v", got, want)
					}
					return
				}
			}
			t.Errorf("logs.json has no variable %s", tt.variable)
		})
	}
}

// TestShippersCreateLokiLabels checks that the log shippers' configs
// create exactly the stream labels the dashboards select on, and keep
// trace_id as structured metadata.
func TestShippersCreateLokiLabels(t *testing.T) {
	wantLabels := []string{"level", "region", "service"}
	t.Run("promtail", func(t *testing.T) {
		var c struct {
			ScrapeConfigs []struct {
				StaticConfigs []struct {
					Labels map[string]string `yaml:"labels"`
				} `yaml:"static_configs"`
				PipelineStages []map[string]map[string]any `yaml:"pipeline_stages"`
			} `yaml:"scrape_configs"`
		}
		readYAML(t, promtailFile, &c)
		var labels, metadata []string
		for _, sc := range c.ScrapeConfigs {
			for _, st := range sc.StaticConfigs {
				if st.Labels["job"] != lokiJob {
					t.Errorf("static labels %v, want job=%s", st.Labels, lokiJob)
				}
			}
			for _, stage := range sc.PipelineStages {
				for k := range stage["labels"] {
					labels = append(labels, k)
				}
				for k := range stage["structured_metadata"] {
					metadata = append(metadata, k)
				}
			}
		}
		if slices.Sort(labels); !slices.Equal(labels, wantLabels) {
			t.Errorf("labels stage %v, want %v", labels, wantLabels)
		}
		if !slices.Contains(metadata, telemetry.FieldTraceID) {
			t.Errorf("structured_metadata %v lacks %s", metadata, telemetry.FieldTraceID)
		}
	})
	t.Run("alloy", func(t *testing.T) {
		b, err := os.ReadFile(alloyFile)
		if err != nil {
			t.Fatal(err)
		}
		block := func(stage string) []string {
			m := regexp.MustCompile(regexp.QuoteMeta(stage) + `\s*\{\s*values\s*=\s*\{([^}]*)\}`).FindSubmatch(b)
			if m == nil {
				t.Fatalf("no %s { values = {...} } in %s", stage, alloyFile)
			}
			var keys []string
			for _, k := range regexp.MustCompile(`(?m)^\s*"?(\w+)"?\s*=`).FindAllSubmatch(m[1], -1) {
				keys = append(keys, string(k[1]))
			}
			slices.Sort(keys)
			return keys
		}
		if got := block("stage.labels"); !slices.Equal(got, wantLabels) {
			t.Errorf("stage.labels %v, want %v", got, wantLabels)
		}
		if got := block("stage.structured_metadata"); !slices.Equal(got, []string{telemetry.FieldTraceID}) {
			t.Errorf("stage.structured_metadata %v, want [%s]", got, telemetry.FieldTraceID)
		}
		if !regexp.MustCompile(`"job"\s*=\s*"` + lokiJob + `"`).Match(b) {
			t.Errorf(`%s does not give its targets job="%s"`, alloyFile, lokiJob)
		}
	})
}

// TestTraceCorrelation checks the links between metrics, traces and logs
// against what the services emit: the exemplar label, the log field and
// the service names.
func TestTraceCorrelation(t *testing.T) {
	c := provisionedDatasources(t)
	prom, loki, tempo := c.byUID("prometheus"), c.byUID("loki"), c.byUID("tempo")
	if prom == nil || loki == nil || tempo == nil {
		t.Fatal("the prometheus, loki and tempo data sources must be provisioned")
	}

	t.Run("exemplars to traces", func(t *testing.T) {
		// The label the services put on exemplars.
		sc := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled,
		})
		ex := telemetry.ExemplarLabels(trace.ContextWithSpanContext(context.Background(), sc))
		if len(ex) != 1 {
			t.Fatalf("ExemplarLabels = %v, want one label", ex)
		}
		var label string
		for k := range ex {
			label = k
		}
		dests := prom.JSONData.ExemplarTraceIDDestinations
		if len(dests) != 1 || dests[0].Name != label || dests[0].DatasourceUID != tempo.UID {
			t.Errorf("exemplarTraceIdDestinations %+v, want [{name: %s, datasourceUid: %s}]", dests, label, tempo.UID)
		}
	})

	t.Run("logs to traces", func(t *testing.T) {
		fields := loki.JSONData.DerivedFields
		if len(fields) != 1 {
			t.Fatalf("derivedFields %+v, want one", fields)
		}
		f := fields[0]
		if f.MatcherType != "label" || f.MatcherRegex != telemetry.FieldTraceID || f.DatasourceUID != tempo.UID {
			t.Errorf("derived field %+v, want matcherType label, matcherRegex %s (the services' log field, structured metadata in Loki), datasourceUid %s",
				f, telemetry.FieldTraceID, tempo.UID)
		}
		if f.URL != "$${__value.raw}" {
			t.Errorf("derived field url %q, want $${__value.raw} (the trace ID itself; $$ escapes $ in provisioning)", f.URL)
		}
	})

	t.Run("traces to logs", func(t *testing.T) {
		tl := tempo.JSONData.TracesToLogsV2
		if tl.DatasourceUID != loki.UID || !tl.FilterByTraceID || tl.CustomQuery {
			t.Errorf("tracesToLogsV2 %+v, want datasourceUid %s, filterByTraceID, no custom query", tl, loki.UID)
		}
		want := []tagMapping{{Key: "service.name", Value: "service"}}
		if !slices.Equal(tl.Tags, want) {
			t.Errorf("tracesToLogsV2 tags %+v, want %+v (span service.name = Loki label service)", tl.Tags, want)
		}
		for _, tag := range tl.Tags {
			if !slices.Contains(lokiLabels, tag.Value) {
				t.Errorf("tracesToLogsV2 maps %s to %q, not a Loki label", tag.Key, tag.Value)
			}
		}
	})

	t.Run("traces to metrics", func(t *testing.T) {
		tm := tempo.JSONData.TracesToMetrics
		want := []tagMapping{{Key: "service.name", Value: "job"}}
		if tm.DatasourceUID != prom.UID || !slices.Equal(tm.Tags, want) || len(tm.Queries) == 0 {
			t.Errorf("tracesToMetrics %+v, want datasourceUid %s, tags %+v (service.name = Prometheus job), queries", tm, prom.UID, want)
		}
		// job is the service name: every service is a Prometheus job.
		var p struct {
			ScrapeConfigs []struct {
				JobName string `yaml:"job_name"`
			} `yaml:"scrape_configs"`
		}
		readYAML(t, prometheusFile, &p)
		var jobs []string
		for _, sc := range p.ScrapeConfigs {
			jobs = append(jobs, sc.JobName)
		}
		for _, s := range topology.Services() {
			if !slices.Contains(jobs, s) {
				t.Errorf("prometheus.yml has no job %q (jobs: %v)", s, jobs)
			}
		}
	})

	t.Run("service graph", func(t *testing.T) {
		if tempo.JSONData.ServiceMap.DatasourceUID != prom.UID || !tempo.JSONData.NodeGraph.Enabled {
			t.Errorf("serviceMap %+v nodeGraph %+v, want datasourceUid %s and enabled", tempo.JSONData.ServiceMap, tempo.JSONData.NodeGraph, prom.UID)
		}
	})

	t.Run("tempo queries", func(t *testing.T) {
		svc := regexp.MustCompile(`resource\.service\.name\s*=\s*"([^"]*)"`)
		dashboards := loadDashboards(t)
		n := 0
		for _, file := range sortedKeys(dashboards) {
			for _, q := range dashboards[file].Queries() {
				if q.Datasource.Type != "tempo" {
					continue
				}
				n++
				if q.Text == "" {
					t.Errorf("%s: empty TraceQL", q.Where)
				}
				for _, m := range svc.FindAllStringSubmatch(q.Text, -1) {
					if !slices.Contains(topology.Services(), m[1]) {
						t.Errorf("%s: service.name %q is not a ShopLab service", q.Where, m[1])
					}
				}
			}
		}
		if n == 0 {
			t.Error("no Tempo query in any dashboard")
		}
	})
}

// TestExemplarsOnLatencyPanels checks that every latency graph shows
// exemplars, the way from a slow bucket to its trace.
func TestExemplarsOnLatencyPanels(t *testing.T) {
	latency := regexp.MustCompile(`histogram_quantile\(.*_seconds_bucket`)
	dashboards := loadDashboards(t)
	for _, file := range sortedKeys(dashboards) {
		for _, q := range dashboards[file].Queries() {
			if q.Datasource.Type == "prometheus" && q.PanelType == "timeseries" && latency.MatchString(q.Text) && !q.Exemplar {
				t.Errorf("%s: latency query without \"exemplar\": true", q.Where)
			}
		}
	}
}

// TestGrafanaProvisioningMounts checks the dashboard provider against
// docker-compose.yml's mounts, and the Prometheus data source's interval
// against prometheus.yml.
func TestGrafanaProvisioningMounts(t *testing.T) {
	var providers struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name    string `yaml:"name"`
			Type    string `yaml:"type"`
			Folder  string `yaml:"folder"`
			Options struct {
				Path                      string `yaml:"path"`
				FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, providersFile, &providers)
	if providers.APIVersion != 1 || len(providers.Providers) != 1 {
		t.Fatalf("want apiVersion 1 and one provider, got %+v", providers)
	}
	p := providers.Providers[0]
	if p.Type != "file" || p.Folder != Folder || p.Options.Path != grafanaDashboardsPath || p.Options.FoldersFromFilesStructure {
		t.Errorf("provider %+v, want type file, folder %q, path %s, no folders from files", p, Folder, grafanaDashboardsPath)
	}

	var compose struct {
		Services map[string]struct {
			Volumes []any `yaml:"volumes"`
		} `yaml:"services"`
	}
	readYAML(t, composeFile, &compose)
	grafana, ok := compose.Services["grafana"]
	if !ok {
		t.Fatal("docker-compose.yml has no grafana service")
	}
	mounts := map[string]string{} // target -> source
	for _, v := range grafana.Volumes {
		switch v := v.(type) {
		case string:
			parts := strings.Split(v, ":")
			if len(parts) >= 2 {
				mounts[parts[1]] = parts[0]
			}
		case map[string]any:
			src, _ := v["source"].(string)
			dst, _ := v["target"].(string)
			mounts[dst] = src
		}
	}
	for target, dir := range map[string]string{grafanaDashboardsPath: "dashboards", grafanaProvisioningPath: "provisioning"} {
		if src := mounts[target]; filepath.Clean(src) != dir {
			t.Errorf("grafana mounts %q at %s, want ./%s (mounts: %v)", src, target, dir, mounts)
		}
	}

	var prom struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"global"`
	}
	readYAML(t, prometheusFile, &prom)
	if got := provisionedDatasources(t).byUID("prometheus"); got == nil || got.JSONData.TimeInterval != prom.Global.ScrapeInterval {
		t.Errorf("Prometheus data source timeInterval must be prometheus.yml's scrape_interval %q", prom.Global.ScrapeInterval)
	}
}
