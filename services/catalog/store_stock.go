package catalog

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/shoplab/shoplab/internal/database"
)

// reserve takes the stock for every line or none, in one transaction.
// replayed reports that the order already held a reservation, which is
// returned unchanged.
//
// On SQLite the transaction holds the write lock from BEGIN, so no other
// reservation runs meanwhile. On PostgreSQL replicas reserve at once: each
// decrement is conditional on the stock it needs still being there (see
// takeStock), and two reservations of one order collide on the
// reservations' primary key; the loser, rolled back, runs again and finds
// the winner's reservation to replay.
func (st *store) reserve(ctx context.Context, orderID string, lines []Line) (res Reservation, replayed bool, err error) {
	res, replayed, err = st.reserveOnce(ctx, orderID, lines)
	if err != nil && database.IsUniqueViolation(err) {
		res, replayed, err = st.reserveOnce(ctx, orderID, lines)
	}
	if err != nil {
		return Reservation{}, false, fmt.Errorf("reserve stock for order %s: %w", orderID, err)
	}
	return res, replayed, nil
}

func (st *store) reserveOnce(ctx context.Context, orderID string, lines []Line) (res Reservation, replayed bool, err error) {
	err = database.InTx(ctx, st.db, func(tx *sql.Tx) error {
		prior, released, err := reservationOf(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if len(prior.Lines) > 0 {
			if released {
				return fmt.Errorf("order %s: %w", orderID, ErrReservationReleased)
			}
			res, replayed = prior, true
			return nil
		}
		res, err = takeStock(ctx, tx, orderID, lines)
		return err
	})
	return res, replayed, err
}

// reservationOf reads the reservation of orderID, in the order it was
// taken (rowid follows insertion).
func reservationOf(ctx context.Context, tx *sql.Tx, orderID string) (res Reservation, released bool, err error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT r.product_id, p.name, r.quantity, r.unit_price_cents, r.currency, r.released
		FROM reservations r JOIN products p ON p.id = r.product_id
		WHERE r.order_id = $1 ORDER BY r.rowid`, orderID)
	if err != nil {
		return Reservation{}, false, err
	}
	defer rows.Close()
	res.OrderID = orderID
	for rows.Next() {
		var (
			l   ReservedLine
			rel bool
		)
		if err := rows.Scan(&l.ProductID, &l.Name, &l.Quantity, &l.UnitPriceCents, &res.Currency, &rel); err != nil {
			return Reservation{}, false, err
		}
		released = released || rel
		res.Lines = append(res.Lines, l)
	}
	return res, released, rows.Err()
}

// takeStock checks and prices every line, then takes the stock. The
// decrement is conditional (stock >= quantity) and its row count checked:
// on PostgreSQL another replica may have taken the stock between the read
// and the write, and the row lock the UPDATE waits on makes it see that
// replica's result, so that stock never goes below zero nor is sold twice.
func takeStock(ctx context.Context, tx *sql.Tx, orderID string, lines []Line) (Reservation, error) {
	res := Reservation{OrderID: orderID}
	for _, l := range lines {
		p, err := getProduct(ctx, tx, l.ProductID)
		if err != nil {
			return Reservation{}, err
		}
		if p.Stock < l.Quantity {
			return Reservation{}, &InsufficientStockError{ProductID: p.ID, Name: p.Name, Requested: l.Quantity, Available: p.Stock}
		}
		if res.Currency == "" {
			res.Currency = p.Currency
		} else if res.Currency != p.Currency {
			return Reservation{}, fmt.Errorf("%w: %s and %s", ErrMixedCurrency, res.Currency, p.Currency)
		}
		res.Lines = append(res.Lines, ReservedLine{ProductID: p.ID, Name: p.Name, Quantity: l.Quantity, UnitPriceCents: p.PriceCents})
	}
	// Product rows are locked in ID order, so that two reservations of
	// the same products wait on each other instead of deadlocking.
	for _, l := range byProduct(res.Lines) {
		if err := decrementStock(ctx, tx, l); err != nil {
			return Reservation{}, err
		}
	}
	now := time.Now().UnixNano()
	for _, l := range res.Lines {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO reservations (order_id, product_id, quantity, unit_price_cents, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			orderID, l.ProductID, l.Quantity, l.UnitPriceCents, res.Currency, now); err != nil {
			return Reservation{}, fmt.Errorf("record reservation of product %d: %w", l.ProductID, err)
		}
	}
	return res, nil
}

// decrementStock takes l's units if they are still there.
func decrementStock(ctx context.Context, tx *sql.Tx, l ReservedLine) error {
	r, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1`, l.Quantity, l.ProductID)
	if err != nil {
		return fmt.Errorf("decrement stock of product %d: %w", l.ProductID, err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return fmt.Errorf("decrement stock of product %d: %w", l.ProductID, err)
	}
	if n == 1 {
		return nil
	}
	// Taken by another replica since it was read: report what is left.
	p, err := getProduct(ctx, tx, l.ProductID)
	if err != nil {
		return err
	}
	return &InsufficientStockError{ProductID: p.ID, Name: p.Name, Requested: l.Quantity, Available: p.Stock}
}

// byProduct returns a copy of lines in product ID order.
func byProduct[L interface{ productID() int64 }](lines []L) []L {
	out := slices.Clone(lines)
	slices.SortFunc(out, func(a, b L) int { return cmp.Compare(a.productID(), b.productID()) })
	return out
}

func (l ReservedLine) productID() int64 { return l.ProductID }
func (l Line) productID() int64         { return l.ProductID }

// release gives back the stock orderID still holds and reports how many
// units went back; a second call, or an unknown order, releases nothing.
// Marking the lines released comes first and returns what it marked: on
// PostgreSQL two replicas releasing one order queue on the reservation
// rows, and the second finds nothing left to give back.
func (st *store) release(ctx context.Context, orderID string) (units int64, err error) {
	err = database.InTx(ctx, st.db, func(tx *sql.Tx) error {
		units = 0
		held, err := markReleased(ctx, tx, orderID)
		if err != nil {
			return err
		}
		for _, l := range byProduct(held) {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock + $1 WHERE id = $2`, l.Quantity, l.ProductID); err != nil {
				return fmt.Errorf("restore stock of product %d: %w", l.ProductID, err)
			}
			units += l.Quantity
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("release stock of order %s: %w", orderID, err)
	}
	return units, nil
}

// markReleased marks the unreleased lines of orderID released and returns
// them; the rows are closed before the caller writes.
func markReleased(ctx context.Context, tx *sql.Tx, orderID string) ([]Line, error) {
	rows, err := tx.QueryContext(ctx,
		`UPDATE reservations SET released = 1 WHERE order_id = $1 AND released = 0 RETURNING product_id, quantity`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.ProductID, &l.Quantity); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
