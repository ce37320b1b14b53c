package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shoplab/shoplab/internal/outbox"
	"github.com/shoplab/shoplab/internal/sqlitedb"
)

// migrations[i] takes the schema from version i to i+1; append, never edit.
var migrations = []string{
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
}

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
// it on the first start. INSERT OR IGNORE then SELECT lets two instances
// starting together agree on one key.
func loadOrCreateSigningKey(ctx context.Context, db *sql.DB) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	var key []byte
	err := sqlitedb.InTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)`, signingKeySetting, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, signingKeySetting).Scan(&key)
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
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE email = ?`, email).Scan(&one)
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
		`INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
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
		`SELECT id, email, name, password_hash, created_at FROM users WHERE email = ?`, email).
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
		`UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, next, id, old)
	if err != nil {
		return false, fmt.Errorf("update password hash: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update password hash: %w", err)
	}
	return n == 1, nil
}
