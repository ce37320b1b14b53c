package notification

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shoplab/shoplab/internal/database"
)

// TestMigrationKeepsSentEvents: upgrading to the inbox keeps the sent
// events (so that a redelivery stays a duplicate) and drops the old
// pending ones, whose offsets were never committed: Kafka delivers them
// again and they are stored with their body.
func TestMigrationKeepsSentEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "notification.db")
	db, err := database.Open(ctx, database.Source{Path: path}, database.Migrations{SQLite: migrations.SQLite[:1]})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO processed_events (event_id, topic, status, recipient, subject, created_at, sent_at) VALUES
		('evt-sent', 'order.placed', 'sent', 'ada@example.com', 's', 1, 2),
		('evt-pending', 'order.placed', 'pending', 'ada@example.com', 's', 1, NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = database.Open(ctx, database.Source{Path: path}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT event_id, status, attempts FROM processed_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, status string
		var attempts int
		if err := rows.Scan(&id, &status, &attempts); err != nil {
			t.Fatal(err)
		}
		got = append(got, id+" "+status)
	}
	if len(got) != 1 || got[0] != "evt-sent sent" {
		t.Errorf("rows after migration = %v, want [evt-sent sent]", got)
	}
}
