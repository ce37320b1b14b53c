package dashboards

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// The repository's files, seen from this package's directory (go test
// runs a package's tests there).
const repoRoot = "../.."

var (
	dashboardsDir   = filepath.Join(repoRoot, "dashboards")
	datasourcesFile = filepath.Join(repoRoot, "provisioning", "datasources", "datasources.yaml")
	providersFile   = filepath.Join(repoRoot, "provisioning", "dashboards", "dashboards.yaml")
	composeFile     = filepath.Join(repoRoot, "docker-compose.yml")
	prometheusFile  = filepath.Join(repoRoot, "prometheus.yml")
	promtailFile    = filepath.Join(repoRoot, "promtail-config.yml")
	alloyFile       = filepath.Join(repoRoot, "alloy-config.alloy")
)

// Grafana's built-in variables that ShopLab's queries use, and the
// concrete values the tests put in their place.
var builtinVars = map[string]string{
	"__rate_interval": "1m",
	"__interval":      "15s",
	"__range":         "5m",
	"__auto":          "1m",
}

// allValue is what Grafana puts in place of a multi-value variable set to
// All when the variable's allValue is ".*", as every ShopLab variable's is.
const allValue = ".*"

// varRef matches Grafana's variable syntaxes: $name, ${name}, ${name:fmt}
// and [[name]].
var varRef = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]`)

// varNames returns the variables s refers to.
func varNames(s string) []string {
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1]+m[2]+m[3])
	}
	return out
}

// expand replaces every variable in s with its value in vars, failing the
// test on a variable it does not know.
func expand(t *testing.T, where, s string, vars map[string]string) string {
	t.Helper()
	return varRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		if v, ok := vars[name]; ok {
			return v
		}
		if v, ok := builtinVars[name]; ok {
			return v
		}
		t.Errorf("%s: unknown variable %s", where, ref)
		return ref
	})
}

// dashboardVars are the values the tests give a dashboard's variables:
// All for the multi-value ones (all of ShopLab's), a harmless value for
// free-text boxes.
func dashboardVars(d *Dashboard) map[string]string {
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		switch {
		case v.IncludeAll:
			vars[v.Name] = v.AllValue
		case v.Type == "textbox":
			vars[v.Name] = ""
		}
	}
	return vars
}

// labelValuesQuery matches a Prometheus variable's label_values(selector,
// label).
var labelValuesQuery = regexp.MustCompile(`^\s*label_values\((.+),\s*(\w+)\s*\)\s*$`)

// promQuery is one PromQL expression ShopLab's Grafana runs, ready to
// send to Prometheus.
type promQuery struct {
	where    string
	expr     string
	exemplar bool
	// label is set for label_values variables: the label whose values
	// the variable lists.
	label string
	// group names queries of which one must pass: the trace-to-metrics
	// links, tried with each service's $__tags.
	group string
}

// loadDashboards reads every dashboard, failing the test if one does not
// parse.
func loadDashboards(t *testing.T) map[string]*Dashboard {
	t.Helper()
	ds, err := LoadDir(dashboardsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) == 0 {
		t.Fatalf("no dashboards in %s", dashboardsDir)
	}
	return ds
}

// promQueries returns every PromQL of the dashboards (panel targets and
// label_values variables) and of the Tempo data source's trace-to-metrics
// links, with Grafana's variables replaced. tagValues are the values
// tried for trace-to-metrics's $__tags (one query per value).
func promQueries(t *testing.T, tagValues ...string) []promQuery {
	t.Helper()
	var out []promQuery
	dashboards := loadDashboards(t)
	for _, file := range sortedKeys(dashboards) {
		d := dashboards[file]
		vars := dashboardVars(d)
		for _, q := range d.Queries() {
			if q.Datasource.Type != "prometheus" {
				continue
			}
			expr := expand(t, q.Where, q.Text, vars)
			pq := promQuery{where: q.Where, expr: expr, exemplar: q.Exemplar}
			if q.Variable {
				m := labelValuesQuery.FindStringSubmatch(expr)
				if m == nil {
					t.Errorf("%s: %q is not label_values(selector, label)", q.Where, q.Text)
					continue
				}
				pq.expr, pq.label = m[1], m[2]
			}
			out = append(out, pq)
		}
	}
	for _, tm := range provisionedDatasources(t).Tempo().JSONData.TracesToMetrics.Queries {
		// $$ is the provisioning file's escape for a literal $.
		text := strings.ReplaceAll(tm.Query, "$$", "$")
		for _, tags := range tagValues {
			where := "Tempo data source: trace to metrics " + tm.Name + " with " + tags
			out = append(out, promQuery{where: where, group: tm.Name, expr: expand(t, where, text, map[string]string{"__tags": tags})})
		}
	}
	return out
}

// byGroup runs check on every query; a query of a group passes when one
// query of its group passes. Failures are reported with t.Errorf.
func byGroup(t *testing.T, queries []promQuery, check func(promQuery) []string) {
	t.Helper()
	failures := map[string][]string{}
	passed := map[string]bool{}
	var order []string
	for _, q := range queries {
		key := q.group
		if key == "" {
			key = q.where
		}
		if _, seen := failures[key]; !seen {
			order = append(order, key)
			failures[key] = nil
		}
		errs := check(q)
		if len(errs) == 0 {
			passed[key] = true
		}
		for _, e := range errs {
			failures[key] = append(failures[key], q.where+": "+e)
		}
	}
	for _, key := range order {
		if passed[key] {
			continue
		}
		for _, e := range failures[key] {
			t.Error(e)
		}
	}
}

// parsePromQL parses expr with Prometheus's own parser, with its default
// options: no experimental functions, which Grafana's Prometheus may lack.
func parsePromQL(expr string) (parser.Expr, error) {
	return parser.NewParser(parser.Options{}).ParseExpr(expr)
}

// selectorUse is one vector selector of a query, with the labels the
// query groups its series by.
type selectorUse struct {
	matchers []*labels.Matcher
	grouping []string
}

func (s selectorUse) String() string {
	parts := make([]string, len(s.matchers))
	for i, m := range s.matchers {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// metricName returns the selector's metric name.
func (s selectorUse) metricName() string {
	for _, m := range s.matchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// selectors lists expr's vector selectors. Each gets the grouping labels
// of the by() aggregations around it: those labels must be on its series.
func selectors(expr parser.Expr) []selectorUse {
	var out []selectorUse
	parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		use := selectorUse{matchers: vs.LabelMatchers}
		for _, p := range path {
			if agg, ok := p.(*parser.AggregateExpr); ok && !agg.Without {
				use.grouping = append(use.grouping, agg.Grouping...)
			}
		}
		out = append(out, use)
		return nil
	})
	return out
}

// literalAlternation matches a regex that is only literal alternatives.
var literalAlternation = regexp.MustCompile(`^[A-Za-z0-9_/{}-]+(\|[A-Za-z0-9_/{}-]+)+$`)

// literalAlternatives splits a regex like "orders|catalog" into its
// literal alternatives; nil when the regex is anything else.
func literalAlternatives(re string) []string {
	if !literalAlternation.MatchString(re) {
		return nil
	}
	return strings.Split(re, "|")
}

// datasourcesConfig is provisioning/datasources/datasources.yaml.
type datasourcesConfig struct {
	APIVersion  int                     `yaml:"apiVersion"`
	Datasources []provisionedDatasource `yaml:"datasources"`
}

type provisionedDatasource struct {
	Name      string `yaml:"name"`
	Type      string `yaml:"type"`
	UID       string `yaml:"uid"`
	URL       string `yaml:"url"`
	IsDefault bool   `yaml:"isDefault"`
	JSONData  struct {
		TimeInterval                string `yaml:"timeInterval"`
		ExemplarTraceIDDestinations []struct {
			Name          string `yaml:"name"`
			DatasourceUID string `yaml:"datasourceUid"`
		} `yaml:"exemplarTraceIdDestinations"`
		DerivedFields []struct {
			Name          string `yaml:"name"`
			MatcherType   string `yaml:"matcherType"`
			MatcherRegex  string `yaml:"matcherRegex"`
			DatasourceUID string `yaml:"datasourceUid"`
			URL           string `yaml:"url"`
		} `yaml:"derivedFields"`
		TracesToLogsV2 struct {
			DatasourceUID   string       `yaml:"datasourceUid"`
			FilterByTraceID bool         `yaml:"filterByTraceID"`
			CustomQuery     bool         `yaml:"customQuery"`
			Tags            []tagMapping `yaml:"tags"`
		} `yaml:"tracesToLogsV2"`
		TracesToMetrics struct {
			DatasourceUID string       `yaml:"datasourceUid"`
			Tags          []tagMapping `yaml:"tags"`
			Queries       []struct {
				Name  string `yaml:"name"`
				Query string `yaml:"query"`
			} `yaml:"queries"`
		} `yaml:"tracesToMetrics"`
		ServiceMap struct {
			DatasourceUID string `yaml:"datasourceUid"`
		} `yaml:"serviceMap"`
		NodeGraph struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"nodeGraph"`
	} `yaml:"jsonData"`
}

// tagMapping maps a span attribute (key) to a label name (value).
type tagMapping struct {
	Key   string `yaml:"key"`
	Value string `yaml:"value"`
}

func provisionedDatasources(t *testing.T) datasourcesConfig {
	t.Helper()
	var c datasourcesConfig
	readYAML(t, datasourcesFile, &c)
	return c
}

// byUID returns the data source with uid, or nil.
func (c datasourcesConfig) byUID(uid string) *provisionedDatasource {
	for i := range c.Datasources {
		if c.Datasources[i].UID == uid {
			return &c.Datasources[i]
		}
	}
	return nil
}

// Tempo returns the Tempo data source (an empty one when missing; the
// consistency test reports that).
func (c datasourcesConfig) Tempo() provisionedDatasource {
	for _, d := range c.Datasources {
		if d.Type == "tempo" {
			return d
		}
	}
	return provisionedDatasource{}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
