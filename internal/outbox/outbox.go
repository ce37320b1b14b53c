// Package outbox implements the transactional outbox: a service writes its
// event in the same database transaction as the change that caused it, and a
// Relay publishes the event afterwards, retrying while the broker is down.
// An accepted change therefore never loses its event, and a broker outage
// never fails a request.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/propagation"

	"github.com/shoplab/shoplab/internal/events"
)

// Schema creates the outbox table on SQLite; append it to the service's
// migrations.
const Schema = `
CREATE TABLE outbox (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id   TEXT    NOT NULL UNIQUE,
	topic      TEXT    NOT NULL,
	msg_key    TEXT    NOT NULL,
	payload    BLOB    NOT NULL,
	headers    TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	sent_at    INTEGER,
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
`

// PostgresSchema is Schema for PostgreSQL.
const PostgresSchema = `
CREATE TABLE outbox (
	seq        BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id   TEXT    NOT NULL UNIQUE,
	topic      TEXT    NOT NULL,
	msg_key    TEXT    NOT NULL,
	payload    BYTEA   NOT NULL,
	headers    TEXT    NOT NULL,
	created_at BIGINT  NOT NULL,
	sent_at    BIGINT,
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
`

// Enqueue records env for topic in tx. The trace context of ctx is stored
// with it, so that the event, published later by the relay, continues the
// trace of the request that created it.
func Enqueue(ctx context.Context, tx *sql.Tx, prop propagation.TextMapPropagator, topic, key string, env events.Envelope) error {
	payload, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("outbox: encode event: %w", err)
	}
	carrier := propagation.MapCarrier{}
	prop.Inject(ctx, carrier)
	headers, err := json.Marshal(carrier)
	if err != nil {
		return fmt.Errorf("outbox: encode headers: %w", err)
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO outbox (event_id, topic, msg_key, payload, headers, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		env.ID, topic, key, payload, string(headers), time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("outbox: insert event %s: %w", env.ID, err)
	}
	return nil
}

type row struct {
	seq int64
	msg kafka.Message
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Reading the first unsent rows: as they are, or claimed for this
// transaction (PostgreSQL), skipping rows another relay has claimed, so
// that relays of several replicas share the backlog instead of each
// publishing all of it.
const (
	pendingQuery = `SELECT seq, topic, msg_key, payload, headers FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT $1`
	claimQuery   = pendingQuery + ` FOR UPDATE SKIP LOCKED`
)

func pending(ctx context.Context, q queryer, query string, limit int) ([]row, error) {
	rows, err := q.QueryContext(ctx, query, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: read pending: %w", err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var (
			r       row
			key     string
			headers string
		)
		if err := rows.Scan(&r.seq, &r.msg.Topic, &key, &r.msg.Value, &headers); err != nil {
			return nil, fmt.Errorf("outbox: scan: %w", err)
		}
		r.msg.Key = []byte(key)
		var h map[string]string
		if err := json.Unmarshal([]byte(headers), &h); err != nil {
			return nil, fmt.Errorf("outbox: headers of row %d: %w", r.seq, err)
		}
		for k, v := range h {
			r.msg.Headers = append(r.msg.Headers, kafka.Header{Key: k, Value: []byte(v)})
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
