package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

// TestRelaysOfSeveralReplicasPublishEachEventOnce runs several relays,
// each with a connection pool of its own as separate replicas have, over
// one PostgreSQL outbox that receives events while they run: every event
// goes out, and none twice.
func TestRelaysOfSeveralReplicasPublishEachEventOnce(t *testing.T) {
	const (
		relays = 4
		events = 300
	)
	ctx := context.Background()
	src := testkit.PostgresSource(t)
	pub := &outagePublisher{}
	var writer *sql.DB
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, relays)
	for i := range relays {
		db, err := openOutbox(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		writer = db
		tel, err := telemetry.New(ctx, telemetry.Config{Service: fmt.Sprintf("orders-%d", i), Stdout: &testkit.SyncBuffer{}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tel.Shutdown(context.Background()) })
		r, err := NewRelay(db, src.Dialect(), pub, tel)
		if err != nil {
			t.Fatal(err)
		}
		// Small batches and a short poll make the relays contend for rows.
		r.batch, r.poll = 7, 5*time.Millisecond
		go func() { done <- r.Run(runCtx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range relays {
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		}
	})

	want := map[string]bool{}
	for i := range events {
		key := fmt.Sprintf("order-%05d", i)
		want[key] = true
		enqueue(t, writer, key)
	}
	backlog := func() int {
		var n int
		if err := writer.QueryRow(`SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	testkit.WaitFor(t, 60*time.Second, "the outbox to drain", func() bool { return backlog() == 0 })

	_, _, published := pub.snapshot()
	seen := map[string]int{}
	for _, k := range published {
		seen[k]++
		if seen[k] == 2 {
			t.Errorf("event %s published more than once", k)
		}
		if !want[k] {
			t.Errorf("published %s, which was never enqueued", k)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("published %d distinct events, want %d", len(seen), len(want))
	}
}

func enqueue(t *testing.T, db *sql.DB, key string) {
	t.Helper()
	ctx := context.Background()
	env, err := events.NewEnvelope("event-"+key, events.TopicOrderPlaced, time.Now(), map[string]string{"order_id": key})
	if err != nil {
		t.Fatal(err)
	}
	err = database.InTx(ctx, db, func(tx *sql.Tx) error {
		return Enqueue(ctx, tx, telemetry.Propagator(), events.TopicOrderPlaced, key, env)
	})
	if err != nil {
		t.Fatal(err)
	}
}
