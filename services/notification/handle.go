package notification

import (
	"context"
	"fmt"

	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// handle sends the e-mail an event calls for, once per event ID. It is the
// consumer's handler: an error makes the consumer retry the event, an
// events.ErrPermanent error makes it skip the event.
func (s *Service) handle(ctx context.Context, topic string, env events.Envelope) error {
	e, err := compose(topic, env)
	if err != nil {
		return err
	}
	sent, err := s.claim(ctx, env.ID, topic, e)
	if err != nil {
		return err
	}
	if sent {
		s.metrics.duplicates.WithLabelValues(topic).Inc()
		s.tel.Logger.InfoContext(ctx, "duplicate event ignored", "event_id", env.ID, "topic", topic)
		return nil
	}
	if err := s.deliver(ctx, env.ID, e); err != nil {
		s.metrics.sent.WithLabelValues(topic, s.channel, outcomeError).Inc()
		return fmt.Errorf("%s e-mail for event %s: %w", topic, env.ID, err)
	}
	s.metrics.sent.WithLabelValues(topic, s.channel, outcomeOK).Inc()
	if !env.OccurredAt.IsZero() {
		telemetry.Observe(ctx, s.metrics.latency.WithLabelValues(topic), s.now().Sub(env.OccurredAt).Seconds())
	}
	// A crash or failed write between the send above and this mark sends
	// the e-mail again when the event is redelivered. No transaction can
	// close that window (the SMTP server is not part of it): it is the
	// irreducible cost of at-least-once delivery, and the stable
	// Message-ID lets mail software spot the copy.
	if err := s.markSent(ctx, env.ID); err != nil {
		// The e-mail is out; failing here would make the consumer retry
		// and send it a second time for sure.
		s.tel.Logger.ErrorContext(ctx, "e-mail sent but not recorded; a redelivery would send it again", "event_id", env.ID, "error", err)
		return nil
	}
	s.tel.Logger.InfoContext(ctx, "e-mail sent", "event_id", env.ID, "topic", topic, "channel", s.channel)
	return nil
}
