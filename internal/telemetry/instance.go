package telemetry

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/shoplab/shoplab/internal/config"
)

// Instance is what package config read about which replica this is
// (SHOPLAB_INSTANCE_ID, POD_NAME, POD_NAMESPACE, NODE_NAME). The zero
// value is a process outside Kubernetes with no configured ID.
type Instance = config.Instance

// TargetInfo is the metric that carries a service instance's resource
// attributes (OpenTelemetry's Prometheus compatibility: an SDK's pull
// endpoint exposes them as one target_info series, value 1). Prometheus
// adds job and instance when it scrapes, which joins the two worlds:
// instance (the scraped host:port) to service_instance_id (the ID on the
// instance's spans and log lines).
const TargetInfo = "target_info"

// identity is the resource attributes that tell one service instance
// apart from the other replicas of its service.
type identity struct {
	// instanceID is service.instance.id, never empty.
	instanceID string
	attrs      []attribute.KeyValue
}

// newIdentity works out service's identity. service.instance.id is, in
// order:
//   - SHOPLAB_INSTANCE_ID, as is;
//   - in Kubernetes (POD_NAME set), <namespace>.<pod>.<service>: the
//     semantic conventions' recipe for a pod (namespace, pod and container
//     names joined by dots; each ShopLab container is named for the
//     service it runs), stable across a container's restarts;
//   - else a random UUID (version 4), the conventions' default: one per
//     call, so that every service instance of a process (`shoplab up
//     --local` runs the five in one) and every lab a test starts has its
//     own.
//
// host.name is the machine's (the pod's, in Kubernetes) host name, left
// out when it cannot be read; the k8s.* attributes are set from the
// downward API's variables when they are.
func newIdentity(service string, in Instance) (identity, error) {
	id := in.ID
	switch {
	case id != "":
	case in.PodName != "":
		id = strings.Join(nonEmpty(in.PodNamespace, in.PodName, service), ".")
	default:
		u, err := uuid.NewRandom()
		if err != nil {
			return identity{}, fmt.Errorf("service instance ID: %w", err)
		}
		id = u.String()
	}
	attrs := []attribute.KeyValue{semconv.ServiceInstanceID(id)}
	if host, err := os.Hostname(); err == nil && host != "" {
		attrs = append(attrs, semconv.HostName(host))
	}
	for _, a := range []struct {
		key   attribute.Key
		value string
	}{
		{semconv.K8SPodNameKey, in.PodName},
		{semconv.K8SNamespaceNameKey, in.PodNamespace},
		{semconv.K8SNodeNameKey, in.NodeName},
	} {
		if a.value != "" {
			attrs = append(attrs, a.key.String(a.value))
		}
	}
	return identity{instanceID: id, attrs: attrs}, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// newTargetInfo is the target_info gauge of a resource's attributes: one
// label per attribute, dots turned into underscores (service.instance.id
// becomes service_instance_id). Its cardinality is one series per service
// instance, so the number of replicas.
func newTargetInfo(attrs []attribute.KeyValue) prometheus.Collector {
	labels := prometheus.Labels{}
	for _, a := range attrs {
		labels[strings.ReplaceAll(string(a.Key), ".", "_")] = a.Value.Emit()
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        TargetInfo,
		Help:        "Target metadata: the service instance's OpenTelemetry resource attributes, as labels.",
		ConstLabels: labels,
	}, func() float64 { return 1 })
}
