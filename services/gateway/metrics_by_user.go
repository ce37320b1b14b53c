package gateway

import "github.com/prometheus/client_golang/prometheus"

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
