package catalog

import "github.com/shoplab/shoplab/internal/database"

// migrations returns the schema steps, one list per engine (see
// database.Migrations); append, never edit.
//
// A reservation keeps the unit price and currency it was taken at, so that
// a retried ReserveStock answers with the first result even if the price
// changed in between.
//
// On PostgreSQL, reservations.rowid numbers the lines in the order they
// were taken, as SQLite's implicit rowid does, so that the same query
// reads a reservation back in order on both.
func migrations() database.Migrations {
	return database.Migrations{SQLite: []string{`
CREATE TABLE products (
	id          INTEGER PRIMARY KEY,
	sku         TEXT    NOT NULL UNIQUE,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
	currency    TEXT    NOT NULL,
	stock       INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE TABLE reservations (
	order_id         TEXT    NOT NULL,
	product_id       INTEGER NOT NULL REFERENCES products (id),
	quantity         INTEGER NOT NULL CHECK (quantity > 0),
	unit_price_cents INTEGER NOT NULL,
	currency         TEXT    NOT NULL,
	released         INTEGER NOT NULL DEFAULT 0 CHECK (released IN (0, 1)),
	created_at       INTEGER NOT NULL,
	PRIMARY KEY (order_id, product_id)
);
`}, Postgres: []string{`
CREATE TABLE products (
	id          BIGINT  PRIMARY KEY,
	sku         TEXT    NOT NULL UNIQUE,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	price_cents BIGINT  NOT NULL CHECK (price_cents >= 0),
	currency    TEXT    NOT NULL,
	stock       BIGINT  NOT NULL CHECK (stock >= 0)
);
CREATE TABLE reservations (
	rowid            BIGINT   GENERATED ALWAYS AS IDENTITY,
	order_id         TEXT     NOT NULL,
	product_id       BIGINT   NOT NULL REFERENCES products (id),
	quantity         BIGINT   NOT NULL CHECK (quantity > 0),
	unit_price_cents BIGINT   NOT NULL,
	currency         TEXT     NOT NULL,
	released         SMALLINT NOT NULL DEFAULT 0 CHECK (released IN (0, 1)),
	created_at       BIGINT   NOT NULL,
	PRIMARY KEY (order_id, product_id)
);
`}}
}
