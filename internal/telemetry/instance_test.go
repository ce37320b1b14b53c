package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// instanceUnderTest is one service instance built as the lab builds it,
// with what it recorded.
type instanceUnderTest struct {
	tel   *Telemetry
	spans *tracetest.SpanRecorder
	logs  *bytes.Buffer
}

func newInstance(t *testing.T, service, logDir string, in Instance) instanceUnderTest {
	t.Helper()
	u := instanceUnderTest{spans: tracetest.NewSpanRecorder(), logs: &bytes.Buffer{}}
	tel, err := New(context.Background(), Config{
		Service: service, LogDir: logDir, Stdout: u.logs, Instance: in,
		SpanProcessors: []sdktrace.SpanProcessor{u.spans},
	})
	if err != nil {
		t.Fatal(err)
	}
	u.tel = tel
	return u
}

// Two instances of one service in one process (two labs in a test, or
// `shoplab up --local` next to `shoplab serve`) each stamp their own
// service.instance.id on their spans and log lines.
func TestInstanceIDOnSpansAndLogLines(t *testing.T) {
	ctx := context.Background()
	dirs := []string{t.TempDir(), t.TempDir()}
	var ids []string
	for _, dir := range dirs {
		u := newInstance(t, "orders", dir, Instance{})
		sctx, span := u.tel.Tracer().Start(ctx, "work")
		u.tel.Logger.InfoContext(sctx, "inside")
		span.End()
		u.tel.Logger.InfoContext(ctx, "outside")
		if err := u.tel.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}

		id := u.tel.InstanceID
		if _, err := uuid.Parse(id); err != nil {
			t.Fatalf("instance ID %q is not a UUID: %v", id, err)
		}
		ids = append(ids, id)

		ended := u.spans.Ended()
		if len(ended) != 1 {
			t.Fatalf("%d spans ended, want 1", len(ended))
		}
		if got := resourceValue(ended[0].Resource().Attributes(), semconv.ServiceInstanceIDKey); got != id {
			t.Errorf("span's service.instance.id = %q, want %q", got, id)
		}
		if got := resourceValue(ended[0].Resource().Attributes(), semconv.HostNameKey); got == "" {
			t.Error("span's resource has no host.name")
		}

		file, err := os.ReadFile(filepath.Join(dir, "orders.log"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(file)), "\n")
		if len(lines) != 2 {
			t.Fatalf("want 2 log lines, got %q", lines)
		}
		for _, l := range lines {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatal(err)
			}
			if rec[FieldInstance] != id {
				t.Errorf("log line %s: %s = %v, want %q", l, FieldInstance, rec[FieldInstance], id)
			}
		}
	}
	if ids[0] == ids[1] {
		t.Errorf("two instances of orders share the instance ID %q", ids[0])
	}
}

func resourceValue(attrs []attribute.KeyValue, key attribute.Key) string {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value.Emit()
		}
	}
	return ""
}

func TestNewIdentity(t *testing.T) {
	host, _ := os.Hostname()
	tests := []struct {
		name string
		in   Instance
		// want is the instance ID; "" wants a random UUID.
		want  string
		attrs map[attribute.Key]string
	}{
		{name: "nothing configured: a random UUID", in: Instance{}},
		{name: "configured ID wins", in: Instance{ID: "orders-1", PodName: "orders-7d9f-x2k4p", PodNamespace: "shop"}, want: "orders-1",
			attrs: map[attribute.Key]string{semconv.K8SPodNameKey: "orders-7d9f-x2k4p", semconv.K8SNamespaceNameKey: "shop"}},
		{name: "kubernetes: namespace.pod.container", in: Instance{PodName: "orders-7d9f-x2k4p", PodNamespace: "shop", NodeName: "node-a"}, want: "shop.orders-7d9f-x2k4p.orders",
			attrs: map[attribute.Key]string{semconv.K8SPodNameKey: "orders-7d9f-x2k4p", semconv.K8SNamespaceNameKey: "shop", semconv.K8SNodeNameKey: "node-a"}},
		{name: "kubernetes without a namespace", in: Instance{PodName: "orders-0"}, want: "orders-0.orders",
			attrs: map[attribute.Key]string{semconv.K8SPodNameKey: "orders-0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := newIdentity("orders", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				u, err := uuid.Parse(id.instanceID)
				if err != nil || u.Version() != 4 {
					t.Errorf("instance ID %q, want a version 4 UUID", id.instanceID)
				}
			} else if id.instanceID != tt.want {
				t.Errorf("instance ID %q, want %q", id.instanceID, tt.want)
			}
			if got := resourceValue(id.attrs, semconv.ServiceInstanceIDKey); got != id.instanceID {
				t.Errorf("service.instance.id attribute %q, want %q", got, id.instanceID)
			}
			if got := resourceValue(id.attrs, semconv.HostNameKey); got != host {
				t.Errorf("host.name %q, want %q", got, host)
			}
			for _, key := range []attribute.Key{semconv.K8SPodNameKey, semconv.K8SNamespaceNameKey, semconv.K8SNodeNameKey} {
				if got := resourceValue(id.attrs, key); got != tt.attrs[key] {
					t.Errorf("%s = %q, want %q", key, got, tt.attrs[key])
				}
			}
		})
	}
}

// target_info carries the resource as labels, so that a dashboard can
// join Prometheus's instance label to the service.instance.id of the
// instance's spans and logs.
func TestTargetInfo(t *testing.T) {
	ctx := context.Background()
	u := newInstance(t, "catalog", "", Instance{PodName: "catalog-0", PodNamespace: "shop"})
	defer u.tel.Shutdown(ctx)
	fams, err := u.tel.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, f := range fams {
		if f.GetName() != TargetInfo {
			continue
		}
		for _, m := range f.GetMetric() {
			found++
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			want := map[string]string{
				"service_name": "catalog", "service_namespace": "shopease", FieldInstance: "shop.catalog-0.catalog",
				"k8s_pod_name": "catalog-0", "k8s_namespace_name": "shop",
			}
			for k, v := range want {
				if labels[k] != v {
					t.Errorf("target_info label %s = %q, want %q (labels %v)", k, labels[k], v, labels)
				}
			}
			if _, ok := labels["instance"]; ok {
				t.Errorf("target_info sets instance, which the scrape owns: %v", labels)
			}
			if v := m.GetGauge().GetValue(); v != 1 {
				t.Errorf("target_info = %v, want 1", v)
			}
		}
	}
	if found != 1 {
		t.Fatalf("%d target_info series, want 1", found)
	}
}
