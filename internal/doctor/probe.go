package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/shoplab/shoplab/internal/topology"
)

// The probe's request: its route template and method are the gateway's
// metric labels, so the checks can find its series.
const (
	probeRoute  = "/api/v1/orders"
	probeMethod = "POST"
	probeStatus = "201"
	// probeUserAgent marks the probe in the gateway's span
	// (user_agent.original) and access log.
	probeUserAgent = "shoplab-doctor/1"
)

// probeServices are the services one checkout touches: the gateway, auth
// (token validation), orders, catalog (stock) and, across Kafka,
// notification.
func probeServices() []string {
	return []string{topology.Gateway, topology.Auth, topology.Orders, topology.Catalog, topology.Notification}
}

// Probe is one run's tagged checkout: a new user (probe-<id>@shoplab.test)
// orders one product, with a traceparent the doctor made, so that every
// hop can be searched for by a known trace ID, order ID and address.
type Probe struct {
	TraceID string
	SpanID  string
	Region  string
	Email   string

	// Set once the checkout succeeded.
	OrderID string
	SentAt  time.Time
	// CounterBefore is what the gateway itself counted for the probe's
	// route, method, status and region just before the probe.
	CounterBefore float64
	// logOffsets are the services' log file sizes just before the probe:
	// its lines come after them.
	logOffsets map[string]int64

	// dockerErr is why docker compose could not be asked (compose mode).
	dockerErr error
}

func newProbe(region string) (*Probe, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("random probe IDs: %w", err)
	}
	// A W3C trace or span ID of all zeros is invalid.
	b[0] |= 1
	b[16] |= 1
	traceID := hex.EncodeToString(b[:16])
	return &Probe{
		TraceID: traceID,
		SpanID:  hex.EncodeToString(b[16:]),
		Region:  region,
		Email:   "probe-" + traceID[:12] + "@shoplab.test",
	}, nil
}

// Sent reports whether the probe's checkout went through.
func (p *Probe) Sent() bool { return p.OrderID != "" }

// Traceparent is the W3C header that makes the gateway continue the
// probe's trace (version 00, sampled).
func (p *Probe) Traceparent() string { return "00-" + p.TraceID + "-" + p.SpanID + "-01" }

func (p *Probe) info() *ProbeInfo {
	return &ProbeInfo{TraceID: p.TraceID, OrderID: p.OrderID, Email: p.Email, Region: p.Region, SentAt: p.SentAt}
}

// probeCheck sends the probe: register, log in, pick the product with the
// most stock, check out one of it.
func (d *Doctor) probeCheck() Check {
	return Check{
		ID: "probe", Hop: HopProbe,
		Name:    "probe: one tagged checkout through the gateway",
		Teaches: "The doctor sends its own traceparent; the gateway continues that trace, so every hop below can be searched for by one known trace ID.",
		Run:     d.sendProbe,
	}
}

func (d *Doctor) sendProbe(ctx context.Context, p *Probe) Result {
	gw := endpoint(d.cfg.Services, topology.Gateway)
	base := "http://" + gw.HTTP
	const password = "shoplab doctor probe"
	fail := func(step string, err error) Result {
		r := Result{
			Status:   Fail,
			Expected: "the gateway at " + base + " takes a registration, a login and an order",
			Found:    step + ": " + err.Error(),
			Cause:    "the shop is not running or one of its services fails",
			Fix:      "shoplab status; the failing service's logs/<service>.log",
		}
		var se *statusError
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
			r.Cause = "the gateway did not answer in time: it, or a service behind it, is slow or stuck"
			r.Fix = "shoplab status; " + d.logPath("*")
		case !errors.As(err, &se):
			r.Cause = "nothing answers at " + base + ": the services are not running"
			r.Fix = d.startCommand()
		case se.code >= 500:
			r.Cause = "a service behind the gateway failed"
			r.Fix = "shoplab status; grep " + se.traceID + " " + d.logPath("*")
		}
		return r
	}
	do := func(method, path, token string, body any, want int, headers map[string]string, out any) (string, error) {
		return d.apiCall(ctx, base+path, method, token, body, want, headers, out)
	}

	if _, err := do("POST", "/api/v1/auth/register", "", map[string]string{"email": p.Email, "password": password, "name": "ShopLab doctor"}, http.StatusCreated, nil, nil); err != nil {
		var se *statusError
		// A retry under --wait finds the user it made before.
		if !errors.As(err, &se) || se.code != http.StatusConflict {
			return fail("register "+p.Email, err)
		}
	}
	var login struct {
		Token string `json:"token"`
	}
	if _, err := do("POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": password}, http.StatusOK, nil, &login); err != nil {
		return fail("log in", err)
	}
	var list struct {
		Products []struct {
			ID    int64 `json:"id"`
			Stock int64 `json:"stock"`
		} `json:"products"`
	}
	if _, err := do("GET", "/api/v1/products", "", nil, http.StatusOK, nil, &list); err != nil {
		return fail("list products", err)
	}
	var pick int64
	var most int64
	for _, pr := range list.Products {
		if pr.Stock > most {
			pick, most = pr.ID, pr.Stock
		}
	}
	if pick == 0 {
		return Result{
			Status:   Fail,
			Expected: "a product in stock to order",
			Found:    fmt.Sprintf("%d products, none in stock", len(list.Products)),
			Cause:    "the catalog is sold out (load tests buy everything)",
			Fix:      "stop the lab and delete the catalog's database (data/catalog.db); it is seeded again at start",
		}
	}
	before, err := d.gatewayCounter(ctx, p.Region)
	if err != nil {
		return fail("read the gateway's /metrics", err)
	}
	p.CounterBefore = before
	p.logOffsets = d.logSizes()
	var order struct {
		ID string `json:"id"`
	}
	sentAt := time.Now()
	traceID, err := do("POST", probeRoute, login.Token,
		map[string]any{"items": []map[string]int64{{"product_id": pick, "quantity": 1}}}, http.StatusCreated,
		map[string]string{"traceparent": p.Traceparent(), "X-Region": p.Region, "User-Agent": probeUserAgent}, &order)
	if err != nil {
		return fail("check out", err)
	}
	if traceID != p.TraceID {
		return Result{
			Status:   Fail,
			Expected: "X-Trace-Id " + p.TraceID + " (the gateway continues the caller's traceparent)",
			Found:    fmt.Sprintf("X-Trace-Id %q", traceID),
			Cause:    "the gateway started a new trace instead of continuing the probe's",
			Fix:      "services/gateway/middleware_propagation.go (W3C trace context propagator)",
		}
	}
	if order.ID == "" {
		return Result{Status: Fail, Expected: "an order ID in the 201 answer", Found: "no id", Cause: "the gateway's order answer changed", Fix: "services/gateway/responses.go"}
	}
	p.OrderID, p.SentAt = order.ID, sentAt
	return Result{Status: Pass, Found: fmt.Sprintf("order %s, trace %s, user %s, region %s", p.OrderID, p.TraceID, p.Email, p.Region)}
}

// statusError is an API answer with an unexpected status.
type statusError struct {
	code    int
	body    string
	traceID string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.code, e.body)
}

// apiCall sends a JSON request and decodes the answer into out; it
// returns the answer's X-Trace-Id.
func (d *Doctor) apiCall(ctx context.Context, url, method, token string, body any, want int, headers map[string]string, out any) (string, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return "", err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", probeUserAgent)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	traceID := resp.Header.Get("X-Trace-Id")
	if resp.StatusCode != want {
		return traceID, &statusError{code: resp.StatusCode, body: strings.TrimSpace(string(b)), traceID: traceID}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return traceID, fmt.Errorf("decode %s: %w", url, err)
		}
	}
	return traceID, nil
}

// startCommand is how the user starts the services in this mode.
func (d *Doctor) startCommand() string {
	if d.cfg.Mode == ModeLocal {
		return "shoplab up --local"
	}
	return "shoplab up (or shoplab up --services-only when the containers already run)"
}
