package orders

import "github.com/shoplab/shoplab/internal/outbox"

// migrations returns the schema steps: migrations()[i] takes the schema from version i to i+1 (see sqlitedb.Open).
// Times are Unix nanoseconds, as in the outbox table. pending_reservations
// notes the orders whose stock may be reserved in the catalog before they
// are stored (pending.go).
func migrations() []string {
	return []string{`
CREATE TABLE orders (
	id          TEXT    PRIMARY KEY,
	user_id     TEXT    NOT NULL,
	email       TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
	currency    TEXT    NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX orders_by_user ON orders (user_id, created_at);
CREATE TABLE order_lines (
	order_id         TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	line_no          INTEGER NOT NULL,
	product_id       INTEGER NOT NULL,
	name             TEXT    NOT NULL,
	quantity         INTEGER NOT NULL CHECK (quantity > 0),
	unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
	PRIMARY KEY (order_id, line_no)
);
`, outbox.Schema, `
CREATE TABLE pending_reservations (
	order_id   TEXT    PRIMARY KEY,
	created_at INTEGER NOT NULL,
	expired    INTEGER NOT NULL DEFAULT 0 CHECK (expired IN (0, 1))
);
`}
}
