package build

import (
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/logs"
	"github.com/grafana/grafana-foundation-sdk/go/piechart"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/text"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Grid sizes: Grafana's grid is 24 columns wide.
const (
	FullWidth  = 24
	HalfWidth  = 12
	ThirdWidth = 8
	// GraphHeight is the height of a graph, in grid rows.
	GraphHeight = 8
)

// Text is a panel's title and description (the tooltip of its ⓘ).
type Text struct {
	Title, Description string
}

// Graph is a time series panel of Prometheus queries in ShopLab's style:
// thin lines over a light fill, no points, the y axis from 0, a legend
// below and a tooltip listing every series, largest first. It is a third
// of the width.
func Graph(t Text, unit string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(t.Title).
		Description(t.Description).
		Datasource(Prometheus()).
		Span(ThirdWidth).
		Height(GraphHeight).
		Unit(unit).
		DrawStyle(common.GraphDrawStyleLine).
		LineWidth(1).
		FillOpacity(10).
		ShowPoints(common.VisibilityModeNever).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		AxisSoftMin(0).
		Legend(listLegend()).
		Tooltip(allSeriesTooltip())
}

// Stacked turns g into a stacked area graph: the top of the stack is the
// total, each band one series' share of it.
func Stacked(g *timeseries.PanelBuilder) *timeseries.PanelBuilder {
	return g.FillOpacity(40).Stacking(stackNormally())
}

// Stat is a single-value panel of Prometheus queries: the last value,
// large, over a sparkline of the time range. It is a quarter of the width.
func Stat(t Text, unit string) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(t.Title).
		Description(t.Description).
		Datasource(Prometheus()).
		Span(FullWidth / 4).
		Height(GraphHeight / 2).
		Unit(unit).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		Thresholds(Thresholds("green")).
		ReduceOptions(lastValue()).
		ColorMode(common.BigValueColorModeValue).
		GraphMode(common.BigValueGraphModeArea).
		TextMode(common.BigValueTextModeAuto).
		JustifyMode(common.BigValueJustifyModeAuto).
		Orientation(common.VizOrientationAuto)
}

// Threshold is a colour from a value on.
type Threshold struct {
	From  float64
	Color string
}

// Thresholds are absolute thresholds: base below the first step, then
// each step's colour from its value on.
func Thresholds(base string, steps ...Threshold) *dashboard.ThresholdsConfigBuilder {
	all := []dashboard.Threshold{{Color: base}} // a nil value is -Infinity
	for _, s := range steps {
		all = append(all, dashboard.Threshold{Value: cog.ToPtr(s.From), Color: s.Color})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(all)
}

// Table is a table panel of Prometheus queries, the full width.
func Table(t Text, unit string) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title(t.Title).
		Description(t.Description).
		Datasource(Prometheus()).
		Span(FullWidth).
		Height(GraphHeight).
		Unit(unit).
		Align(common.FieldTextAlignmentAuto).
		CellOptions(common.TableCellOptions{TableAutoCellOptions: common.NewTableAutoCellOptions()}).
		ShowHeader(true).
		Footer(noFooter()).
		CellHeight(common.TableCellHeightSm)
}

// PieChart is a donut of Prometheus instant queries, its legend a table
// of values and shares on the right. It is a third of the width.
func PieChart(t Text, unit string) *piechart.PanelBuilder {
	return piechart.NewPanelBuilder().
		Title(t.Title).
		Description(t.Description).
		Datasource(Prometheus()).
		Span(ThirdWidth).
		Height(GraphHeight).
		Unit(unit).
		PieType(piechart.PieChartTypeDonut).
		Orientation(common.VizOrientationAuto).
		ReduceOptions(lastValue()).
		Legend(piechart.NewPieChartLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementRight).
			ShowLegend(true).
			Values([]piechart.PieChartLegendValues{piechart.PieChartLegendValuesValue, piechart.PieChartLegendValuesPercent})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone))
}

// Bars is a horizontal bar gauge of Prometheus instant queries, one bar
// per series, green to red from 0 to the largest. It is half the width.
func Bars(t Text, unit string) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Title(t.Title).
		Description(t.Description).
		Datasource(Prometheus()).
		Span(HalfWidth).
		Height(GraphHeight).
		Unit(unit).
		Min(0).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdContinuousGrYlRd)).
		DisplayMode(common.BarGaugeDisplayModeGradient).
		Orientation(common.VizOrientationHorizontal).
		ShowUnfilled(true).
		ValueMode(common.BarGaugeValueModeColor).
		NamePlacement(common.BarGaugeNamePlacementAuto).
		ReduceOptions(lastValue())
}

// LogCounts is a stacked bar chart of Loki metric queries, half the
// width: how many lines, of what kind, over time.
func LogCounts(t Text) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(t.Title).
		Description(t.Description).
		Datasource(Loki()).
		Span(HalfWidth).
		Height(GraphHeight).
		Unit("short").
		DrawStyle(common.GraphDrawStyleBars).
		FillOpacity(60).
		Stacking(stackNormally()).
		ShowPoints(common.VisibilityModeNever).
		Legend(listLegend()).
		Tooltip(allSeriesTooltip())
}

// LogLines is a logs panel of Loki log queries, the full width: each line with
// its time, wrapped, expandable into its fields (where the derived field
// links trace_id to Tempo).
func LogLines(t Text, height uint32) *logs.PanelBuilder {
	return logs.NewPanelBuilder().
		Title(t.Title).
		Description(t.Description).
		Datasource(Loki()).
		Span(FullWidth).
		Height(height).
		ShowTime(true).
		WrapLogMessage(true).
		EnableLogDetails(true).
		DedupStrategy(common.LogsDedupStrategyNone)
}

// Markdown is a text panel, the full width.
func Markdown(title, content string, height uint32) *text.PanelBuilder {
	return text.NewPanelBuilder().
		Title(title).
		Span(FullWidth).
		Height(height).
		Mode(text.TextModeMarkdown).
		Content(content).
		Code(text.NewCodeOptionsBuilder().Language(text.CodeLanguagePlaintext))
}

// TraceTable is a table of Tempo trace searches, half the width, slowest
// trace first.
func TraceTable(t Text) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title(t.Title).
		Description(t.Description).
		Datasource(Tempo()).
		Span(HalfWidth).
		Height(10).
		Unit("none").
		Align(common.FieldTextAlignmentAuto).
		CellOptions(common.TableCellOptions{TableAutoCellOptions: common.NewTableAutoCellOptions()}).
		ShowHeader(true).
		Footer(noFooter()).
		CellHeight(common.TableCellHeightSm).
		SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName("Duration").Desc(true),
		})
}

func listLegend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().
		DisplayMode(common.LegendDisplayModeList).
		Placement(common.LegendPlacementBottom).
		ShowLegend(true)
}

func allSeriesTooltip() *common.VizTooltipOptionsBuilder {
	return common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)
}

func stackNormally() *common.StackingConfigBuilder {
	return common.NewStackingConfigBuilder().Mode(common.StackingModeNormal).Group("A")
}

// noFooter hides a table's footer; its reducer is set all the same
// (Grafana's default) because the SDK would leave it null.
func noFooter() *common.TableFooterOptionsBuilder {
	return common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"}).CountRows(false)
}

// lastValue reduces each series to its last non-null value.
func lastValue() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("").Values(false)
}
