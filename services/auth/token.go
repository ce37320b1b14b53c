package auth

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenIssuer is the iss claim of every token auth signs.
const tokenIssuer = "shoplab-auth"

// tokenClaims are the claims of a login token: sub is the user ID.
type tokenClaims struct {
	Email string `json:"email"`
	jwt.RegisteredClaims
}

// tokenSigner signs and checks HS256 tokens with one key.
type tokenSigner struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// sign returns a token for u and its expiry.
func (t tokenSigner) sign(u user) (string, time.Time, error) {
	// JWT times have second precision; truncating keeps the reported
	// expiry equal to the one in the token.
	now := t.now().UTC().Truncate(time.Second)
	exp := now.Add(t.ttl)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, tokenClaims{
		Email: u.Email,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   u.ID,
			Issuer:    tokenIssuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	})
	signed, err := tok.SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, exp, nil
}

// verify checks token's signature, algorithm, issuer and expiry. Only
// HS256 is accepted: a token that names another algorithm ("none", or an
// asymmetric one whose "public key" would be our secret) is rejected
// before its signature is looked at.
func (t tokenSigner) verify(token string) (tokenClaims, error) {
	var c tokenClaims
	_, err := jwt.ParseWithClaims(token, &c,
		func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return tokenClaims{}, fmt.Errorf("%w: %w", errInvalidToken, err)
	}
	if c.Subject == "" {
		return tokenClaims{}, fmt.Errorf("%w: no subject", errInvalidToken)
	}
	return c, nil
}
