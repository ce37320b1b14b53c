// Package notification is the ShopEase notification service: it consumes
// the shop's Kafka events and sends the e-mails they call for (a welcome
// for user.registered, a confirmation for order.placed), each event at most
// once in the normal case, however often Kafka delivers it.
//
// It is a transactional inbox: the consumer only stores each e-mail in the
// service's database (before the offset is committed, so nothing accepted
// is lost), and a sender delivers the stored e-mails, retrying transient
// failures with backoff and dead-lettering those the mail server refuses
// for good. A bad recipient or a slow mail server therefore never holds up
// the events behind it.
package notification

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"sync"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// ConsumerGroup is the Kafka consumer group the service joins.
const ConsumerGroup = "notification"

// defaultFrom is the sender when Options.SMTP.From is empty.
const defaultFrom = "ShopEase <orders@shopease.test>"

// Options are the notification service's dependencies.
type Options struct {
	// Database is the service's own database, SQLite or PostgreSQL: the
	// e-mail inbox.
	Database  database.Source
	Telemetry *telemetry.Telemetry
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Partitions is how many partitions a topic the service finds missing
	// is created with; 0 means config.DefaultKafkaPartitions. Up to that many
	// replicas share the consumer group's work.
	Partitions int
	// SMTP is the mail server; when SMTP.Enabled() is false e-mails are
	// only logged.
	SMTP config.SMTP
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SendTimeout bounds one SMTP conversation, dial included; 0 means
	// 30 s. A send that runs out of time is a transient failure.
	SendTimeout time.Duration
	// RetryBackoff is the pause after an e-mail's first transient failure;
	// it doubles with each further failure up to MaxRetryBackoff. 0 means
	// 1 s and 5 min.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// Senders is how many e-mails may be in flight at once; 0 means 4.
	Senders int
	// Incidents are the lab's hidden incidents that act in the mail
	// server's answers; nil has none.
	Incidents *incident.Set
}

// Service is the notification service.
type Service struct {
	db      *sql.DB
	dialect database.Dialect
	tel     *telemetry.Telemetry
	brokers []string
	smtp    config.SMTP
	from    *mail.Address
	channel string
	now     func() time.Time
	metrics *metrics
	// partitions is what a missing topic is created with.
	partitions int

	sendTimeout     time.Duration
	retryBackoff    time.Duration
	maxRetryBackoff time.Duration
	senders         int
	// wake tells the sender that an e-mail was queued.
	wake chan struct{}
	// incidents can slow the mail server down or make it refuse.
	incidents *incident.Set
}

// New opens the database (creating and migrating it if needed) and
// registers the service's metrics. It does not contact Kafka or the SMTP
// server; Run does.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Telemetry == nil || o.Database.IsZero() || len(o.Brokers) == 0 {
		return nil, errors.New("notification: Database, Telemetry and Brokers are required")
	}
	fromText := o.SMTP.From
	if fromText == "" {
		fromText = defaultFrom
	}
	from, err := mail.ParseAddress(fromText)
	if err != nil {
		return nil, fmt.Errorf("notification: sender %q: %w", fromText, err)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	channel := channelLog
	if o.SMTP.Enabled() {
		channel = channelSMTP
	}
	m, err := newMetrics(o.Telemetry.Registry, channel)
	if err != nil {
		return nil, fmt.Errorf("notification: %w", err)
	}
	db, err := database.Open(ctx, o.Database, migrations)
	if err != nil {
		return nil, fmt.Errorf("notification: %w", err)
	}
	return &Service{
		db:      db,
		dialect: o.Database.Dialect(),
		tel:     o.Telemetry,
		brokers: o.Brokers,
		smtp:    o.SMTP,
		from:    from,
		channel: channel,
		now:     now,
		metrics: m,

		partitions: o.Partitions,

		sendTimeout:     cmp.Or(o.SendTimeout, defaultSendTimeout),
		retryBackoff:    cmp.Or(o.RetryBackoff, defaultRetryBackoff),
		maxRetryBackoff: cmp.Or(o.MaxRetryBackoff, defaultMaxRetryBackoff),
		senders:         cmp.Or(o.Senders, defaultSenders),
		wake:            make(chan struct{}, 1),
		incidents:       o.Incidents,
	}, nil
}

// Checks are the service's health checks.
func (s *Service) Checks() map[string]server.Check {
	return map[string]server.Check{string(s.dialect): s.db.PingContext}
}

// Run consumes events and sends their e-mails until ctx ends. The sender
// starts at once, so that e-mails stored before a restart go out even
// while Kafka is down; those a killed process was sending go out first,
// without waiting for its leases to run out. The consumer first makes sure
// the topics exist, retrying while the broker is unreachable, so that the
// consumer group can join before the first event is produced. Call it
// once, and run one Service per database: the consumer registers its
// metrics, so a second Run fails, and a second sender would take the
// first one's e-mails as a dead process's.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Not fatal: the leases still run out, only later.
	if n, err := s.releaseLeases(ctx); err != nil {
		s.tel.Logger.WarnContext(ctx, "e-mails left in flight by a previous process wait for their leases to run out", "error", err)
	} else if n > 0 {
		s.tel.Logger.InfoContext(ctx, "e-mails left in flight by a previous process are due again", "count", n)
	}
	wg.Go(func() { s.runSender(ctx) })
	wg.Go(func() { s.watchBacklog(ctx) })
	if !s.ensureTopics(ctx) {
		return nil
	}
	c, err := events.NewConsumer(s.tel, s.brokers, ConsumerGroup, events.Topics())
	if err != nil {
		return fmt.Errorf("notification: %w", err)
	}
	err = c.Run(ctx, s.handle)
	if cerr := c.Close(); cerr != nil {
		// Leaving the group failed; the broker expires the member anyway.
		s.tel.Logger.WarnContext(ctx, "kafka consumer close failed", "error", cerr)
	}
	return err
}

// ensureTopics retries events.EnsureTopics with a growing pause until it
// succeeds (true) or ctx ends (false).
func (s *Service) ensureTopics(ctx context.Context) bool {
	backoff := 250 * time.Millisecond
	for {
		err := events.EnsureTopics(ctx, s.brokers, s.partitions, events.Topics()...)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		s.tel.Logger.WarnContext(ctx, "kafka not reachable; retrying topic setup", "error", err, "retry_in", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// Close closes the database. Call it after Run has returned.
func (s *Service) Close() error {
	return s.db.Close()
}
