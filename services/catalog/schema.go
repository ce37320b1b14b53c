package catalog

// migrations returns the schema steps: migrations()[i] takes the schema from version i to i+1 (see sqlitedb.Open).
//
// A reservation keeps the unit price and currency it was taken at, so that
// a retried ReserveStock answers with the first result even if the price
// changed in between.
func migrations() []string {
	return []string{`
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
`}
}
