// Package incident is the lab's hidden breakage: the incidents a lesson
// switches on inside the services, the per-service state that the code
// where each one acts consults, the loopback-only control surface that
// switches them, and its client.
//
// Incidents live in memory only, so restarting the lab clears them all.
// None of them adds a label, span attribute or log field that names it:
// a learner finds it from latency, errors, spans, logs and lag.
package incident

import (
	"slices"

	"github.com/shoplab/shoplab/internal/topology"
)

// The incidents, by the name the control surface knows them by.
const (
	// RegionOutage (orders): PlaceOrder fails with Unavailable for the
	// orders of one region (ParamRegion).
	RegionOutage = "region-outage"
	// SlowQuery (catalog): one RPC's database query (ParamRPC: "GetProduct"
	// or "ListProducts") takes ParamDelay longer (default 400ms).
	SlowQuery = "slow-query"
	// NPlusOne (catalog): ListProducts loads each product's stock with a
	// query of its own.
	NPlusOne = "n-plus-one"
	// LockContention (orders): a background writer holds SQLite's write
	// lock for ParamHold (default 300ms) every ParamEvery (default 500ms).
	LockContention = "lock-contention"
	// SMTPSlow (notification): each send waits ParamDelay (default 2s)
	// before it reaches the mail server.
	SMTPSlow = "smtp-slow"
	// SMTPReject (notification): the mail server answers every send with a
	// transient 451, so e-mails are retried and pile up.
	SMTPReject = "smtp-reject"
	// OutboxStalled (orders): the outbox relay publishes nothing.
	OutboxStalled = "outbox-stalled"
	// Cardinality (gateway): a request counter gains a label per user.
	Cardinality = "cardinality"
)

// Parameter names of the PUT body.
const (
	ParamRegion = "region"
	ParamRPC    = "rpc"
	ParamDelay  = "delay"
	ParamHold   = "hold"
	ParamEvery  = "every"
)

// The RPCs SlowQuery can slow down.
const (
	RPCGetProduct   = "GetProduct"
	RPCListProducts = "ListProducts"
)

// Params are an incident's parameters, the JSON object of a PUT body.
// Durations are Go durations ("400ms", "2s").
type Params map[string]string

// Active is one incident that is on, as GET /admin/incidents lists it.
type Active struct {
	Name   string `json:"name"`
	Params Params `json:"params,omitempty"`
}

// services maps each incident to the service it acts in.
var services = map[string]string{
	RegionOutage:   topology.Orders,
	SlowQuery:      topology.Catalog,
	NPlusOne:       topology.Catalog,
	LockContention: topology.Orders,
	SMTPSlow:       topology.Notification,
	SMTPReject:     topology.Notification,
	OutboxStalled:  topology.Orders,
	Cardinality:    topology.Gateway,
}

// Names lists every incident, sorted.
func Names() []string {
	out := make([]string, 0, len(services))
	for n := range services {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// ServiceOf is the service incident name acts in; false for an unknown
// name.
func ServiceOf(name string) (string, bool) {
	s, ok := services[name]
	return s, ok
}

// NamesOf lists the incidents that act in service, sorted.
func NamesOf(service string) []string {
	var out []string
	for n, s := range services {
		if s == service {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}
