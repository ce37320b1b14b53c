package tui

import (
	"context"
	"fmt"
	"time"

	"github.com/shoplab/shoplab/internal/traceview"
)

// fixtureTraceID is the one trace fixtureTraceView has.
const fixtureTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"

// fixtureTraceView is a checkout laid out: the gateway verifies the token
// and places the order; orders carries an injected 150 ms delay, reserves
// stock and persists the order; after the response the event waits in the
// outbox and in Kafka, and the first e-mail fails (connection refused)
// before the second, a second later, is sent.
func fixtureTraceView() *traceview.View {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	n := 0
	span := func(parent *traceview.Span, service, name, kind string, from, to float64, attrs map[string]string) *traceview.Span {
		n++
		s := &traceview.Span{
			SpanID: fmt.Sprintf("a0000000000000%02x", n), Service: service, Name: name, Kind: kind,
			Start: at(from), End: at(to), Attributes: map[string]string{"shoplab.region": "eu-west"},
		}
		if parent != nil {
			s.ParentID = parent.SpanID
		} else {
			s.ParentID = "00f067aa0ba902b7" // the load generator's
		}
		for k, v := range attrs {
			s.Attributes[k] = v
		}
		return s
	}
	log := func(s *traceview.Span, ms float64, level, msg string, fields map[string]string) {
		s.Logs = append(s.Logs, traceview.LogLine{Time: at(ms), Level: level, Msg: msg, Service: s.Service, SpanID: s.SpanID, Fields: fields})
	}

	root := span(nil, "gateway", "POST /api/v1/orders", "server", 0, 212, map[string]string{
		"http.request.method": "POST", "http.route": "/api/v1/orders", "http.response.status_code": "201",
	})
	authC := span(root, "gateway", "shop.v1.Auth/Verify", "client", 2, 8, map[string]string{"rpc.method": "shop.v1.Auth/Verify"})
	authS := span(authC, "auth", "shop.v1.Auth/Verify", "server", 3, 7, map[string]string{"rpc.method": "shop.v1.Auth/Verify"})
	ordC := span(root, "gateway", "shop.v1.Orders/PlaceOrder", "client", 10, 205, map[string]string{"rpc.method": "shop.v1.Orders/PlaceOrder"})
	ordS := span(ordC, "orders", "shop.v1.Orders/PlaceOrder", "server", 11, 204, map[string]string{
		"rpc.method": "shop.v1.Orders/PlaceOrder", "shoplab.fault": "orders:delay=150ms",
	})
	catC := span(ordS, "orders", "shop.v1.Catalog/ReserveStock", "client", 162, 180, nil)
	catS := span(catC, "catalog", "shop.v1.Catalog/ReserveStock", "server", 163, 179, nil)
	persist := span(ordS, "orders", "orders.persist", "internal", 181, 200, map[string]string{"shoplab.order_id": "ord-42"})
	publish := span(persist, "orders", "publish orders.placed", "producer", 245, 251, map[string]string{"messaging.destination.name": "orders.placed"})
	process := span(publish, "notification", "process orders.placed", "consumer", 254, 262, map[string]string{
		"messaging.destination.name": "orders.placed", "messaging.kafka.offset": "17",
	})
	deliver1 := span(process, "notification", "deliver e-mail", "", 300, 320, map[string]string{"shoplab.email.attempt": "1"})
	deliver1.Status, deliver1.StatusMessage = traceview.StatusError, "e-mail send failed; will retry"
	smtp1 := span(deliver1, "notification", "smtp send", "client", 301, 319, map[string]string{"server.address": "localhost"})
	smtp1.Status, smtp1.StatusMessage = traceview.StatusError, "smtp send failed"
	smtp1.Events = []traceview.Event{{Time: at(319), Name: "exception", Attributes: map[string]string{
		"exception.type": "*net.OpError", "exception.message": "dial tcp 127.0.0.1:1025: connect: connection refused",
	}}}
	deliver2 := span(process, "notification", "deliver e-mail", "", 1320, 1340, map[string]string{"shoplab.email.attempt": "2"})

	log(root, 211, "INFO", "request served", map[string]string{"status": "201", "duration_ms": "211"})
	log(persist, 199, "INFO", "order placed", map[string]string{"order_id": "ord-42", "total_cents": "4998"})
	log(deliver1, 320, "WARN", "e-mail not sent; will retry", map[string]string{
		"attempts": "1", "retry_in": "1s", "error": "dial tcp 127.0.0.1:1025: connect: connection refused",
	})
	log(deliver2, 1339, "INFO", "e-mail sent", map[string]string{"event_id": "ev-7", "attempts": "2"})

	return traceview.Analyze(&traceview.Trace{
		TraceID: fixtureTraceID,
		Spans:   []*traceview.Span{root, authC, authS, ordC, ordS, catC, catS, persist, publish, process, deliver1, smtp1, deliver2},
	})
}

// notFoundErr is what a store says of a trace it does not have.
func notFoundErr(id string) error {
	return fmt.Errorf("%w: no span of %s in logs/spans (yet): the services write their spans in batches, every 1s and when they stop; try again in a few seconds, or check the ID", traceview.ErrNotFound, id)
}

// fixtureTrace stands in for Deps.Trace: it has fixtureTraceID only.
func fixtureTrace(_ context.Context, id string) (*traceview.View, error) {
	if id == fixtureTraceID {
		return fixtureTraceView(), nil
	}
	return nil, notFoundErr(id)
}

// fixtureRecent is a listing of three recent traces, newest first.
func fixtureRecent() recentMsg {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return recentMsg{list: []traceview.Summary{
		{TraceID: fixtureTraceID, Service: "gateway", Name: "POST /api/v1/orders", Start: t0.Add(3 * time.Second), DurationMS: 212, Failed: true},
		{TraceID: "0af7651916cd43dd8448eb211c80319c", Service: "gateway", Name: "GET /api/v1/products", Start: t0.Add(2 * time.Second), DurationMS: 48.2},
		{TraceID: "2cf7651916cd43dd8448eb211c80319e", Service: "gateway", Name: "GET /api/v1/products/{id}", Start: t0.Add(time.Second), DurationMS: 1250, Failed: true},
	}}
}
