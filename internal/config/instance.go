package config

import "regexp"

// Instance says which replica of a service a process is: what its
// telemetry uses to tell it apart from the other replicas of the same
// service. Every field is optional; package telemetry works out
// service.instance.id from them: ID, else <namespace>.<pod>.<service> in
// Kubernetes, else a random UUID per service instance.
type Instance struct {
	// ID is SHOPLAB_INSTANCE_ID: service.instance.id, used as is.
	ID string
	// PodName, PodNamespace and NodeName are POD_NAME, POD_NAMESPACE and
	// NODE_NAME, which a Kubernetes manifest sets from the downward API
	// (fieldRef metadata.name, metadata.namespace and spec.nodeName).
	PodName      string
	PodNamespace string
	NodeName     string
}

// instanceID is what an instance ID may look like: printable, no blanks
// (it goes into log lines, span resources and a Prometheus label value),
// and no longer than a Kubernetes object name.
var instanceID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,252}$`)

func (r *reader) instance() Instance {
	in := Instance{
		ID:           r.str("SHOPLAB_INSTANCE_ID"),
		PodName:      r.str("POD_NAME"),
		PodNamespace: r.str("POD_NAMESPACE"),
		NodeName:     r.str("NODE_NAME"),
	}
	if in.ID != "" && !instanceID.MatchString(in.ID) {
		r.fail("SHOPLAB_INSTANCE_ID=%q: want 1-253 letters, digits and . _ : @ / + = -, starting with a letter or digit", in.ID)
	}
	return in
}
