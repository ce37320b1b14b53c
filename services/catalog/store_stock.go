package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shoplab/shoplab/internal/sqlitedb"
)

// reserve takes the stock for every line or none. It runs in one write
// transaction (BEGIN IMMEDIATE), so no other reservation can change the
// stock between the check and the decrement. replayed reports that the
// order already held a reservation, which is returned unchanged.
func (st *store) reserve(ctx context.Context, orderID string, lines []Line) (res Reservation, replayed bool, err error) {
	err = sqlitedb.InTx(ctx, st.db, func(tx *sql.Tx) error {
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
	if err != nil {
		return Reservation{}, false, fmt.Errorf("reserve stock for order %s: %w", orderID, err)
	}
	return res, replayed, nil
}

// reservationOf reads the reservation of orderID, in the order it was
// taken (rowid follows insertion).
func reservationOf(ctx context.Context, tx *sql.Tx, orderID string) (res Reservation, released bool, err error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT r.product_id, p.name, r.quantity, r.unit_price_cents, r.currency, r.released
		FROM reservations r JOIN products p ON p.id = r.product_id
		WHERE r.order_id = ? ORDER BY r.rowid`, orderID)
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
	now := time.Now().UnixNano()
	for _, l := range res.Lines {
		if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock - ? WHERE id = ?`, l.Quantity, l.ProductID); err != nil {
			return Reservation{}, fmt.Errorf("decrement stock of product %d: %w", l.ProductID, err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO reservations (order_id, product_id, quantity, unit_price_cents, currency, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			orderID, l.ProductID, l.Quantity, l.UnitPriceCents, res.Currency, now); err != nil {
			return Reservation{}, fmt.Errorf("record reservation of product %d: %w", l.ProductID, err)
		}
	}
	return res, nil
}

// release gives back the stock orderID still holds and reports how many
// units went back; a second call, or an unknown order, releases nothing.
func (st *store) release(ctx context.Context, orderID string) (units int64, err error) {
	err = sqlitedb.InTx(ctx, st.db, func(tx *sql.Tx) error {
		held, err := heldLines(ctx, tx, orderID)
		if err != nil {
			return err
		}
		for _, l := range held {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock + ? WHERE id = ?`, l.Quantity, l.ProductID); err != nil {
				return fmt.Errorf("restore stock of product %d: %w", l.ProductID, err)
			}
			units += l.Quantity
		}
		_, err = tx.ExecContext(ctx, `UPDATE reservations SET released = 1 WHERE order_id = ? AND released = 0`, orderID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("release stock of order %s: %w", orderID, err)
	}
	return units, nil
}

// heldLines reads the unreleased lines of orderID; the rows are closed
// before the caller writes.
func heldLines(ctx context.Context, tx *sql.Tx, orderID string) ([]Line, error) {
	rows, err := tx.QueryContext(ctx, `SELECT product_id, quantity FROM reservations WHERE order_id = ? AND released = 0`, orderID)
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
