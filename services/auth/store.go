package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/outbox"
)

// migrations are the schema steps (see database.Migrations); append,
// never edit.
//
// E-mails compare case-insensitively: by SQLite's NOCASE collation, and
// on PostgreSQL by an ICU collation that ignores case (not accents), so
// that the same query, email = $1, finds a user and the UNIQUE constraint
// refuses a second registration on both.
var migrations = database.Migrations{SQLite: []string{
	`
CREATE TABLE users (
	id            TEXT    PRIMARY KEY,
	email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	name          TEXT    NOT NULL,
	password_hash BLOB    NOT NULL,
	created_at    INTEGER NOT NULL -- unix nanoseconds, UTC
);
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
` + outbox.Schema,
}, Postgres: []string{`
CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE users (
	id            TEXT   PRIMARY KEY,
	email         TEXT   COLLATE nocase NOT NULL UNIQUE,
	name          TEXT   NOT NULL,
	password_hash BYTEA  NOT NULL,
	created_at    BIGINT NOT NULL -- unix nanoseconds, UTC
);
CREATE TABLE settings (
	key   TEXT  PRIMARY KEY,
	value BYTEA NOT NULL
);
` + outbox.PostgresSchema,
}}

// signingKeySetting is the settings row holding the generated JWT key.
const signingKeySetting = "jwt_signing_key"

// user is a stored user.
type user struct {
	ID           string
	Email        string
	Name         string
	PasswordHash []byte
	CreatedAt    time.Time
}

// loadOrCreateSigningKey returns the key kept in the database, generating
// it on the first start. Inserting unless present, then reading, lets two
// instances starting together agree on one key.
func loadOrCreateSigningKey(ctx context.Context, db *sql.DB) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	var key []byte
	err := database.InTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, signingKeySetting, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, signingKeySetting).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("signing key: stored key has %d bytes, want at least 32", len(key))
	}
	return key, nil
}

// emailTaken reports whether email (compared case-insensitively, by the
// column's collation) belongs to a user.
func emailTaken(ctx context.Context, tx *sql.Tx, email string) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE email = $1`, email).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look up email: %w", err)
	}
	return true, nil
}

func insertUser(ctx context.Context, tx *sql.Tx, u user) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

// userByEmail returns the user with email, or sql.ErrNoRows.
func userByEmail(ctx context.Context, db *sql.DB, email string) (user, error) {
	var (
		u       user
		created int64
	)
	err := db.QueryRowContext(ctx,
		`SELECT id, email, name, password_hash, created_at FROM users WHERE email = $1`, email).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &created)
	if err != nil {
		return user{}, fmt.Errorf("look up user: %w", err)
	}
	u.CreatedAt = time.Unix(0, created).UTC()
	return u, nil
}

// replacePasswordHash sets user id's password hash to next if it is still
// old, and reports whether it was. Two logins upgrading the same hash at
// once both succeed; the first write wins and the second changes nothing.
func replacePasswordHash(ctx context.Context, db *sql.DB, id string, old, next []byte) (bool, error) {
	res, err := db.ExecContext(ctx,
		`UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, next, id, old)
	if err != nil {
		return false, fmt.Errorf("update password hash: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update password hash: %w", err)
	}
	return n == 1, nil
}
