package notification

import (
	"context"

	"go.opentelemetry.io/otel/propagation"

	"github.com/shoplab/shoplab/internal/events"
)

// handle is the consumer's handler: it stores the e-mail an event calls
// for, once per event ID, and leaves the sending to the sender. It touches
// only the service's own database, so a mail server that refuses or stalls
// on one e-mail cannot hold up the events behind it. An error makes the
// consumer retry the event, an events.ErrPermanent error makes it skip it.
func (s *Service) handle(ctx context.Context, topic string, env events.Envelope) error {
	e, err := compose(topic, env)
	if err != nil {
		return err
	}
	trace := propagation.MapCarrier{}
	s.tel.Propagator.Inject(ctx, trace)
	stored, err := s.store(ctx, env.ID, topic, env.OccurredAt, e, trace)
	if err != nil {
		return err
	}
	if !stored {
		s.metrics.duplicates.WithLabelValues(topic).Inc()
		s.tel.Logger.InfoContext(ctx, "duplicate event ignored", "event_id", env.ID, "topic", topic)
		return nil
	}
	s.tel.Logger.DebugContext(ctx, "e-mail queued", "event_id", env.ID, "topic", topic)
	s.wakeSender()
	return nil
}
