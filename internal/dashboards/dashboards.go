// Package dashboards describes ShopLab's Grafana dashboards: the JSON
// models in the repository's dashboards/ directory, which Grafana loads
// through provisioning/dashboards/dashboards.yaml into the folder "ShopLab".
//
// It names the dashboards (their UIDs are fixed, so links to them never
// break) and reads a dashboard's queries, so that tests can hold every query
// against the metrics and log labels the services really produce.
package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Dashboard UIDs: Grafana serves a dashboard at /d/<uid>.
const (
	OverviewUID = "shoplab-overview"
	CheckoutUID = "shoplab-checkout"
	LogsUID     = "shoplab-logs"
)

// Folder is the Grafana folder the dashboards are provisioned into.
const Folder = "ShopLab"

// Info names one of ShopLab's dashboards.
type Info struct {
	UID   string
	Title string
	// File is the dashboard's file name in dashboards/.
	File string
}

// All lists ShopLab's dashboards, in the order a reader meets them.
func All() []Info {
	return []Info{
		{UID: OverviewUID, Title: "ShopLab overview", File: "overview.json"},
		{UID: CheckoutUID, Title: "Checkout", File: "checkout.json"},
		{UID: LogsUID, Title: "Logs & traces", File: "logs.json"},
	}
}

// URL is where the Grafana at base (such as http://localhost:4000) shows
// the dashboard uid.
func URL(base, uid string) string {
	return strings.TrimRight(base, "/") + "/d/" + uid
}

// DataSourceRef points at a data source by type and UID, as panels,
// targets and variables do.
type DataSourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Dashboard is the part of a Grafana dashboard JSON model that ShopLab
// checks.
type Dashboard struct {
	// ID must be null in a provisioned file: Grafana assigns it.
	ID            json.RawMessage `json:"id"`
	UID           string          `json:"uid"`
	Title         string          `json:"title"`
	SchemaVersion int             `json:"schemaVersion"`
	Panels        []Panel         `json:"panels"`
	Templating    struct {
		List []Variable `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []Annotation `json:"list"`
	} `json:"annotations"`
}

// Panel is a panel, or a row holding panels.
type Panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *DataSourceRef `json:"datasource"`
	Targets    []Target       `json:"targets"`
	// Panels are a collapsed row's panels.
	Panels []Panel `json:"panels"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string         `json:"refId"`
	Datasource *DataSourceRef `json:"datasource"`
	// Expr is a PromQL or LogQL expression.
	Expr string `json:"expr"`
	// Query is a TraceQL query (Tempo).
	Query     string `json:"query"`
	QueryType string `json:"queryType"`
	Exemplar  bool   `json:"exemplar"`
	Instant   bool   `json:"instant"`
}

// Variable is a template variable.
type Variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Datasource *DataSourceRef  `json:"datasource"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

// Annotation is an annotation query.
type Annotation struct {
	Name       string         `json:"name"`
	BuiltIn    int            `json:"builtIn"`
	Datasource *DataSourceRef `json:"datasource"`
	// Expr and TagKeys are a Loki annotation's query and the labels that
	// become its tags.
	Expr    string `json:"expr"`
	TagKeys string `json:"tagKeys"`
}

// QueryText returns the variable's query: Grafana stores it either as a
// string or, for Prometheus query variables, as an object with a query
// field.
func (v Variable) QueryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(v.Query, &o) == nil && o.Query != "" {
		return o.Query
	}
	return v.Definition
}

// Values returns a custom variable's values (its comma-separated query).
func (v Variable) Values() []string {
	var out []string
	for _, s := range strings.Split(v.QueryText(), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Load reads one dashboard file.
func Load(path string) (*Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// LoadDir reads every *.json dashboard in dir, keyed by file name.
func LoadDir(dir string) (map[string]*Dashboard, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	out := map[string]*Dashboard{}
	for _, f := range files {
		d, err := Load(f)
		if err != nil {
			return nil, err
		}
		out[filepath.Base(f)] = d
	}
	return out, nil
}

// AllPanels returns every panel, rows' panels included, rows themselves
// too.
func (d *Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// Query is one query of a dashboard and where it comes from.
type Query struct {
	// Where names the panel and target, or the variable, for messages.
	Where      string
	Datasource DataSourceRef
	// Text is the PromQL, LogQL or TraceQL, with Grafana's variables
	// unexpanded.
	Text string
	// Exemplar is set on targets that ask for exemplars.
	Exemplar bool
	// Variable marks a template variable's query.
	Variable bool
	// PanelType is the panel's visualization (empty for variables).
	PanelType string
}

// Queries returns every panel target's query (the target's data source,
// or else its panel's) and every query variable's, in dashboard order.
func (d *Dashboard) Queries() []Query {
	var out []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			ds := t.Datasource
			if ds == nil {
				ds = p.Datasource
			}
			q := Query{
				Where:     fmt.Sprintf("%s: panel %q target %s", d.UID, p.Title, t.RefID),
				Text:      t.Expr,
				Exemplar:  t.Exemplar,
				PanelType: p.Type,
			}
			if ds != nil {
				q.Datasource = *ds
			}
			if q.Text == "" {
				q.Text = t.Query
			}
			out = append(out, q)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := Query{Where: fmt.Sprintf("%s: variable %s", d.UID, v.Name), Text: v.QueryText(), Variable: true}
		if v.Datasource != nil {
			q.Datasource = *v.Datasource
		}
		out = append(out, q)
	}
	return out
}

// DataSourceRefs returns every data source reference in the dashboard
// (panels, targets, variables, annotations), each with where it is.
func (d *Dashboard) DataSourceRefs() map[string]DataSourceRef {
	out := map[string]DataSourceRef{}
	for _, p := range d.AllPanels() {
		if p.Datasource != nil {
			out[fmt.Sprintf("panel %q", p.Title)] = *p.Datasource
		}
		for _, t := range p.Targets {
			if t.Datasource != nil {
				out[fmt.Sprintf("panel %q target %s", p.Title, t.RefID)] = *t.Datasource
			}
		}
	}
	for _, v := range d.Templating.List {
		if v.Datasource != nil {
			out["variable "+v.Name] = *v.Datasource
		}
	}
	for _, a := range d.Annotations.List {
		if a.Datasource != nil {
			out["annotation "+a.Name] = *a.Datasource
		}
	}
	return out
}
