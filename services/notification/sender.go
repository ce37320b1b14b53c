package notification

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// Sender defaults and timings.
const (
	defaultSenders         = 4
	defaultRetryBackoff    = time.Second
	defaultMaxRetryBackoff = 5 * time.Minute
	// senderPoll is the longest the sender sleeps without looking for due
	// e-mails; new ones wake it at once.
	senderPoll = 5 * time.Second
	// claimRetry is the pause after the database failed to hand out work.
	claimRetry = time.Second
	// leaseMargin is added to the send timeout to make a claimed row's
	// lease. A lease runs out only when the outcome of a send could not
	// be recorded; a dead process's are released at the next start.
	leaseMargin = time.Minute
	// backlogInterval is how often the pending e-mail gauges are refreshed.
	backlogInterval = 2 * time.Second
)

// wakeSender tells the sender that an e-mail is waiting.
func (s *Service) wakeSender() {
	select {
	case s.wake <- struct{}{}:
	default: // already told
	}
}

// runSender delivers pending e-mails until ctx ends, up to s.senders at a
// time, each as soon as it is due: an e-mail that keeps failing waits for
// its own next attempt and holds up no other.
func (s *Service) runSender(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, s.senders)
	freed := make(chan struct{}, 1)
	lease := s.sendTimeout + leaseMargin
	for {
		wait := senderPoll
		if free := cap(slots) - len(slots); free > 0 {
			batch, err := s.claimDue(ctx, free, lease)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.tel.Logger.WarnContext(ctx, "cannot read pending e-mails; retrying", "error", err)
				wait = claimRetry
			}
			for _, q := range batch {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() {
						<-slots
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					s.attempt(ctx, q)
				})
			}
			if err == nil && len(batch) < free {
				wait = s.untilNextDue(ctx)
			}
		}
		if !s.idle(ctx, wait, freed, len(slots) < cap(slots)) {
			return
		}
	}
}

// idle waits until a send finishes, or, when the sender has a free slot,
// until an e-mail is queued or wait passes. With every slot busy only a
// finished send makes room: waking for anything else would spin on due
// rows that cannot be claimed. It reports false when ctx ended.
func (s *Service) idle(ctx context.Context, wait time.Duration, freed <-chan struct{}, free bool) bool {
	var (
		wake  <-chan struct{}
		timer <-chan time.Time
	)
	if free {
		wake = s.wake
		t := time.NewTimer(wait)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-freed:
	case <-wake:
	case <-timer:
	}
	return true
}

// untilNextDue is how long the sender may sleep before an e-mail is due.
func (s *Service) untilNextDue(ctx context.Context) time.Duration {
	at, ok, err := s.nextDue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.tel.Logger.WarnContext(ctx, "cannot read pending e-mails; retrying", "error", err)
		}
		return claimRetry
	}
	if !ok {
		return senderPoll
	}
	return min(max(at.Sub(s.now()), 0), senderPoll)
}

// attempt sends one claimed e-mail and records the outcome: sent, due
// again after a backoff (transient failure), or dead (the server refused
// it for good). Its span continues the event's trace.
func (s *Service) attempt(ctx context.Context, q queued) {
	parent := s.tel.Propagator.Extract(ctx, q.trace)
	ctx, span := s.tel.Tracer().Start(parent, "deliver e-mail",
		trace.WithAttributes(
			attribute.String("messaging.message.id", q.eventID),
			attribute.String("messaging.destination.name", q.topic),
			attribute.Int("shoplab.email.attempt", q.attempts),
		))
	defer span.End()
	// The outcome is recorded even when ctx ended during the send.
	dbctx := context.WithoutCancel(ctx)
	err := s.deliver(ctx, q.eventID, q.email, func() { s.sent(ctx, dbctx, q) })
	if err == nil {
		return // recorded on acceptance
	}
	if ctx.Err() != nil {
		// Shutting down cut the send short: due again at the next start.
		if err := s.markRetry(dbctx, q.eventID, s.now(), err); err != nil {
			s.tel.Logger.WarnContext(dbctx, "e-mail interrupted and not rescheduled; its lease is released at the next start", "event_id", q.eventID, "error", err)
		}
		return
	}
	s.metrics.sent.WithLabelValues(q.topic, s.channel, outcomeError).Inc()
	span.RecordError(err)
	f := classify(err)
	if f.permanent {
		span.SetStatus(codes.Error, "e-mail dead-lettered")
		s.deadLetter(dbctx, q, f, err)
		return
	}
	span.SetStatus(codes.Error, "e-mail send failed; will retry")
	retryIn := s.backoff(q.attempts)
	level, msg := slog.LevelWarn, "e-mail not sent; will retry"
	if f.serverRefuses {
		level, msg = slog.LevelError, "mail server refuses every e-mail; will retry"
	}
	s.tel.Logger.Log(ctx, level, msg, "event_id", q.eventID, "topic", q.topic, "attempts", q.attempts, "retry_in", retryIn.String(), "error", err)
	if err := s.markRetry(dbctx, q.eventID, s.now().Add(retryIn), err); err != nil {
		s.tel.Logger.ErrorContext(dbctx, "e-mail retry not recorded; it is due when its lease runs out", "event_id", q.eventID, "error", err)
	}
}

// sent records q's e-mail as sent. deliver calls it the moment the mail
// server accepts the e-mail, before the conversation ends: the shorter
// the time between acceptance and record, the fewer e-mails a crash makes
// go out twice.
func (s *Service) sent(ctx, dbctx context.Context, q queued) {
	s.metrics.sent.WithLabelValues(q.topic, s.channel, outcomeOK).Inc()
	if !q.occurredAt.IsZero() {
		telemetry.Observe(ctx, s.metrics.latency.WithLabelValues(q.topic), s.now().Sub(q.occurredAt).Seconds())
	}
	// A crash between the acceptance and this mark sends the e-mail again
	// at the next start, a failed write when the lease runs out. No
	// transaction can close that window (the SMTP server is not part of
	// it): it is the irreducible cost of at-least-once delivery, and the
	// stable Message-ID lets mail software spot the copy.
	if err := s.markSent(dbctx, q.eventID); err != nil {
		s.tel.Logger.ErrorContext(ctx, "e-mail sent but not recorded; it will be sent again", "event_id", q.eventID, "error", err)
		return
	}
	s.tel.Logger.InfoContext(ctx, "e-mail sent", "event_id", q.eventID, "topic", q.topic, "channel", s.channel, "attempts", q.attempts)
}

func (s *Service) deadLetter(ctx context.Context, q queued, f failure, cause error) {
	s.metrics.deadLetters.WithLabelValues(q.topic, f.reasonClass).Inc()
	s.tel.Logger.ErrorContext(ctx, "e-mail dead-lettered: the mail server refused it for good",
		"event_id", q.eventID, "topic", q.topic, "to", q.email.to.Address, "reason_class", f.reasonClass,
		"attempts", q.attempts, "error", cause)
	if err := s.markDead(ctx, q.eventID, cause); err != nil {
		s.tel.Logger.ErrorContext(ctx, "dead letter not recorded; the e-mail will be tried again", "event_id", q.eventID, "error", err)
	}
}

// backoff is the pause after the given number of failed attempts:
// doubling from s.retryBackoff, capped at s.maxRetryBackoff.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.retryBackoff
	for i := 1; i < attempts && d < s.maxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, s.maxRetryBackoff)
}

// watchBacklog keeps the pending e-mail gauges current until ctx ends, so
// that e-mail lag shows even when the Kafka lag is zero.
func (s *Service) watchBacklog(ctx context.Context) {
	t := time.NewTicker(backlogInterval)
	defer t.Stop()
	for {
		if err := s.updateBacklog(ctx); err != nil && ctx.Err() == nil {
			s.tel.Logger.WarnContext(ctx, "cannot measure the pending e-mails", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) updateBacklog(ctx context.Context) error {
	pending, err := s.pendingBacklog(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, topic := range events.Topics() {
		b := pending[topic]
		age := 0.0
		if b.count > 0 {
			age = max(now.Sub(b.oldest).Seconds(), 0)
		}
		s.metrics.pending.WithLabelValues(topic).Set(float64(b.count))
		s.metrics.oldestAge.WithLabelValues(topic).Set(age)
	}
	return nil
}
