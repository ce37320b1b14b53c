// Package topology is the shop's address book: which services exist, in
// which order they start, where each listens, and how to tell that they
// are healthy. It knows nothing of how a service is built, so the tools
// that only look at a running lab (doctor, the TUI, status) do not link
// the services, SQLite or Kafka.
package topology

// Service names: the service.name of their spans, the service field of
// their logs, the name of their log file and their Prometheus job.
const (
	Gateway      = "gateway"
	Auth         = "auth"
	Catalog      = "catalog"
	Orders       = "orders"
	Notification = "notification"
)

// Services lists the shop's services in start order.
func Services() []string { return []string{Catalog, Auth, Orders, Notification, Gateway} }
