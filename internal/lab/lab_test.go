package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// testConfig runs every service on a free loopback port with its data and
// logs in temporary directories.
func testConfig(t *testing.T, extra map[string]string) config.Config {
	return testkit.LabConfig(t, extra)
}

func startLab(t *testing.T, o Options) *Lab {
	t.Helper()
	ctx := context.Background()
	l, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Stop(ctx) })
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := topology.WaitHealthy(wctx, l.Endpoints(), nil); err != nil {
		t.Fatal(err)
	}
	return l
}

func endpoint(t *testing.T, l *Lab, service string) topology.Endpoint {
	t.Helper()
	for _, e := range l.Endpoints() {
		if e.Service == service {
			return e
		}
	}
	t.Fatalf("no endpoint for %s", service)
	return topology.Endpoint{}
}

type product struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Stock int64  `json:"stock"`
}

// checkout registers a new user, logs in, picks the first product and
// orders qty of it; it returns the order's ID and the product.
func checkout(t *testing.T, c *testkit.Client, email string, qty int64) (string, product, testkit.Response) {
	t.Helper()
	c.Do(t, "POST", "/api/v1/auth/register", map[string]string{"email": email, "password": "correct horse battery", "name": "Ada"}).Want(t, 201)
	var login struct {
		Token string `json:"token"`
	}
	c.Do(t, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"}).Want(t, 200).Decode(t, &login)
	if login.Token == "" {
		t.Fatal("login returned no token")
	}
	c.Token = login.Token
	var list struct {
		Products []product `json:"products"`
	}
	c.Do(t, "GET", "/api/v1/products", nil).Want(t, 200).Decode(t, &list)
	if len(list.Products) == 0 {
		t.Fatal("catalog is empty")
	}
	p := list.Products[0]
	resp := c.Do(t, "POST", "/api/v1/orders", map[string]any{"items": []map[string]int64{{"product_id": p.ID, "quantity": qty}}}).Want(t, 201)
	var order struct {
		ID string `json:"id"`
	}
	resp.Decode(t, &order)
	if order.ID == "" {
		t.Fatalf("order without id: %s", resp.Body)
	}
	return order.ID, p, resp
}

// TestCheckoutEndToEnd runs the whole shop with the embedded broker and
// follows one checkout from the gateway to the e-mail: data, events,
// one trace across gRPC and Kafka, logs and metrics.
func TestCheckoutEndToEnd(t *testing.T) {
	recv := testkit.StartOTLPReceiver(t)
	cfg := testConfig(t, nil)
	l := startLab(t, Options{Config: cfg, OTLP: telemetry.OTLP{Endpoint: recv.Endpoint(), Protocol: telemetry.ProtocolGRPC}})
	gw := endpoint(t, l, topology.Gateway)
	c := &testkit.Client{Base: "http://" + gw.HTTP, Region: "eu-west"}

	orderID, p, resp := checkout(t, c, "ada@example.com", 2)
	traceID := resp.TraceID
	if len(traceID) != 32 {
		t.Fatalf("checkout answered X-Trace-Id %q", traceID)
	}

	// The order is stored and the stock went down.
	var got struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	c.Do(t, "GET", "/api/v1/orders/"+orderID, nil).Want(t, 200).Decode(t, &got)
	if got.ID != orderID {
		t.Fatalf("GET order returned %q, want %q", got.ID, orderID)
	}
	var after product
	c.Do(t, "GET", fmt.Sprintf("/api/v1/products/%d", p.ID), nil).Want(t, 200).Decode(t, &after)
	if after.Stock != p.Stock-2 {
		t.Fatalf("stock after ordering 2: %d, want %d", after.Stock, p.Stock-2)
	}

	// The notification service handled order.placed exactly once.
	nf := endpoint(t, l, topology.Notification)
	sent := map[string]string{"event_type": "order.placed", "outcome": "ok"}
	testkit.WaitMetric(t, testkit.Scrape(nf.MetricsURL), "shoplab_notifications_sent_total", sent, 1, 20*time.Second)
	if v := testkit.MetricValue(t, testkit.Scrape(nf.MetricsURL), "shoplab_notifications_sent_total", sent); v != 1 {
		t.Fatalf("order.placed e-mails sent = %v, want 1", v)
	}

	// The gateway counted the checkout under its route template and region.
	if v := testkit.MetricValue(t, testkit.Scrape(gw.MetricsURL), "shoplab_http_requests_total",
		map[string]string{"route": "/api/v1/orders", "method": "POST", "status": "201", "region": "eu-west"}); v != 1 {
		t.Fatalf("gateway checkout counter = %v, want 1", v)
	}
	if v := testkit.MetricValue(t, testkit.Scrape(gw.MetricsURL), "shoplab_http_requests_total",
		map[string]string{"route": "/api/v1/orders/{id}", "method": "GET", "region": "eu-west"}); v != 1 {
		t.Fatalf("gateway GET order counter (route template) = %v, want 1", v)
	}

	// Stopping flushes every service's spans to the receiver.
	if err := l.Stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	spans := recv.Spans(traceID)
	services := map[string]bool{}
	names := map[string]bool{}
	for _, s := range spans {
		services[s.Service] = true
		names[s.Service+": "+s.Name] = true
		if s.Service != topology.Gateway && s.Attrs[telemetry.RegionAttribute] != "eu-west" {
			t.Errorf("span %s/%s has region %q, want eu-west", s.Service, s.Name, s.Attrs[telemetry.RegionAttribute])
		}
	}
	for _, want := range []string{topology.Gateway, topology.Auth, topology.Orders, topology.Catalog, topology.Notification} {
		if !services[want] {
			t.Errorf("trace %s has no span from %s; spans: %v", traceID, want, names)
		}
	}
	for _, want := range []string{"orders: publish order.placed", "notification: process order.placed"} {
		if !names[want] {
			t.Errorf("trace %s lacks span %q (the Kafka hop); spans: %v", traceID, want, names)
		}
	}

	// Every service touched wrote log lines carrying the trace ID.
	for _, svc := range []string{topology.Gateway, topology.Auth, topology.Orders, topology.Catalog, topology.Notification} {
		if n := linesWithTrace(t, filepath.Join(cfg.LogDir, svc+".log"), traceID); n == 0 {
			t.Errorf("%s.log has no line with trace_id %s", svc, traceID)
		}
	}
}

// linesWithTrace counts the JSON lines of path whose trace_id is traceID;
// every line must be JSON with the service field.
func linesWithTrace(t *testing.T, path, traceID string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s: not a JSON line: %q", path, sc.Text())
		}
		if line["service"] != strings.TrimSuffix(filepath.Base(path), ".log") {
			t.Fatalf("%s: line without its service field: %q", path, sc.Text())
		}
		if line["trace_id"] == traceID {
			n++
		}
	}
	return n
}
