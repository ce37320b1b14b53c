// Package build builds ShopLab's Grafana dashboards in Go with Grafana's
// Foundation SDK (github.com/grafana/grafana-foundation-sdk/go), whose
// types and builders are generated from Grafana's own schemas: a misspelt
// field or an option of the wrong type does not compile.
//
// `make dashboards` writes them to the repository's dashboards/ directory,
// which Grafana provisions; a test fails when the committed files differ
// from what the code generates. The shared parts (data sources, the
// region/route/backend variables, the RED panels, latency graphs with
// exemplars, the annotation of load runs) are exported for new
// dashboards.
//
// The package is apart from internal/dashboards so that the shoplab
// binary, which only needs the dashboards' names, does not link the SDK.
package build

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/shoplab/shoplab/internal/dashboards"
)

// builders returns each dashboard's builder, by UID.
func builders() map[string]func(dashboards.Info) *dashboard.DashboardBuilder {
	return map[string]func(dashboards.Info) *dashboard.DashboardBuilder{
		dashboards.OverviewUID: Overview,
		dashboards.CheckoutUID: Checkout,
		dashboards.LogsUID:     LogsAndTraces,
		dashboards.SLOUID:      SLOs,
	}
}

// Dashboards builds every dashboard of dashboards.All, keyed by file
// name.
func Dashboards() (map[string]dashboard.Dashboard, error) {
	byUID := builders()
	out := map[string]dashboard.Dashboard{}
	for _, info := range dashboards.All() {
		build, ok := byUID[info.UID]
		if !ok {
			return nil, fmt.Errorf("no builder for dashboard %s", info.UID)
		}
		d, err := build(info).Build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", info.UID, err)
		}
		finish(&d)
		out[info.File] = d
	}
	return out, nil
}

// finish numbers the panels in order (Grafana needs an id unique within
// the dashboard) and puts links and annotation toggles back above the
// panels: the SDK sets their placement to "inControlsMenu", the only value
// its schema knows, which would hide them in Grafana's controls menu.
func finish(d *dashboard.Dashboard) {
	var id uint32
	next := func() uint32 { id++; return id }
	for _, p := range d.Panels {
		switch {
		case p.Panel != nil:
			p.Panel.Id = cog.ToPtr(next())
		case p.RowPanel != nil:
			p.RowPanel.Id = next()
			for i := range p.RowPanel.Panels {
				p.RowPanel.Panels[i].Id = cog.ToPtr(next())
			}
		}
	}
	for i := range d.Links {
		d.Links[i].Placement = nil
	}
	for i := range d.Annotations.List {
		d.Annotations.List[i].Placement = nil
	}
}

// Files returns every dashboard's JSON, keyed by file name: indented,
// fields in the schema's order, so that the same code always writes the
// same bytes.
func Files() (map[string][]byte, error) {
	ds, err := Dashboards()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for file, d := range ds {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // keep "&", "<" and ">" readable
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out[file] = b.Bytes()
	}
	return out, nil
}

// Write writes every dashboard into dir.
func Write(dir string) error {
	files, err := Files()
	if err != nil {
		return err
	}
	for file, b := range files {
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
