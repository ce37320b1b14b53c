package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/crypto/bcrypt"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/outbox"
)

// session is the result of a successful login.
type session struct {
	user    user
	token   string
	expires time.Time
}

// register creates a user and, in the same transaction, the
// user.registered event. The outbox relay publishes the event later, so a
// registration succeeds while Kafka is down.
func (s *Service) register(ctx context.Context, email, password, name string) (user, error) {
	email, name = strings.TrimSpace(email), strings.TrimSpace(name)
	if err := validateRegistration(email, password, name); err != nil {
		return user{}, err
	}
	// Hash before the transaction: bcrypt takes tens of milliseconds on
	// purpose, and the write lock should not be held meanwhile.
	hash, err := s.hash(ctx, password)
	if err != nil {
		return user{}, err
	}
	u := user{ID: uuid.NewString(), Email: email, Name: name, PasswordHash: hash, CreatedAt: s.now().UTC()}
	env, err := events.NewEnvelope(uuid.NewString(), events.TopicUserRegistered, u.CreatedAt,
		events.UserRegistered{UserID: u.ID, Email: u.Email, Name: u.Name})
	if err != nil {
		return user{}, err
	}
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		// On SQLite the transaction holds the write lock from BEGIN, so no
		// other registration can slip in between this check and the
		// insert. On PostgreSQL one can (another replica's); the UNIQUE
		// constraint on email then refuses the insert.
		taken, err := emailTaken(ctx, tx, email)
		if err != nil {
			return err
		}
		if taken {
			return errEmailTaken
		}
		if err := insertUser(ctx, tx, u); err != nil {
			if database.IsUniqueViolation(err) {
				return errEmailTaken
			}
			return err
		}
		return outbox.Enqueue(ctx, tx, s.tel.Propagator, events.TopicUserRegistered, u.ID, env)
	})
	if err != nil {
		return user{}, fmt.Errorf("register: %w", err)
	}
	s.relay.Notify()
	s.metrics.registrations.Inc()
	s.tel.Logger.InfoContext(ctx, "user registered", "user_id", u.ID, "event_id", env.ID)
	return u, nil
}

// login checks email and password and signs a token. A wrong password and
// an unknown e-mail fail alike, in message and in time. A right password
// whose hash was made at another cost is rehashed at the configured one.
func (s *Service) login(ctx context.Context, email, password string) (session, error) {
	email = strings.TrimSpace(email)
	if err := validateLogin(email, password); err != nil {
		return session{}, err
	}
	u, err := userByEmail(ctx, s.db, email)
	if errors.Is(err, sql.ErrNoRows) {
		_ = s.compare(ctx, s.dummyHash, password)
		s.metrics.logins.WithLabelValues(outcomeInvalidCredentials).Inc()
		return session{}, errInvalidCredentials
	}
	if err != nil {
		return session{}, fmt.Errorf("login: %w", err)
	}
	if err := s.compare(ctx, u.PasswordHash, password); err != nil {
		if !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) && !errors.Is(err, bcrypt.ErrPasswordTooLong) {
			// A stored hash that does not parse is our bug, not the user's.
			return session{}, fmt.Errorf("login: user %s: %w", u.ID, err)
		}
		// A hash made at a lower cost than today's fails faster than the
		// unknown-e-mail path, which would tell that the e-mail exists;
		// it cannot be upgraded without the password, so the failure is
		// made to cost at least as much instead.
		if cost, _ := bcrypt.Cost(u.PasswordHash); cost < s.cost {
			_ = s.compare(ctx, s.dummyHash, password)
		}
		s.metrics.logins.WithLabelValues(outcomeInvalidCredentials).Inc()
		return session{}, errInvalidCredentials
	}
	if err := s.rehashIfStale(ctx, u, password); err != nil {
		// The password was right; an upgrade that failed is retried at the
		// next login rather than turning this one away.
		s.tel.Logger.WarnContext(ctx, "password rehash failed", "user_id", u.ID, "error", err)
	}
	token, exp, err := s.tokens.sign(u)
	if err != nil {
		return session{}, fmt.Errorf("login: %w", err)
	}
	s.metrics.logins.WithLabelValues(outcomeSuccess).Inc()
	s.tel.Logger.InfoContext(ctx, "user logged in", "user_id", u.ID)
	return session{user: u, token: token, expires: exp}, nil
}

// validateToken checks a token and returns its claims.
func (s *Service) validateToken(ctx context.Context, token string) (tokenClaims, error) {
	if token == "" {
		s.metrics.tokenValidations.WithLabelValues(outcomeInvalid).Inc()
		return tokenClaims{}, errMissingToken
	}
	c, err := s.tokens.verify(token)
	if err != nil {
		s.metrics.tokenValidations.WithLabelValues(outcomeInvalid).Inc()
		// The reason (expired, bad signature...) helps whoever debugs a
		// 401; the token itself is a credential and is never logged.
		s.tel.Logger.InfoContext(ctx, "token rejected", "reason", err.Error())
		return tokenClaims{}, err
	}
	s.metrics.tokenValidations.WithLabelValues(outcomeValid).Inc()
	return c, nil
}

// rehashIfStale replaces u's password hash with one at the configured cost
// when it was made at another, so that a cost change reaches every user at
// their next login. Call it only once password has matched the hash.
func (s *Service) rehashIfStale(ctx context.Context, u user, password string) error {
	old, err := bcrypt.Cost(u.PasswordHash)
	if err != nil {
		return fmt.Errorf("rehash: %w", err)
	}
	if old == s.cost {
		return nil
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("rehash: %w", err)
	}
	replaced, err := replacePasswordHash(ctx, s.db, u.ID, u.PasswordHash, hash)
	if err != nil {
		return fmt.Errorf("rehash: %w", err)
	}
	if replaced {
		s.metrics.rehashes.Inc()
		s.tel.Logger.InfoContext(ctx, "password rehashed", "user_id", u.ID, "from_cost", old, "to_cost", s.cost)
	}
	return nil
}

// hash runs bcrypt in its own span: it is most of a registration's time,
// by design, and a trace should show that.
func (s *Service) hash(ctx context.Context, password string) ([]byte, error) {
	_, span := s.tel.Tracer().Start(ctx, "bcrypt hash", trace.WithAttributes(attribute.Int("bcrypt.cost", s.cost)))
	defer span.End()
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

func (s *Service) compare(ctx context.Context, hash []byte, password string) error {
	cost, _ := bcrypt.Cost(hash)
	_, span := s.tel.Tracer().Start(ctx, "bcrypt compare", trace.WithAttributes(attribute.Int("bcrypt.cost", cost)))
	defer span.End()
	return bcrypt.CompareHashAndPassword(hash, []byte(password))
}
