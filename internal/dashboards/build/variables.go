package build

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/topology"
)

// AllValue is what a multi-value variable set to All puts into a query: a
// regex matching every value, so that `label=~"$var"` also matches values
// that appeared after the dashboard loaded.
const AllValue = ".*"

// RegionVariable is $region: the client regions (X-Region) of the
// gateway's requests.
func RegionVariable() *dashboard.QueryVariableBuilder {
	return promLabelVariable("region", "Region", "Client region (X-Region header).",
		"shoplab_http_requests_total", "region")
}

// RouteVariable is $route: the gateway's route templates in the selected
// regions.
func RouteVariable() *dashboard.QueryVariableBuilder {
	return promLabelVariable("route", "Route", "Gateway route template.",
		`shoplab_http_requests_total{region=~"$region"}`, "route")
}

// BackendVariable is $job: the backend services, by their Prometheus job
// (the service name).
func BackendVariable() *dashboard.QueryVariableBuilder {
	return promLabelVariable("job", "Backend", "Backend service (Prometheus job = service name).",
		"grpc_server_handled_total", "job")
}

// promLabelVariable lists the values label takes on the series selector
// picks in the dashboard's time range; several can be chosen, All by
// default.
func promLabelVariable(name, label, description, selector, labelName string) *dashboard.QueryVariableBuilder {
	query := "label_values(" + selector + ", " + labelName + ")"
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Description(description).
		Datasource(Prometheus()).
		Definition(query).
		// The object form is what Grafana's Prometheus variable editor
		// saves (qryType 1: a label_values query).
		Query(dashboard.StringOrMap{Map: map[string]any{
			"qryType": 1,
			"query":   query,
			"refId":   "PrometheusVariableQueryEditor-VariableQuery",
		}}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).
		IncludeAll(true).
		AllValue(AllValue).
		Current(allSelected()).
		Options([]dashboard.VariableOption{}).
		Regex("").
		Hide(dashboard.VariableHideDontHide)
}

// LogServiceVariable is $service on logs: the Loki label service, one
// value per ShopLab service.
func LogServiceVariable() *dashboard.CustomVariableBuilder {
	return valuesVariable("service", "Service", "Service that wrote the line (Loki label service).",
		slices.Sorted(slices.Values(topology.Services())))
}

// LogLevelVariable is $level on logs: the Loki label level, the slog
// levels, most severe first.
func LogLevelVariable() *dashboard.CustomVariableBuilder {
	return valuesVariable("level", "Level", "Log level (Loki label level).", []string{
		slog.LevelError.String(), slog.LevelWarn.String(), slog.LevelInfo.String(), slog.LevelDebug.String(),
	})
}

// LogRegionVariable is $region on logs: the Loki label region, the known
// regions and unknown.
func LogRegionVariable() *dashboard.CustomVariableBuilder {
	return valuesVariable("region", "Region", "Client region (Loki label region).", append(region.All(), region.Unknown))
}

// valuesVariable is a multi-value variable of fixed values, All by
// default. Loki labels are not listed from Loki because the values are
// known: they appear before the first line carries them.
func valuesVariable(name, label, description string, values []string) *dashboard.CustomVariableBuilder {
	options := []dashboard.VariableOption{option("All", "$__all", true)}
	for _, v := range values {
		options = append(options, option(v, v, false))
	}
	return dashboard.NewCustomVariableBuilder(name).
		Label(label).
		Description(description).
		Values(dashboard.StringOrMap{String: cog.ToPtr(strings.Join(values, ","))}).
		Multi(true).
		IncludeAll(true).
		AllValue(AllValue).
		Current(allSelected()).
		Options(options).
		Hide(dashboard.VariableHideDontHide)
}

// TextVariable is a free-text box, empty at first.
func TextVariable(name, label, description string) *dashboard.TextBoxVariableBuilder {
	return dashboard.NewTextBoxVariableBuilder(name).
		Label(label).
		Description(description).
		DefaultValue(dashboard.StringOrMap{String: cog.ToPtr("")}).
		Current(dashboard.VariableOption{Selected: cog.ToPtr(false), Text: oneString(""), Value: oneString("")}).
		Options([]dashboard.VariableOption{option("", "", true)}).
		Hide(dashboard.VariableHideDontHide)
}

func allSelected() dashboard.VariableOption {
	return dashboard.VariableOption{
		Selected: cog.ToPtr(true),
		Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
		Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
	}
}

func option(text, value string, selected bool) dashboard.VariableOption {
	return dashboard.VariableOption{Selected: cog.ToPtr(selected), Text: oneString(text), Value: oneString(value)}
}

func oneString(s string) dashboard.StringOrArrayOfString {
	return dashboard.StringOrArrayOfString{String: &s}
}
