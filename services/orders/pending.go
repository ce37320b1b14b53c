package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A pending reservation is the orders service's note, written before it
// asks the catalog for stock, that an order may hold stock it has not
// stored yet. Storing the order deletes the note in the same transaction;
// a note that outlives the reservation timeout belongs to an order that
// was never stored (a crash, a lost compensation), and the reconciler
// gives its stock back. See reconcile.go.

// ErrReservationExpired means the reconciler released the order's stock
// before the order could be stored; the order is refused.
var ErrReservationExpired = errors.New("stock reservation expired before the order was stored")

// notePending records that order id is about to reserve stock.
func notePending(ctx context.Context, db *sql.DB, id string, now time.Time) error {
	if _, err := db.ExecContext(ctx,
		`INSERT INTO pending_reservations (order_id, created_at) VALUES ($1, $2)`, id, now.UnixNano()); err != nil {
		return fmt.Errorf("note pending reservation of order %s: %w", id, err)
	}
	return nil
}

// ensurePending makes sure the reconciler will retry the release of id,
// after a compensation failed; the note is normally still there.
func ensurePending(ctx context.Context, db *sql.DB, id string, now time.Time) error {
	if _, err := db.ExecContext(ctx,
		`INSERT INTO pending_reservations (order_id, created_at) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING`,
		id, now.UnixNano()); err != nil {
		return fmt.Errorf("keep pending reservation of order %s: %w", id, err)
	}
	return nil
}

// deletePending drops the note of id once the catalog holds nothing for it.
func deletePending(ctx context.Context, db *sql.DB, id string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM pending_reservations WHERE order_id = $1`, id); err != nil {
		return fmt.Errorf("forget pending reservation of order %s: %w", id, err)
	}
	return nil
}

// claimPending turns the note of id into a stored order, inside the
// order's transaction. It fails with ErrReservationExpired once the
// reconciler has taken the note: SQLite serialises the two writes, and on
// PostgreSQL they queue on the note's row lock, the second seeing the
// first's result; so either the order is stored and the reconciler never
// sees the note, or the reconciler releases the stock and the order is
// refused.
func claimPending(ctx context.Context, tx *sql.Tx, id string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM pending_reservations WHERE order_id = $1 AND expired = 0`, id)
	if err != nil {
		return fmt.Errorf("claim pending reservation of order %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("claim pending reservation of order %s: %w", id, err)
	}
	if n != 1 {
		return fmt.Errorf("order %s: %w", id, ErrReservationExpired)
	}
	return nil
}

// expirePending marks the notes created before cutoff as the reconciler's,
// so that their orders can no longer be stored, and returns every note
// so marked, including those whose release failed in an earlier pass.
func expirePending(ctx context.Context, db *sql.DB, cutoff time.Time) ([]pendingNote, error) {
	var out []pendingNote
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("expire pending reservations: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`UPDATE pending_reservations SET expired = 1 WHERE expired = 0 AND created_at < $1`, cutoff.UnixNano()); err != nil {
		return nil, fmt.Errorf("expire pending reservations: %w", err)
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT order_id, created_at FROM pending_reservations WHERE expired = 1 ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("expire pending reservations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			n       pendingNote
			created int64
		)
		if err := rows.Scan(&n.orderID, &created); err != nil {
			return nil, fmt.Errorf("expire pending reservations: %w", err)
		}
		n.createdAt = time.Unix(0, created)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expire pending reservations: %w", err)
	}
	rows.Close()
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("expire pending reservations: %w", err)
	}
	return out, nil
}

type pendingNote struct {
	orderID   string
	createdAt time.Time
}
