package auth

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

func TestRegisterSucceedsWhileBrokerIsDown(t *testing.T) {
	testkit.ForEachBackend(t, testRegisterSucceedsWhileBrokerIsDown)
}

func testRegisterSucceedsWhileBrokerIsDown(t *testing.T, b testkit.Backend) {
	pub := &failingPublisher{}
	s := newTestService(t, Options{Database: b.New(t), Publisher: pub})
	c := serve(t, s)
	runInBackground(t, s)

	if _, err := c.Register(t.Context(), &shopv1.RegisterRequest{Email: "ada@example.com", Password: "password", Name: "Ada"}); err != nil {
		t.Fatalf("Register with Kafka down: %v", err)
	}
	testkit.WaitFor(t, 10*time.Second, "the relay to try publishing", func() bool { return pub.calls.Load() > 0 })
	if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_outbox_backlog", nil); got != 1 {
		t.Errorf("shoplab_outbox_backlog = %v, want 1", got)
	}
}

func TestUserRegisteredReachesKafka(t *testing.T) {
	b, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	tel := newTelemetry(t)
	pub, err := events.NewPublisher(tel, b.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	s := newTestService(t, Options{Telemetry: tel, Publisher: pub})
	c := serve(t, s)
	runInBackground(t, s)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ctx, span := tel.Tracer().Start(ctx, "test client")
	reg, err := c.Register(ctx, &shopv1.RegisterRequest{Email: "ada@example.com", Password: "password", Name: "Ada"})
	span.End()
	if err != nil {
		t.Fatal(err)
	}

	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: b.Addrs(), GroupID: "auth-test", GroupTopics: []string{events.TopicUserRegistered},
		StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond,
	})
	t.Cleanup(func() { r.Close() })
	msg, err := r.FetchMessage(ctx)
	if err != nil {
		t.Fatalf("no user.registered message: %v", err)
	}
	env, err := events.DecodeEnvelope(msg.Value)
	if err != nil {
		t.Fatal(err)
	}
	var data events.UserRegistered
	if err := json.Unmarshal(env.Data, &data); err != nil {
		t.Fatal(err)
	}
	want := events.UserRegistered{UserID: reg.GetUser().GetId(), Email: "ada@example.com", Name: "Ada"}
	if env.Type != events.TopicUserRegistered || data != want {
		t.Errorf("event %s %+v, want %s %+v", env.Type, data, events.TopicUserRegistered, want)
	}
	if string(msg.Key) != want.UserID {
		t.Errorf("key = %q, want the user ID", msg.Key)
	}
	// The event continues the trace of the request that registered the
	// user, although the relay published it later.
	carrier := propagation.MapCarrier{}
	for _, h := range msg.Headers {
		carrier[h.Key] = string(h.Value)
	}
	got := trace.SpanContextFromContext(tel.Propagator.Extract(context.Background(), carrier)).TraceID()
	if got != span.SpanContext().TraceID() {
		t.Errorf("message trace = %s, want the client's %s", got, span.SpanContext().TraceID())
	}
	testkit.WaitFor(t, 10*time.Second, "the outbox to drain", func() bool {
		return testkit.MetricValue(t, tel.Registry, "shoplab_outbox_backlog", nil) == 0
	})
}
