package traceview

import (
	"time"
)

// checkoutTraceID is the fixed trace's ID.
const checkoutTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"

// checkoutTrace is a fixed checkout: the gateway verifies the token, then
// places the order; orders carries an injected 150 ms delay, reserves
// stock while validating in parallel, persists the order and its event;
// after the response the relay publishes the event, notification consumes
// it, and the first e-mail attempt fails (connection refused) before the
// second one, a second later, succeeds.
func checkoutTrace() *Trace {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	span := func(id, parent, service, name, kind string, from, to float64, attrs map[string]string) *Span {
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs["shoplab.region"] = "eu-west"
		return &Span{SpanID: id, ParentID: parent, Service: service, Name: name, Kind: kind, Start: at(from), End: at(to), Attributes: attrs}
	}
	log := func(ms float64, level, service, spanID, msg string, fields map[string]string) LogLine {
		return LogLine{Time: at(ms), Level: level, Msg: msg, Service: service, SpanID: spanID, Fields: fields}
	}

	root := span("a000000000000001", "00f067aa0ba902b7", "gateway", "POST /api/v1/orders", "server", 0, 212, map[string]string{
		"http.request.method": "POST", "http.route": "/api/v1/orders", "url.path": "/api/v1/orders", "http.response.status_code": "201",
	})
	authC := span("a000000000000002", root.SpanID, "gateway", "shop.v1.Auth/Verify", "client", 2, 8, map[string]string{"rpc.method": "shop.v1.Auth/Verify"})
	authS := span("a000000000000003", authC.SpanID, "auth", "shop.v1.Auth/Verify", "server", 3, 7, map[string]string{"rpc.method": "shop.v1.Auth/Verify", "rpc.response.status_code": "OK"})
	ordC := span("a000000000000004", root.SpanID, "gateway", "shop.v1.Orders/PlaceOrder", "client", 10, 205, map[string]string{"rpc.method": "shop.v1.Orders/PlaceOrder"})
	ordS := span("a000000000000005", ordC.SpanID, "orders", "shop.v1.Orders/PlaceOrder", "server", 11, 204, map[string]string{
		"rpc.method": "shop.v1.Orders/PlaceOrder", "rpc.response.status_code": "OK", "shoplab.fault": "orders:delay=150ms",
	})
	catC := span("a000000000000006", ordS.SpanID, "orders", "shop.v1.Catalog/ReserveStock", "client", 162, 180, nil)
	validate := span("a000000000000007", ordS.SpanID, "orders", "orders.validate", "internal", 163, 168, nil)
	catS := span("a000000000000008", catC.SpanID, "catalog", "shop.v1.Catalog/ReserveStock", "server", 163, 179, nil)
	reserve := span("a000000000000009", catS.SpanID, "catalog", "catalog.reserve", "internal", 164, 178, map[string]string{"shoplab.order_id": "ord-42", "shoplab.lines": "2"})
	persist := span("a00000000000000a", ordS.SpanID, "orders", "orders.persist", "internal", 181, 200, map[string]string{"shoplab.order_id": "ord-42"})
	publish := span("a00000000000000b", persist.SpanID, "orders", "publish orders.placed", "producer", 245, 251, map[string]string{
		"messaging.system": "kafka", "messaging.destination.name": "orders.placed",
	})
	process := span("a00000000000000c", publish.SpanID, "notification", "process orders.placed", "consumer", 254, 262, map[string]string{
		"messaging.system": "kafka", "messaging.destination.name": "orders.placed", "messaging.kafka.offset": "17",
	})
	deliver1 := span("a00000000000000d", process.SpanID, "notification", "deliver e-mail", "", 300, 320, map[string]string{
		"messaging.destination.name": "orders.placed", "shoplab.email.attempt": "1",
	})
	deliver1.Status, deliver1.StatusMessage = StatusError, "e-mail send failed; will retry"
	smtp1 := span("a00000000000000e", deliver1.SpanID, "notification", "smtp send", "client", 301, 319, map[string]string{"server.address": "localhost"})
	smtp1.Status, smtp1.StatusMessage = StatusError, "smtp send failed"
	smtp1.Events = []Event{{Time: at(319), Name: "exception", Attributes: map[string]string{
		"exception.type": "*net.OpError", "exception.message": "dial tcp 127.0.0.1:1025: connect: connection refused",
	}}}
	deliver2 := span("a00000000000000f", process.SpanID, "notification", "deliver e-mail", "", 1320, 1340, map[string]string{
		"messaging.destination.name": "orders.placed", "shoplab.email.attempt": "2",
	})
	smtp2 := span("a000000000000010", deliver2.SpanID, "notification", "smtp send", "client", 1321, 1338, map[string]string{"server.address": "localhost"})

	t := &Trace{
		TraceID: checkoutTraceID,
		Spans:   []*Span{smtp2, root, authC, authS, ordC, ordS, catC, validate, catS, reserve, persist, publish, process, deliver1, smtp1, deliver2},
	}
	t.attachLogs([]LogLine{
		log(211, "INFO", "gateway", root.SpanID, "request served", map[string]string{"status": "201", "duration_ms": "211", "region": "eu-west"}),
		log(199, "INFO", "orders", persist.SpanID, "order placed", map[string]string{"order_id": "ord-42", "total_cents": "4998", "region": "eu-west"}),
		log(320, "WARN", "notification", deliver1.SpanID, "e-mail not sent; will retry", map[string]string{
			"attempts": "1", "retry_in": "1s", "error": "dial tcp 127.0.0.1:1025: connect: connection refused",
		}),
		log(1339, "INFO", "notification", deliver2.SpanID, "e-mail sent", map[string]string{"event_id": "ev-7", "attempts": "2"}),
		log(263, "INFO", "notification", "ffffffffffffffff", "e-mail queued", map[string]string{"event_id": "ev-7"}),
	})
	return t
}
