package orders

import (
	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/outbox"
)

// migrations returns the schema steps, one list per engine (see
// database.Migrations); append, never edit.
// Times are Unix nanoseconds, as in the outbox table. pending_reservations
// notes the orders whose stock may be reserved in the catalog before they
// are stored (pending.go).
func migrations() database.Migrations {
	return database.Migrations{SQLite: []string{`
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
`}, Postgres: []string{`
CREATE TABLE orders (
	id          TEXT   PRIMARY KEY,
	user_id     TEXT   NOT NULL,
	email       TEXT   NOT NULL,
	status      TEXT   NOT NULL,
	total_cents BIGINT NOT NULL CHECK (total_cents >= 0),
	currency    TEXT   NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX orders_by_user ON orders (user_id, created_at);
CREATE TABLE order_lines (
	order_id         TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	line_no          INTEGER NOT NULL,
	product_id       BIGINT  NOT NULL,
	name             TEXT    NOT NULL,
	quantity         BIGINT  NOT NULL CHECK (quantity > 0),
	unit_price_cents BIGINT  NOT NULL CHECK (unit_price_cents >= 0),
	PRIMARY KEY (order_id, line_no)
);
CREATE TABLE pending_reservations (
	order_id   TEXT     PRIMARY KEY,
	created_at BIGINT   NOT NULL,
	expired    SMALLINT NOT NULL DEFAULT 0 CHECK (expired IN (0, 1))
);
` + outbox.PostgresSchema}}
}
