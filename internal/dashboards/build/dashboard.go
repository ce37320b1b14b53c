package build

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/shoplab/shoplab/internal/dashboards"
)

// New starts one of ShopLab's dashboards: its fixed UID and title, the tag
// shoplab (which the dashboards menu lists) and tags, the last 30 minutes
// refreshed every 10 seconds, a crosshair shared by all graphs, Grafana's
// own annotations and the menu of ShopLab's dashboards.
func New(info dashboards.Info, description string, tags ...string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(info.Title).
		Uid(info.UID).
		Description(description).
		Tags(append([]string{"shoplab"}, tags...)).
		Timezone("browser").
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Time("now-30m", "now").
		Refresh("10s").
		Annotation(BuiltInAnnotations()).
		Link(DashboardsMenu())
}

// DashboardsMenu is a drop-down of every dashboard tagged shoplab, keeping
// the time range.
func DashboardsMenu() *dashboard.DashboardLinkBuilder {
	return dashboard.NewDashboardLinkBuilder("ShopLab dashboards").
		Type(dashboard.DashboardLinkTypeDashboards).
		Tags([]string{"shoplab"}).
		AsDropdown(true).
		KeepTime(true).
		Icon("external link")
}

// WithPanels adds panels to d, left to right and then downwards.
func WithPanels(d *dashboard.DashboardBuilder, panels ...cog.Builder[dashboard.Panel]) *dashboard.DashboardBuilder {
	for _, p := range panels {
		d.WithPanel(p)
	}
	return d
}

// Row adds a row, open, titled title: the panels added after it are in it.
func Row(d *dashboard.DashboardBuilder, title string) *dashboard.DashboardBuilder {
	return d.WithRow(dashboard.NewRowBuilder(title).Collapsed(false))
}
