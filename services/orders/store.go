package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// StatusPlaced is the status of an accepted order.
const StatusPlaced = "placed"

// Line asks for quantity units of one product.
type Line struct {
	ProductID int64
	Quantity  int64
}

// OrderLine is one priced line of an order.
type OrderLine struct {
	ProductID      int64
	Name           string
	Quantity       int64
	UnitPriceCents int64
}

// Order is a placed order.
type Order struct {
	ID         string
	UserID     string
	Email      string
	Status     string
	Lines      []OrderLine
	TotalCents int64
	Currency   string
	CreatedAt  time.Time
}

// Domain errors. The gRPC layer maps them to status codes.
var (
	// ErrInvalidInput means the request itself is malformed.
	ErrInvalidInput = errors.New("invalid input")
	// ErrOrderNotFound means no order has that ID for that user; an order
	// of another user is reported the same way, so its existence does not
	// leak.
	ErrOrderNotFound = errors.New("order not found")
)

// CatalogError is the catalog's refusal or failure to reserve stock. Err
// is the gRPC error as the catalog returned it, so that its status and
// details can be passed to the caller unchanged.
type CatalogError struct {
	Err error
}

// Error includes the catalog's message, for logs only.
func (e *CatalogError) Error() string { return "reserve stock: " + e.Err.Error() }

// Unwrap returns the catalog's error.
func (e *CatalogError) Unwrap() error { return e.Err }

func insertOrder(ctx context.Context, tx *sql.Tx, o Order) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO orders (id, user_id, email, status, total_cents, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		o.ID, o.UserID, o.Email, o.Status, o.TotalCents, o.Currency, o.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("insert order %s: %w", o.ID, err)
	}
	for i, l := range o.Lines {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO order_lines (order_id, line_no, product_id, name, quantity, unit_price_cents) VALUES ($1, $2, $3, $4, $5, $6)`,
			o.ID, i+1, l.ProductID, l.Name, l.Quantity, l.UnitPriceCents); err != nil {
			return fmt.Errorf("insert line %d of order %s: %w", i+1, o.ID, err)
		}
	}
	return nil
}

// getOrder reads order id if userID owns it.
func getOrder(ctx context.Context, db *sql.DB, id, userID string) (Order, error) {
	o := Order{ID: id}
	var created int64
	err := db.QueryRowContext(ctx,
		`SELECT user_id, email, status, total_cents, currency, created_at FROM orders WHERE id = $1 AND user_id = $2`,
		id, userID).Scan(&o.UserID, &o.Email, &o.Status, &o.TotalCents, &o.Currency, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, ErrOrderNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("get order %s: %w", id, err)
	}
	o.CreatedAt = time.Unix(0, created).UTC()
	rows, err := db.QueryContext(ctx,
		`SELECT product_id, name, quantity, unit_price_cents FROM order_lines WHERE order_id = $1 ORDER BY line_no`, id)
	if err != nil {
		return Order{}, fmt.Errorf("get lines of order %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var l OrderLine
		if err := rows.Scan(&l.ProductID, &l.Name, &l.Quantity, &l.UnitPriceCents); err != nil {
			return Order{}, fmt.Errorf("get lines of order %s: %w", id, err)
		}
		o.Lines = append(o.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return Order{}, fmt.Errorf("get lines of order %s: %w", id, err)
	}
	return o, nil
}
