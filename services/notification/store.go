package notification

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/mail"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/shoplab/shoplab/internal/database"
)

// migrations are the schema steps, one list per engine (see
// database.Migrations); append, never edit. PostgreSQL starts from the
// schema SQLite reached.
var migrations = database.Migrations{SQLite: []string{`
CREATE TABLE processed_events (
	event_id   TEXT    PRIMARY KEY,
	topic      TEXT    NOT NULL,
	status     TEXT    NOT NULL CHECK (status IN ('pending', 'sent')),
	recipient  TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	created_at INTEGER NOT NULL, -- unix nanoseconds
	sent_at    INTEGER           -- unix nanoseconds; NULL while pending
);
`,
	// The inbox: the consumer stores the whole e-mail and a sender delivers
	// it. Pending rows of the old schema have no body; they were never
	// sent and their offsets never committed, so Kafka delivers them again
	// and they are stored afresh.
	`
CREATE TABLE processed_events_v2 (
	event_id        TEXT    PRIMARY KEY,
	topic           TEXT    NOT NULL,
	status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
	recipient       TEXT    NOT NULL,
	recipient_name  TEXT    NOT NULL DEFAULT '',
	subject         TEXT    NOT NULL,
	body            TEXT    NOT NULL DEFAULT '',
	trace_headers   TEXT    NOT NULL DEFAULT '{}', -- JSON: W3C trace context and baggage of the consumer span
	occurred_at     INTEGER,                       -- unix nanoseconds; NULL when the event had none
	created_at      INTEGER NOT NULL,              -- unix nanoseconds: accepted from Kafka
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0,    -- unix nanoseconds; meaningful while pending
	last_error      TEXT,                          -- the last failure; for a dead row, why it was given up
	sent_at         INTEGER,
	dead_at         INTEGER
);
INSERT INTO processed_events_v2 (event_id, topic, status, recipient, subject, created_at, sent_at)
	SELECT event_id, topic, status, recipient, subject, created_at, sent_at FROM processed_events WHERE status = 'sent';
DROP TABLE processed_events;
ALTER TABLE processed_events_v2 RENAME TO processed_events;
CREATE INDEX processed_events_due ON processed_events (next_attempt_at) WHERE status = 'pending';
`,
	// A claimed row's lease was only a future next_attempt_at, which a
	// retry backoff is too: a restart could not tell the e-mails a killed
	// process was sending, and they waited for their lease to run out.
	// leased_until marks them. Rows claimed before this migration keep
	// waiting for their lease.
	`
ALTER TABLE processed_events ADD COLUMN leased_until INTEGER; -- unix nanoseconds: next_attempt_at while a sender holds the row; NULL otherwise
`}, Postgres: []string{`
CREATE TABLE processed_events (
	event_id        TEXT    PRIMARY KEY,
	topic           TEXT    NOT NULL,
	status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
	recipient       TEXT    NOT NULL,
	recipient_name  TEXT    NOT NULL DEFAULT '',
	subject         TEXT    NOT NULL,
	body            TEXT    NOT NULL DEFAULT '',
	trace_headers   TEXT    NOT NULL DEFAULT '{}', -- JSON: W3C trace context and baggage of the consumer span
	occurred_at     BIGINT,                        -- unix nanoseconds; NULL when the event had none
	created_at      BIGINT  NOT NULL,              -- unix nanoseconds: accepted from Kafka
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT  NOT NULL DEFAULT 0,    -- unix nanoseconds; meaningful while pending
	last_error      TEXT,                          -- the last failure; for a dead row, why it was given up
	sent_at         BIGINT,
	dead_at         BIGINT,
	leased_until    BIGINT                         -- unix nanoseconds: next_attempt_at while a sender holds the row; NULL otherwise
);
CREATE INDEX processed_events_due ON processed_events (next_attempt_at) WHERE status = 'pending';
`}}

// Event statuses.
const (
	statusPending = "pending"
	statusSent    = "sent"
	statusDead    = "dead"
)

// claimDueQuery reads the pending e-mails whose attempt is due.
const claimDueQuery = `
	SELECT event_id, topic, recipient, recipient_name, subject, body, trace_headers, occurred_at, attempts
	FROM processed_events
	WHERE status = $1 AND next_attempt_at <= $2
	ORDER BY next_attempt_at, created_at
	LIMIT $3`

// claimDueLockedQuery is claimDueQuery for PostgreSQL, where the senders of
// several replicas claim at once (claimDue).
const claimDueLockedQuery = claimDueQuery + ` FOR UPDATE SKIP LOCKED`

// queued is a pending e-mail as the sender needs it.
type queued struct {
	eventID string
	topic   string
	email   email
	// trace is the consumer span's context, so that the send continues
	// the event's trace.
	trace propagation.MapCarrier
	// occurredAt is when the event happened; zero when unknown.
	occurredAt time.Time
	// attempts counts the attempt being made.
	attempts int
}

// store records the e-mail of event eventID as pending, due now, unless
// the event is known already; it reports whether it stored it. The row is
// committed when store returns, before the consumer commits the offset:
// an accepted event is never lost. The primary key decides, not a read
// before the write: of replicas handed the same event at once (a
// rebalance), exactly one stores it and the others are told it is known.
func (s *Service) store(ctx context.Context, eventID, topic string, occurredAt time.Time, e email, trace propagation.MapCarrier) (bool, error) {
	headers, err := json.Marshal(trace)
	if err != nil {
		return false, fmt.Errorf("store event %s: trace headers: %w", eventID, err)
	}
	var occurred sql.NullInt64
	if !occurredAt.IsZero() {
		occurred = sql.NullInt64{Int64: occurredAt.UnixNano(), Valid: true}
	}
	now := s.now().UnixNano()
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO processed_events (event_id, topic, status, recipient, recipient_name, subject, body, trace_headers, occurred_at, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (event_id) DO NOTHING`,
		eventID, topic, statusPending, e.to.Address, e.to.Name, e.subject, e.body, string(headers), occurred, now, now)
	if err != nil {
		return false, fmt.Errorf("store event %s: %w", eventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store event %s: %w", eventID, err)
	}
	return n == 1, nil
}

// claimDue takes up to limit pending e-mails whose attempt is due, the
// longest-waiting first. Each claimed row counts the attempt and is leased
// until now+lease: its next_attempt_at moves to the lease's end, so that
// it is not claimed again while it is being sent, and leased_until says
// that this is a lease, not a backoff. Recording the attempt's outcome
// ends the lease. One that ran out means that the outcome could not be
// recorded, and the e-mail is tried again; the leases of a process that
// died are released at the next start (releaseLeases).
//
// On PostgreSQL the rows are read FOR UPDATE SKIP LOCKED: the senders of
// several replicas claiming at once take different rows, instead of each
// sending the same e-mails.
func (s *Service) claimDue(ctx context.Context, limit int, lease time.Duration) ([]queued, error) {
	var out []queued
	now := s.now()
	query := claimDueQuery
	if s.dialect == database.Postgres {
		query = claimDueLockedQuery
	}
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, statusPending, now.UnixNano(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				q        queued
				to       mail.Address
				headers  string
				occurred sql.NullInt64
			)
			if err := rows.Scan(&q.eventID, &q.topic, &to.Address, &to.Name, &q.email.subject, &q.email.body, &headers, &occurred, &q.attempts); err != nil {
				return err
			}
			q.email.to = &to
			if err := json.Unmarshal([]byte(headers), &q.trace); err != nil {
				// The e-mail matters more than its trace.
				q.trace = propagation.MapCarrier{}
			}
			if occurred.Valid {
				q.occurredAt = time.Unix(0, occurred.Int64)
			}
			q.attempts++
			out = append(out, q)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]string, len(out))
		for i, q := range out {
			ids[i] = q.eventID
		}
		in, args := database.InList(ids, now.Add(lease).UnixNano())
		_, err = tx.ExecContext(ctx, `UPDATE processed_events SET attempts = attempts + 1, next_attempt_at = $1, leased_until = $1
			WHERE event_id IN `+in, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due e-mails: %w", err)
	}
	return out, nil
}

// releaseLeases makes the e-mails leased to a sender due now and returns
// how many there were. Call it before the sender starts: a SQLite
// database belongs to one process, so a lease found then was taken by a
// process that died mid-send, and waiting for it to run out would only
// delay the e-mail. The dead process's attempt stays counted.
//
// A PostgreSQL database is shared by replicas, and a lease found at start
// may be a live replica's, mid-send: releasing it would send that e-mail
// twice. There, leases run out by themselves and nothing is released.
func (s *Service) releaseLeases(ctx context.Context) (int64, error) {
	if s.dialect == database.Postgres {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, `UPDATE processed_events SET next_attempt_at = $1, leased_until = NULL
		WHERE status = $2 AND leased_until IS NOT NULL`, s.now().UnixNano(), statusPending)
	if err != nil {
		return 0, fmt.Errorf("release leases: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("release leases: %w", err)
	}
	return n, nil
}

// nextDue returns when the earliest pending e-mail is due; ok is false
// when none is pending.
func (s *Service) nextDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var next sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM processed_events WHERE status = $1`, statusPending).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due e-mail: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, next.Int64), true, nil
}

// markSent records that the event's e-mail went out.
func (s *Service) markSent(ctx context.Context, eventID string) error {
	return s.update(ctx, eventID, `UPDATE processed_events SET status = $1, sent_at = $2, last_error = NULL, leased_until = NULL WHERE event_id = $3`,
		statusSent, s.now().UnixNano(), eventID)
}

// markRetry schedules the event's next attempt at at.
func (s *Service) markRetry(ctx context.Context, eventID string, at time.Time, cause error) error {
	return s.update(ctx, eventID, `UPDATE processed_events SET next_attempt_at = $1, last_error = $2, leased_until = NULL WHERE event_id = $3`,
		at.UnixNano(), cause.Error(), eventID)
}

// markDead gives up on the event's e-mail, keeping why.
func (s *Service) markDead(ctx context.Context, eventID string, cause error) error {
	return s.update(ctx, eventID, `UPDATE processed_events SET status = $1, dead_at = $2, last_error = $3, leased_until = NULL WHERE event_id = $4`,
		statusDead, s.now().UnixNano(), cause.Error(), eventID)
}

func (s *Service) update(ctx context.Context, eventID, query string, args ...any) error {
	if _, err := s.db.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("update event %s: %w", eventID, err)
	}
	return nil
}

// backlog is the pending e-mails of one event type.
type backlog struct {
	count  int
	oldest time.Time
}

// pendingBacklog returns the pending e-mails by topic.
func (s *Service) pendingBacklog(ctx context.Context) (map[string]backlog, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT topic, COUNT(*), MIN(created_at) FROM processed_events WHERE status = $1 GROUP BY topic`, statusPending)
	if err != nil {
		return nil, fmt.Errorf("pending e-mails: %w", err)
	}
	defer rows.Close()
	out := map[string]backlog{}
	for rows.Next() {
		var (
			topic  string
			b      backlog
			oldest int64
		)
		if err := rows.Scan(&topic, &b.count, &oldest); err != nil {
			return nil, fmt.Errorf("pending e-mails: %w", err)
		}
		b.oldest = time.Unix(0, oldest)
		out[topic] = b
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending e-mails: %w", err)
	}
	return out, nil
}
