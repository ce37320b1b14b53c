package doctor

import (
	"context"
	"net/http"

	dto "github.com/prometheus/client_model/go"

	"github.com/shoplab/shoplab/internal/exposition"
	"github.com/shoplab/shoplab/internal/topology"
)

// The gateway's metrics the probe moves.
const (
	requestsMetric = "shoplab_http_requests_total"
	durationMetric = "shoplab_http_request_duration_seconds"
)

func (d *Doctor) scrape(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	return scrapeFamilies(ctx, d.http, url)
}

// scrapeFamilies reads the /metrics page at url by metric name, with the
// exemplars the gateway's latency histogram carries.
func scrapeFamilies(ctx context.Context, hc *http.Client, url string) (map[string]*dto.MetricFamily, error) {
	fams, err := exposition.Scrape(ctx, hc, url)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*dto.MetricFamily, len(fams))
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out, nil
}

// probeLabels are the gateway's labels of the probe's request.
func probeLabels(region string) map[string]string {
	return map[string]string{"route": probeRoute, "method": probeMethod, "status": probeStatus, "region": region}
}

// gatewayCounter is the gateway's own count of requests like the probe.
func (d *Doctor) gatewayCounter(ctx context.Context, region string) (float64, error) {
	fams, err := d.scrape(ctx, endpoint(d.cfg.Services, topology.Gateway).MetricsURL)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, m := range fams[requestsMetric].GetMetric() {
		if hasLabels(m, probeLabels(region)) {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum, nil
}

// gatewayExemplars lists the trace IDs of the exemplars on the gateway's
// latency histogram for the probe's route and region.
func (d *Doctor) gatewayExemplars(ctx context.Context, region string) ([]string, error) {
	fams, err := d.scrape(ctx, endpoint(d.cfg.Services, topology.Gateway).MetricsURL)
	if err != nil {
		return nil, err
	}
	want := map[string]string{"route": probeRoute, "method": probeMethod, "region": region}
	var ids []string
	for _, m := range fams[durationMetric].GetMetric() {
		if !hasLabels(m, want) {
			continue
		}
		for _, b := range m.GetHistogram().GetBucket() {
			for _, l := range b.GetExemplar().GetLabel() {
				if l.GetName() == "trace_id" {
					ids = append(ids, l.GetValue())
				}
			}
		}
	}
	return ids, nil
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
