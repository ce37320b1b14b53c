package gateway

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// userRequests is a per-user request counter: the tempting label that
// makes one series per user. The lab's cardinality incident turns it on
// (on reports whether it is), for a learner to find from the series
// counts; off, it counts nothing and exports nothing, as if the label had
// never been shipped.
type userRequests struct {
	vec *prometheus.CounterVec
	on  func() bool
}

func newUserRequests(on func() bool) *userRequests {
	return &userRequests{
		vec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_http_requests_by_user_total",
			Help: "HTTP requests of signed-in users, by route template and user.",
		}, []string{"route", "user_id"}),
		on: on,
	}
}

// Describe implements prometheus.Collector.
func (u *userRequests) Describe(ch chan<- *prometheus.Desc) { u.vec.Describe(ch) }

// Collect implements prometheus.Collector.
func (u *userRequests) Collect(ch chan<- prometheus.Metric) {
	if !u.on() {
		u.vec.Reset()
		return
	}
	u.vec.Collect(ch)
}

func (u *userRequests) count(route, userID string) {
	if userID != "" && u.on() {
		u.vec.WithLabelValues(route, userID).Inc()
	}
}

// callerNote carries the authenticated user from the handler back out to
// the metrics middleware.
type callerNote struct{ userID atomic.Pointer[string] }

type callerNoteKey struct{}

func withCallerNote(ctx context.Context) (context.Context, *callerNote) {
	n := &callerNote{}
	return context.WithValue(ctx, callerNoteKey{}, n), n
}

// noteCaller records that the request is userID's.
func noteCaller(ctx context.Context, userID string) {
	if n, ok := ctx.Value(callerNoteKey{}).(*callerNote); ok {
		n.userID.Store(&userID)
	}
}

func (n *callerNote) user() string {
	if p := n.userID.Load(); p != nil {
		return *p
	}
	return ""
}
