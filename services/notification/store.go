package notification

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/shoplab/shoplab/internal/sqlitedb"
)

// migrations[i] takes the schema from version i to i+1; append, never edit.
var migrations = []string{`
CREATE TABLE processed_events (
	event_id   TEXT    PRIMARY KEY,
	topic      TEXT    NOT NULL,
	status     TEXT    NOT NULL CHECK (status IN ('pending', 'sent')),
	recipient  TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	created_at INTEGER NOT NULL, -- unix nanoseconds
	sent_at    INTEGER           -- unix nanoseconds; NULL while pending
);
`}

// Event statuses.
const (
	statusPending = "pending"
	statusSent    = "sent"
)

// claim records the event as pending unless it is known, and reports
// whether its e-mail already went out. A pending event (an earlier attempt
// failed to send) is sent again.
func (s *Service) claim(ctx context.Context, eventID, topic string, e email) (alreadySent bool, err error) {
	var status string
	err = sqlitedb.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT OR IGNORE INTO processed_events (event_id, topic, status, recipient, subject, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			eventID, topic, statusPending, e.to.Address, e.subject, s.now().UnixNano()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT status FROM processed_events WHERE event_id = ?`, eventID).Scan(&status)
	})
	if err != nil {
		return false, fmt.Errorf("claim event %s: %w", eventID, err)
	}
	return status == statusSent, nil
}

// markSent records that the event's e-mail went out.
func (s *Service) markSent(ctx context.Context, eventID string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE processed_events SET status = ?, sent_at = ? WHERE event_id = ?`,
		statusSent, s.now().UnixNano(), eventID)
	if err != nil {
		return fmt.Errorf("mark event %s sent: %w", eventID, err)
	}
	return nil
}
