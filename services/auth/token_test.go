package auth

import (
	"encoding/base64"
	"github.com/shoplab/shoplab/internal/database"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

func TestValidateTokenRejects(t *testing.T) {
	clk := newClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	s := newTestService(t, Options{Now: clk.Now, TokenTTL: time.Hour})
	c := serve(t, s)
	if _, err := c.Register(t.Context(), &shopv1.RegisterRequest{Email: "ada@example.com", Password: "password", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	login, err := c.Login(t.Context(), &shopv1.LoginRequest{Email: "ada@example.com", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	good := login.GetToken()
	userID := login.GetUser().GetId()
	if _, err := c.ValidateToken(t.Context(), &shopv1.ValidateTokenRequest{Token: good}); err != nil {
		t.Fatalf("fresh token rejected: %v", err)
	}

	claims := func(mod func(*tokenClaims)) tokenClaims {
		c := tokenClaims{Email: "ada@example.com", RegisteredClaims: jwt.RegisteredClaims{
			Subject: userID, Issuer: tokenIssuer,
			IssuedAt: jwt.NewNumericDate(clk.Now()), ExpiresAt: jwt.NewNumericDate(clk.Now().Add(time.Hour)),
		}}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c tokenClaims) string {
		tok, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// The control: a token we forge with the real key and valid claims
	// must pass, or the rejections below prove nothing.
	if _, err := s.tokens.verify(sign(jwt.SigningMethodHS256, s.tokens.key, claims(nil))); err != nil {
		t.Fatalf("control token rejected: %v", err)
	}
	parts := strings.Split(good, ".")
	otherSub := base64.RawURLEncoding.EncodeToString([]byte(`{"email":"ada@example.com","sub":"someone-else","iss":"shoplab-auth","exp":` +
		"9999999999" + `,"iat":1}`))

	tests := []struct {
		name    string
		token   func() string
		advance time.Duration
	}{
		{"empty", func() string { return "" }, 0},
		{"garbage", func() string { return "not-a-token" }, 0},
		{"tampered payload", func() string { return parts[0] + "." + otherSub + "." + parts[2] }, 0},
		{"signed with another key", func() string {
			return sign(jwt.SigningMethodHS256, []byte(strings.Repeat("k", 32)), claims(nil))
		}, 0},
		{"alg none", func() string { return sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)) }, 0},
		{"HS512 with the right key", func() string { return sign(jwt.SigningMethodHS512, s.tokens.key, claims(nil)) }, 0},
		{"wrong issuer", func() string {
			return sign(jwt.SigningMethodHS256, s.tokens.key, claims(func(c *tokenClaims) { c.Issuer = "someone-else" }))
		}, 0},
		{"no expiry", func() string {
			return sign(jwt.SigningMethodHS256, s.tokens.key, claims(func(c *tokenClaims) { c.ExpiresAt = nil }))
		}, 0},
		{"no subject", func() string {
			return sign(jwt.SigningMethodHS256, s.tokens.key, claims(func(c *tokenClaims) { c.Subject = "" }))
		}, 0},
		// Runs last: it moves the clock past the real token's expiry.
		{"expired", func() string { return good }, time.Hour + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token()
			clk.Advance(tt.advance)
			_, err := c.ValidateToken(t.Context(), &shopv1.ValidateTokenRequest{Token: tok})
			if code := status.Code(err); code != codes.Unauthenticated {
				t.Fatalf("code = %v (%v), want Unauthenticated", code, err)
			}
			if r := reasonOf(err); r != "INVALID_TOKEN" {
				t.Errorf("reason = %q, want INVALID_TOKEN", r)
			}
		})
	}
	if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_auth_token_validations_total", map[string]string{"outcome": "invalid"}); got != float64(len(tests)) {
		t.Errorf("invalid validations = %v, want %d", got, len(tests))
	}
}

func TestSigningKey(t *testing.T) { testkit.ForEachBackend(t, testSigningKey) }

func testSigningKey(t *testing.T, b testkit.Backend) {
	// Databases by name: the same name is the same database.
	dbs := map[string]database.Source{}
	db := func(name string) database.Source {
		if _, ok := dbs[name]; !ok {
			dbs[name] = b.New(t)
		}
		return dbs[name]
	}
	secret := strings.Repeat("s", 32)
	tests := []struct {
		name             string
		issuer, verifier Options
		wantValid        bool
	}{
		{"generated key survives a restart", Options{Database: db("a")}, Options{Database: db("a")}, true},
		{"each database generates its own key", Options{Database: db("b")}, Options{Database: db("c")}, false},
		{"a shared secret works across databases", Options{Database: db("d"), JWTSecret: secret}, Options{Database: db("e"), JWTSecret: secret}, true},
		{"a configured secret overrides the stored key", Options{Database: db("f")}, Options{Database: db("f"), JWTSecret: secret}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := newTestService(t, tt.issuer)
			if _, err := issuer.register(t.Context(), "ada@example.com", "password", "Ada"); err != nil {
				t.Fatal(err)
			}
			sess, err := issuer.login(t.Context(), "ada@example.com", "password")
			if err != nil {
				t.Fatal(err)
			}
			if err := issuer.Close(); err != nil {
				t.Fatal(err)
			}
			verifier := newTestService(t, tt.verifier)
			c := serve(t, verifier)
			v, err := c.ValidateToken(t.Context(), &shopv1.ValidateTokenRequest{Token: sess.token})
			switch {
			case tt.wantValid && err != nil:
				t.Fatalf("token rejected: %v", err)
			case tt.wantValid && v.GetUserId() != sess.user.ID:
				t.Errorf("user_id = %s, want %s", v.GetUserId(), sess.user.ID)
			case !tt.wantValid && status.Code(err) != codes.Unauthenticated:
				t.Errorf("err = %v, want Unauthenticated", err)
			}
		})
	}
}
