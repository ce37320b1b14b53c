package outbox

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

// relayFixture is a relay over a real outbox (SQLite or PostgreSQL), publishing to a
// publisher the test controls, with its log lines captured.
type relayFixture struct {
	relay *Relay
	pub   *outagePublisher
	logs  *testkit.SyncBuffer
	seq   int
}

func newRelayFixture(t *testing.T, src database.Source, pub *outagePublisher, minBackoff, maxBackoff time.Duration) *relayFixture {
	t.Helper()
	ctx := context.Background()
	db, err := openOutbox(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &testkit.SyncBuffer{}
	tel, err := telemetry.New(ctx, telemetry.Config{Service: "orders", Stdout: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	r, err := NewRelay(db, src.Dialect(), pub, tel)
	if err != nil {
		t.Fatal(err)
	}
	r.minBackoff, r.maxBackoff = minBackoff, maxBackoff
	return &relayFixture{relay: r, pub: pub, logs: logs}
}

// run starts the relay and stops it when the test ends.
func (f *relayFixture) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.relay.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil on a clean stop", err)
		}
	})
}

// commit enqueues the next event in its own transaction, as a service
// does, and notifies the relay; it returns the event's key. Only the test
// goroutine calls it.
func (f *relayFixture) commit(t *testing.T) string {
	t.Helper()
	f.seq++
	key := fmt.Sprintf("order-%05d", f.seq)
	ctx := context.Background()
	env, err := events.NewEnvelope("event-"+key, events.TopicOrderPlaced, time.Now(), map[string]string{"order_id": key})
	if err != nil {
		t.Fatal(err)
	}
	err = database.InTx(ctx, f.relay.db, func(tx *sql.Tx) error {
		return Enqueue(ctx, tx, telemetry.Propagator(), events.TopicOrderPlaced, key, env)
	})
	if err != nil {
		t.Fatal(err)
	}
	f.relay.Notify()
	return key
}

func (f *relayFixture) backlog(t *testing.T) int {
	t.Helper()
	n, err := f.relay.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// logLine is the part of a JSON log line the tests look at.
type logLine struct {
	Level          string `json:"level"`
	Msg            string `json:"msg"`
	RetryIn        string `json:"retry_in"`
	FailedAttempts int    `json:"failed_attempts"`
}

// lines returns the captured log lines whose message starts with prefix.
func (f *relayFixture) lines(t *testing.T, prefix string) []logLine {
	t.Helper()
	var out []logLine
	sc := bufio.NewScanner(strings.NewReader(f.logs.String()))
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if strings.HasPrefix(l.Msg, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// outagePublisher fails its first failFirst calls, and every call while
// down is set; it records when each call was made and what got through.
type outagePublisher struct {
	mu        sync.Mutex
	failFirst int
	down      bool
	attempts  []time.Time
	failures  int
	published []string
}

var errBrokerDown = errors.New("dial tcp 127.0.0.1:9092: connect: connection refused")

func (p *outagePublisher) Publish(_ context.Context, msgs ...kafka.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.attempts = append(p.attempts, time.Now())
	if len(p.attempts) <= p.failFirst || p.down {
		p.failures++
		return errBrokerDown
	}
	for _, m := range msgs {
		p.published = append(p.published, string(m.Key))
	}
	return nil
}

func (p *outagePublisher) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

// snapshot returns copies of the attempt times and the published keys.
func (p *outagePublisher) snapshot() (attempts []time.Time, failures int, published []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.attempts...), p.failures, append([]string(nil), p.published...)
}

// schema is the outbox alone, as a service's migrations would hold it.
var schema = database.Migrations{SQLite: []string{Schema}, Postgres: []string{PostgresSchema}}

func openOutbox(ctx context.Context, src database.Source) (*sql.DB, error) {
	return database.Open(ctx, src, schema)
}

// forEachBackend runs test against a fresh outbox database on each engine.
func forEachBackend(t *testing.T, test func(t *testing.T, src database.Source)) {
	testkit.ForEachBackend(t, func(t *testing.T, b testkit.Backend) { test(t, b.New(t)) })
}
