package build

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Replicas: every ShopLab service instance exposes target_info (package
// telemetry), one series whose labels are its OpenTelemetry resource:
// service_instance_id (the ID on its spans and log lines), host_name and,
// in Kubernetes, k8s_pod_name, k8s_namespace_name and k8s_node_name.
// Prometheus adds job and instance (the scraped host:port; a pod's IP:port
// in Kubernetes). The panels below split by instance: one series per
// replica, so as many as there are replicas, never per request or user.

// targetInfo selects the target_info series of ShopLab's services (other
// OpenTelemetry programs a Prometheus scrapes expose one too).
const targetInfo = `target_info{service_namespace="shopease"}`

// InInstance is the matcher of the $instance variable.
const InInstance = `instance=~"$instance"`

// InstanceVariable is $instance: the scraped targets (host:port) of the
// shop's service instances, the replicas.
func InstanceVariable() *dashboard.QueryVariableBuilder {
	return promLabelVariable("instance", "Instance",
		"Service instance: the Prometheus scrape target (host:port; a pod's IP:port in Kubernetes). The Service instances table maps it to the service.instance.id of its spans and log lines.",
		targetInfo, "instance")
}

// InstancesTable lists the service instances the selection keeps, one row
// each: job and instance from the scrape, service_instance_id and the
// other resource attributes from target_info. It is the join table
// between a slow instance on a graph and its traces and logs.
func InstancesTable() *table.PanelBuilder {
	return Table(Text{"Service instances", "One row per running service instance (replica), from target_info: job and instance are Prometheus's scrape target; service_instance_id is the service.instance.id on the instance's spans (TraceQL `{resource.service.instance.id=\"…\"}`) and the service_instance_id field of its log lines (LogQL `{job=\"shoplab\"} | json | service_instance_id=\"…\"`); host_name and the k8s_* columns say where it runs."}, "none").
		Height(6).
		// Every label becomes a column, so the k8s_* ones appear where
		// they are set.
		WithTarget(PromTable(RefID(0), selectorOf(targetInfo, InInstance))).
		WithTransformation(Organize([]string{"Time", "Value", "__name__", "service_namespace"}, map[string]string{}))
}

// InstancesPerService is how many instances of each service Prometheus
// scrapes right now: a replica that stops answering drops out.
func InstancesPerService() *stat.PanelBuilder {
	return Stat(Text{"Instances per service", "Service instances Prometheus scraped at its last scrape, per job (count of target_info). A replica that crashed or stopped answering drops out within a scrape interval or two."}, "short").
		Span(ThirdWidth).Height(GraphHeight).
		Decimals(0).
		WithTarget(PromRange(RefID(0), "count by (job) ("+targetInfo+")", "{{job}}"))
}

// RateByInstance is a graph of counter's rate per instance (and per the
// other labels of by), over the series matchers select.
func RateByInstance(t Text, counter, matchers string, by ...string) *timeseries.PanelBuilder {
	by = append(by, "instance")
	return Graph(t, "reqps").
		WithTarget(PromRange(RefID(0), Sum(by, Rate(counter, matchers, RateInterval)), Legend(by, "")))
}

// SlowestInstances is the q latency of the k slowest instances of
// histogram, per instance and the other labels of by, with exemplars:
// topk keeps the graph readable with many replicas.
func SlowestInstances(t Text, k int, q Quantile, histogram, matchers string, by ...string) *timeseries.PanelBuilder {
	by = append(by, "instance")
	return Graph(t, "s").
		WithTarget(PromRange(RefID(0), fmt.Sprintf("topk(%d, %s)", k, HistogramQuantile(q, histogram, matchers, by)), Legend(by, "")).
			Exemplar(true))
}

// selectorOf adds matchers to a selector written with its braces,
// metric{a="b"}.
func selectorOf(selector string, matchers ...string) string {
	i := strings.IndexByte(selector, '{')
	if i < 0 {
		return selector + Selector(matchers...)
	}
	inner := strings.TrimSuffix(selector[i+1:], "}")
	return selector[:i] + Selector(append([]string{inner}, matchers...)...)
}
