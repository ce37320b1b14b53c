package main

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3" // the services' databases

	"github.com/shoplab/shoplab/internal/events"
)

// shopState is what the services' databases hold, read without going
// through the services.
type shopState struct {
	orders map[string]lines  // stored orders' lines, by order ID
	email  map[string]string // stored orders' recipients
	// events are the order.placed events of the orders outbox.
	events []outboxEvent
	// pendingNotes counts the orders service's pending reservations.
	pendingNotes int
	stock        map[int64]int64
	// held are the catalog's unreleased reservations, by order ID.
	held map[string]lines
	// inbox is the notification inbox's status of each event.
	inbox map[string]string
}

type outboxEvent struct {
	id, orderID string
	sent        bool
}

// openDB opens a service's database read-only; the caller closes it.
func openDB(t *testing.T, dataDir, service string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dataDir, service+".db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// readState reads the three databases; it works on a running lab too
// (WAL readers do not block its writers).
func readState(t *testing.T, orders, catalog, notification *sql.DB) shopState {
	t.Helper()
	s := shopState{orders: map[string]lines{}, email: map[string]string{}, stock: map[int64]int64{},
		held: map[string]lines{}, inbox: map[string]string{}}
	query(t, orders, `SELECT o.id, o.email, l.product_id, l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id`,
		func(r *sql.Rows) error {
			var (
				id, email string
				p, q      int64
			)
			if err := r.Scan(&id, &email, &p, &q); err != nil {
				return err
			}
			if s.orders[id] == nil {
				s.orders[id] = lines{}
			}
			s.orders[id][p] += q
			s.email[id] = email
			return nil
		})
	query(t, orders, `SELECT event_id, msg_key, sent_at IS NOT NULL FROM outbox WHERE topic = ? ORDER BY seq`,
		func(r *sql.Rows) error {
			var e outboxEvent
			if err := r.Scan(&e.id, &e.orderID, &e.sent); err != nil {
				return err
			}
			s.events = append(s.events, e)
			return nil
		}, events.TopicOrderPlaced)
	query(t, orders, `SELECT COUNT(*) FROM pending_reservations`, func(r *sql.Rows) error { return r.Scan(&s.pendingNotes) })
	query(t, catalog, `SELECT id, stock FROM products`, func(r *sql.Rows) error {
		var id, n int64
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		s.stock[id] = n
		return nil
	})
	query(t, catalog, `SELECT order_id, product_id, quantity FROM reservations WHERE released = 0`, func(r *sql.Rows) error {
		var (
			id   string
			p, q int64
		)
		if err := r.Scan(&id, &p, &q); err != nil {
			return err
		}
		if s.held[id] == nil {
			s.held[id] = lines{}
		}
		s.held[id][p] += q
		return nil
	})
	query(t, notification, `SELECT event_id, status FROM processed_events`, func(r *sql.Rows) error {
		var id, status string
		if err := r.Scan(&id, &status); err != nil {
			return err
		}
		s.inbox[id] = status
		return nil
	})
	return s
}

// query runs q and calls row for each row.
func query(t *testing.T, db *sql.DB, q string, row func(*sql.Rows) error, args ...any) {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// stallInbox takes the notification database's write lock and holds it
// until release is called, as a stalled disk would: the consumer cannot
// store events, so they wait in the broker, and the senders cannot record
// their sends.
func stallInbox(t *testing.T, dataDir string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dataDir, "notification.db")+"?_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return func() {
		tx.Rollback()
		db.Close()
	}
}
