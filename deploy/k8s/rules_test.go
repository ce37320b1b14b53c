package k8s_test

import (
	"fmt"
	"maps"
	"net"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/topology"
)

// secretName matches the names of variables whose values are secrets:
// they may only come from a Secret (valueFrom.secretKeyRef), never be
// written in a manifest. A database URL carries its password.
var secretName = regexp.MustCompile(`(?i)PASSWORD|SECRET|TOKEN|DATABASE_URL`)

// downward are the variables each pod sets from the downward API, with the
// field each must come from: what tells replicas apart in the telemetry.
var downward = map[string]string{
	"POD_NAME":      "metadata.name",
	"POD_NAMESPACE": "metadata.namespace",
	"NODE_NAME":     "spec.nodeName",
}

// profile says what a kustomization is for.
type profile struct {
	// scaled: every service is replicated, and each needs a disruption
	// budget.
	scaled bool
}

// check returns every way o breaks the rules, one line each; none is a
// pass.
func check(o objects, p profile) []string {
	var v []string
	bad := func(format string, args ...any) { v = append(v, fmt.Sprintf(format, args...)) }
	declared := map[string]bool{}
	for _, d := range config.Vars() {
		declared[d.Name] = true
	}
	for _, s := range o.secrets {
		if len(s.Data) > 0 || len(s.StringData) > 0 {
			bad("Secret %s: has data in the repository; reference a Secret the operator creates", s.Name)
		}
	}
	for _, c := range o.configMaps {
		for k, val := range c.Data {
			if secretName.MatchString(k) && val != "" {
				bad("ConfigMap %s: %s is a secret in plain text", c.Name, k)
			}
		}
	}
	// The peers' addresses come from the shared ConfigMap: each distinct
	// one is checked once, not once per Deployment.
	peersSeen := map[string]bool{}
	for _, d := range o.deployments {
		checkDeployment(d, o, p, declared, peersSeen, bad)
	}
	for _, s := range o.services {
		checkService(s, o.deployments, bad)
	}
	return v
}

func checkDeployment(d appsv1.Deployment, o objects, p profile, declared, peersSeen map[string]bool, bad func(string, ...any)) {
	name := "Deployment " + d.Name
	spec := d.Spec.Template.Spec
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	if ps := spec.SecurityContext; ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot {
		bad("%s: the pod does not set runAsNonRoot", name)
	}
	if len(spec.Containers) != 1 {
		bad("%s: want one container, have %d", name, len(spec.Containers))
		return
	}
	c := spec.Containers[0]
	if len(c.Args) == 0 || !slices.Contains(topology.Services(), c.Args[0]) {
		bad("%s: args %q do not name a service of %v", name, c.Args, topology.Services())
		return
	}
	svc := c.Args[0]
	if !pinned(c.Image) {
		bad("%s: image %q is not pinned to a tag (not latest) or digest", name, c.Image)
	}
	env, fromSecret := environment(c, o.configMaps, declared, name, bad)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		bad("%s: its environment is not a valid configuration: %v", name, err)
		return
	}
	ports, _ := topology.PortsOf(cfg, svc)
	checkPorts(name, c, ports, bad)
	checkDiscovery(name, d.Spec.Template.ObjectMeta, ports.HTTP, bad)
	checkProbes(name, c, ports.HTTP, bad)
	checkResources(name, c, bad)
	checkSecurity(name, c, cfg, bad)
	checkStop(name, spec, c, cfg, bad)
	checkPeers(name, cfg, o, peersSeen, bad)
	for k, field := range downward {
		if got := fieldRef(c, k); got != field {
			bad("%s: %s must come from the downward API's %s", name, k, field)
		}
	}
	// A replicated service shares its state through PostgreSQL: a SQLite
	// file per pod would give each replica a store of its own.
	stateful := sharedState(svc)
	if replicas > 1 && stateful != "" && !fromSecret[stateful] {
		bad("%s: %d replicas, but %s is not set from a Secret: each pod would keep its own SQLite database", name, replicas, stateful)
	}
	// Tokens one auth replica signs must verify on the others.
	if replicas > 1 && svc == topology.Auth && !fromSecret["AUTH_JWT_SECRET"] {
		bad("%s: %d replicas, but AUTH_JWT_SECRET is not a required secretKeyRef: each pod would sign with its own key", name, replicas)
	}
	if p.scaled {
		if replicas < 2 {
			bad("%s: the scaled overlay runs %d replica", name, replicas)
		}
		if !hasBudget(d, o.pdbs) {
			bad("%s: no PodDisruptionBudget selects its pods", name)
		}
	}
}

// environment returns the variables c sees from its ConfigMaps and its
// literal values, and which variables come from a required Secret key.
func environment(c corev1.Container, cms []corev1.ConfigMap, declared map[string]bool, name string, bad func(string, ...any)) (map[string]string, map[string]bool) {
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			continue
		}
		i := slices.IndexFunc(cms, func(cm corev1.ConfigMap) bool { return cm.Name == from.ConfigMapRef.Name })
		if i < 0 {
			bad("%s: envFrom names ConfigMap %s, which is not in the build", name, from.ConfigMapRef.Name)
			continue
		}
		maps.Copy(env, cms[i].Data)
	}
	fromSecret := map[string]bool{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			fromSecret[e.Name] = ref.Optional == nil || !*ref.Optional
		case e.ValueFrom == nil:
			if secretName.MatchString(e.Name) && e.Value != "" {
				bad("%s: env %s is a secret in plain text; use a secretKeyRef", name, e.Name)
			}
			env[e.Name] = e.Value
		}
	}
	for k := range env {
		if !declared[k] {
			bad("%s: %s is not a variable ShopLab reads (internal/config.Vars)", name, k)
		}
	}
	for _, e := range c.Env {
		if !declared[e.Name] {
			bad("%s: env %s is not a variable ShopLab reads (internal/config.Vars)", name, e.Name)
		}
	}
	return env, fromSecret
}

func checkPorts(name string, c corev1.Container, want topology.Ports, bad func(string, ...any)) {
	if got := containerPort(c, intstr.FromString("http")); got != want.HTTP {
		bad("%s: containerPort http is %d, the service listens on %d", name, got, want.HTTP)
	}
	if want.HasGRPC {
		if got := containerPort(c, intstr.FromString("grpc")); got != want.GRPC {
			bad("%s: containerPort grpc is %d, the service listens on %d", name, got, want.GRPC)
		}
	}
}

// checkDiscovery checks what the telemetry stack finds pods by
// (deploy/helm/values/prometheus.yaml and alloy.yaml): the scrape
// annotations, pointing at /metrics on the HTTP port, and the part-of
// label.
func checkDiscovery(name string, meta metav1.ObjectMeta, httpPort int, bad func(string, ...any)) {
	if meta.Labels["app.kubernetes.io/part-of"] != "shoplab" {
		bad("%s: the pods lack the label app.kubernetes.io/part-of=shoplab that Prometheus and Alloy select", name)
	}
	a := meta.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" || a["prometheus.io/port"] != strconv.Itoa(httpPort) {
		bad("%s: the scrape annotations (scrape %q, port %q, path %q) do not point at /metrics on %d", name,
			a["prometheus.io/scrape"], a["prometheus.io/port"], a["prometheus.io/path"], httpPort)
	}
}

// probePaths is what each probe must ask (internal/server.AdminRoutes):
// readiness the deep /healthz, which fails while a dependency is down or
// the pod drains; liveness and start-up the shallow /livez, as a restart
// cures neither. why is said when a probe asks the other.
var probePaths = []struct {
	kind, path, why string
	optional        bool
}{
	{kind: "readiness", path: server.ReadyPath, why: "readiness must fail while a dependency is down or the pod drains"},
	{kind: "liveness", path: server.LivePath, why: "/healthz fails while a dependency (database, auth) is down or the pod drains, and restarting every pod cures neither: a liveness probe on it turns an outage into a restart storm"},
	{kind: "startup", path: server.LivePath, optional: true, why: "a startup probe on /healthz would restart a pod that starts during a dependency's outage; start-up means the process serves, as liveness does"},
}

func checkProbes(name string, c corev1.Container, httpPort int, bad func(string, ...any)) {
	probes := map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe}
	for _, want := range probePaths {
		kind, pr := want.kind, probes[want.kind]
		if pr == nil && want.optional {
			continue
		}
		if pr == nil || pr.HTTPGet == nil {
			bad("%s: no %s probe (httpGet %s)", name, kind, want.path)
			continue
		}
		if pr.HTTPGet.Path != want.path {
			bad("%s: the %s probe gets %q, not %s: %s", name, kind, pr.HTTPGet.Path, want.path, want.why)
		}
		// A number is probed as is, declared or not; a name must be a
		// containerPort's.
		got := int(pr.HTTPGet.Port.IntVal)
		if pr.HTTPGet.Port.Type == intstr.String {
			got = containerPort(c, pr.HTTPGet.Port)
		}
		if got != httpPort {
			bad("%s: the %s probe targets port %d; %s is on %d", name, kind, got, want.path, httpPort)
		}
	}
}

// checkPeers checks where cfg has the gRPC clients dial their peers: a
// headless Service of the build that selects the peer's pods, at the pods'
// gRPC port. Through a cluster IP, DNS gives a client one address, so
// internal/server.Dial's round_robin has one connection and every call
// goes to the pod kube-proxy chose for it; a headless Service's name
// resolves to every ready pod. Its clients connect to the pods directly,
// so the address's port must be the pods' own.
func checkPeers(name string, cfg config.Config, o objects, seen map[string]bool, bad func(string, ...any)) {
	for _, peer := range []struct{ variable, service, addr string }{
		{"AUTH_ADDR", topology.Auth, cfg.Auth.Addr},
		{"CATALOG_ADDR", topology.Catalog, cfg.Catalog.Addr},
		{"ORDERS_ADDR", topology.Orders, cfg.Orders.Addr},
	} {
		setting := peer.variable + "=" + peer.addr
		if seen[setting] {
			continue
		}
		seen[setting] = true
		host, port, err := net.SplitHostPort(peer.addr)
		if err != nil {
			bad("%s: %s is not host:port: %v", name, setting, err)
			continue
		}
		if net.ParseIP(host) != nil {
			bad("%s: %s is an IP address (unset, it is the pod's own loopback); name the headless Service of %s", name, setting, peer.service)
			continue
		}
		// auth-headless, auth-headless.shoplab or auth-headless.shoplab.svc...
		svcName, _, _ := strings.Cut(host, ".")
		i := slices.IndexFunc(o.services, func(s corev1.Service) bool { return s.Name == svcName })
		if i < 0 {
			bad("%s: %s names no Service of the build", name, setting)
			continue
		}
		s := o.services[i]
		if s.Spec.ClusterIP != corev1.ClusterIPNone {
			bad("%s: %s names Service %s, which has a cluster IP: DNS gives each client one address, so every call of a client goes to one %s pod; name a headless Service (clusterIP: None)", name, setting, s.Name, peer.service)
		}
		sel := labels.SelectorFromSet(s.Spec.Selector)
		j := slices.IndexFunc(o.deployments, func(d appsv1.Deployment) bool {
			cs := d.Spec.Template.Spec.Containers
			return len(s.Spec.Selector) > 0 && sel.Matches(labels.Set(d.Spec.Template.Labels)) && len(cs) == 1 && len(cs[0].Args) > 0 && cs[0].Args[0] == peer.service
		})
		if j < 0 {
			bad("%s: %s names Service %s, which does not select the pods of %s", name, setting, s.Name, peer.service)
			continue
		}
		grpcPort := containerPort(o.deployments[j].Spec.Template.Spec.Containers[0], intstr.FromString("grpc"))
		if port != strconv.Itoa(grpcPort) {
			bad("%s: %s: port %s is not the gRPC port of the %s pods (%d), which the clients of a headless Service connect to directly", name, setting, port, peer.service, grpcPort)
		}
	}
}

func checkResources(name string, c corev1.Container, bad func(string, ...any)) {
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
			bad("%s: no %s request", name, r)
		}
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok || q.IsZero() {
		bad("%s: no memory limit", name)
	}
}

// checkSecurity holds c to the restricted profile, and, as its root file
// system is read-only, checks that the directories it writes are volumes.
func checkSecurity(name string, c corev1.Container, cfg config.Config, bad func(string, ...any)) {
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		bad("%s: the root file system is not read-only", name)
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		bad("%s: allowPrivilegeEscalation is not false", name)
	}
	for _, dir := range []string{cfg.DataDir, cfg.LogDir} {
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return within(dir, m.MountPath) }) {
			bad("%s: %s is on the read-only root file system; mount a volume there", name, dir)
		}
	}
}

// checkStop checks that Kubernetes lets a pod stop gracefully: after the
// preStop sleep, the service takes up to lab.StopTimeout to drain and
// exit, and the grace period must cover both, or the kubelet kills it
// mid-drain.
func checkStop(name string, spec corev1.PodSpec, c corev1.Container, cfg config.Config, bad func(string, ...any)) {
	var sleep time.Duration
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds <= 0 {
		bad("%s: no preStop sleep: the pod would drain while still in the Service's endpoints", name)
	} else {
		sleep = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	need := sleep + lab.StopTimeout(cfg)
	grace := 30 * time.Second // Kubernetes' default
	if spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	}
	if grace <= need {
		bad("%s: terminationGracePeriodSeconds %v is not more than preStop %v + stop budget %v", name, grace, sleep, lab.StopTimeout(cfg))
	}
}

func checkService(s corev1.Service, deps []appsv1.Deployment, bad func(string, ...any)) {
	name := "Service " + s.Name
	if len(s.Spec.Selector) == 0 {
		bad("%s: no selector", name)
		return
	}
	sel := labels.SelectorFromSet(s.Spec.Selector)
	i := slices.IndexFunc(deps, func(d appsv1.Deployment) bool { return sel.Matches(labels.Set(d.Spec.Template.Labels)) })
	if i < 0 {
		bad("%s: selects no Deployment's pods", name)
		return
	}
	for _, c := range deps[i].Spec.Template.Spec.Containers {
		for _, sp := range s.Spec.Ports {
			target := sp.TargetPort
			if target.Type == intstr.Int && target.IntVal == 0 {
				target = intstr.FromInt32(sp.Port)
			}
			got := containerPort(c, target)
			if got == 0 {
				bad("%s: port %s targets %s, which is no containerPort of %s", name, sp.Name, target.String(), deps[i].Name)
			} else if int32(got) != sp.Port {
				bad("%s: port %s is %d but its containerPort is %d", name, sp.Name, sp.Port, got)
			}
		}
	}
}

// hasBudget reports whether a PodDisruptionBudget that limits disruption
// selects d's pods.
func hasBudget(d appsv1.Deployment, pdbs []policyv1.PodDisruptionBudget) bool {
	return slices.ContainsFunc(pdbs, func(p policyv1.PodDisruptionBudget) bool {
		if p.Spec.Selector == nil || (p.Spec.MinAvailable == nil && p.Spec.MaxUnavailable == nil) {
			return false
		}
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		return err == nil && !sel.Empty() && sel.Matches(labels.Set(d.Spec.Template.Labels))
	})
}

// sharedState is the variable that moves svc's state to PostgreSQL, ""
// for a service that keeps none (the gateway). It asks internal/config
// rather than listing the services here.
func sharedState(svc string) string {
	key := strings.ToUpper(svc) + "_DATABASE_URL"
	cfg, err := config.Load(func(k string) string {
		if k == key {
			return "postgres://u@db:5432/" + svc
		}
		return ""
	})
	if err != nil || cfg.Databases.URL(svc) == "" {
		return ""
	}
	return key
}

// containerPort resolves a port reference (a number or a port's name)
// against c's ports; 0 when it names none.
func containerPort(c corev1.Container, p intstr.IntOrString) int {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return int(cp.ContainerPort)
		}
	}
	return 0
}

func fieldRef(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			return e.ValueFrom.FieldRef.FieldPath
		}
	}
	return ""
}

// within reports whether dir is mount or below it.
func within(dir, mount string) bool {
	dir, mount = path.Clean(dir), path.Clean(mount)
	return dir == mount || strings.HasPrefix(dir, mount+"/")
}

// pinned reports whether image names a fixed version: a digest, or a tag
// other than latest.
func pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	name := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(name, ":")
	return i >= 0 && name[i+1:] != "" && name[i+1:] != "latest"
}
