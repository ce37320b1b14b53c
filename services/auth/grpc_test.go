package auth

import (
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

func TestRegisterLoginValidateRoundTrip(t *testing.T) {
	testkit.ForEachBackend(t, testRegisterLoginValidateRoundTrip)
}

func testRegisterLoginValidateRoundTrip(t *testing.T, b testkit.Backend) {
	clk := newClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	s := newTestService(t, Options{Database: b.New(t), Now: clk.Now, TokenTTL: time.Hour})
	c := serve(t, s)
	ctx := t.Context()

	reg, err := c.Register(ctx, &shopv1.RegisterRequest{Email: " Ada@Example.com ", Password: "correct horse", Name: " Ada Lovelace "})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	u := reg.GetUser()
	if u.GetId() == "" || u.GetEmail() != "Ada@Example.com" || u.GetName() != "Ada Lovelace" {
		t.Fatalf("registered user = %v, want trimmed e-mail and name and an ID", u)
	}
	if !u.GetCreatedAt().AsTime().Equal(clk.Now()) {
		t.Errorf("created_at = %v, want %v", u.GetCreatedAt().AsTime(), clk.Now())
	}

	// E-mail addresses compare case-insensitively.
	login, err := c.Login(ctx, &shopv1.LoginRequest{Email: "ada@example.COM", Password: "correct horse"})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if login.GetUser().GetId() != u.GetId() {
		t.Errorf("login user = %s, want %s", login.GetUser().GetId(), u.GetId())
	}
	if want := clk.Now().Add(time.Hour); !login.GetExpiresAt().AsTime().Equal(want) {
		t.Errorf("expires_at = %v, want %v", login.GetExpiresAt().AsTime(), want)
	}

	v, err := c.ValidateToken(ctx, &shopv1.ValidateTokenRequest{Token: login.GetToken()})
	if err != nil {
		t.Fatalf("ValidateToken: %v", err)
	}
	if v.GetUserId() != u.GetId() || v.GetEmail() != u.GetEmail() {
		t.Errorf("ValidateToken = (%s, %s), want (%s, %s)", v.GetUserId(), v.GetEmail(), u.GetId(), u.GetEmail())
	}

	registry := s.tel.Registry
	for _, m := range []struct {
		name   string
		labels map[string]string
	}{
		{"shoplab_auth_registrations_total", nil},
		{"shoplab_auth_logins_total", map[string]string{"outcome": "success"}},
		{"shoplab_auth_token_validations_total", map[string]string{"outcome": "valid"}},
	} {
		if got := testkit.MetricValue(t, registry, m.name, m.labels); got != 1 {
			t.Errorf("%s%v = %v, want 1", m.name, m.labels, got)
		}
	}
}

func TestRegisterValidation(t *testing.T) {
	s := newTestService(t, Options{})
	c := serve(t, s)
	long := func(s string, n int) string { return strings.Repeat(s, n) }

	tests := []struct {
		name      string
		req       *shopv1.RegisterRequest
		wantField string // "" means the registration succeeds
	}{
		{"shortest password", &shopv1.RegisterRequest{Email: "a1@example.com", Password: "12345678", Name: "A"}, ""},
		{"72-byte password", &shopv1.RegisterRequest{Email: "a2@example.com", Password: long("x", 72), Name: "A"}, ""},
		{"36 two-byte runes are 72 bytes", &shopv1.RegisterRequest{Email: "a3@example.com", Password: long("é", 36), Name: "A"}, ""},
		{"100-character name", &shopv1.RegisterRequest{Email: "a4@example.com", Password: "password", Name: long("é", 100)}, ""},
		{"missing email", &shopv1.RegisterRequest{Password: "password", Name: "Ada"}, "email"},
		{"not an email", &shopv1.RegisterRequest{Email: "ada.example.com", Password: "password", Name: "Ada"}, "email"},
		{"display-name form", &shopv1.RegisterRequest{Email: "Ada <ada@example.com>", Password: "password", Name: "Ada"}, "email"},
		{"255-character email", &shopv1.RegisterRequest{Email: long("a", 243) + "@example.com", Password: "password", Name: "Ada"}, "email"},
		{"missing name", &shopv1.RegisterRequest{Email: "b1@example.com", Password: "password"}, "name"},
		{"blank name", &shopv1.RegisterRequest{Email: "b2@example.com", Password: "password", Name: "   "}, "name"},
		{"101-character name", &shopv1.RegisterRequest{Email: "b3@example.com", Password: "password", Name: long("a", 101)}, "name"},
		{"control character in name", &shopv1.RegisterRequest{Email: "b4@example.com", Password: "password", Name: "Ada\r\nBcc: x"}, "name"},
		{"7-byte password", &shopv1.RegisterRequest{Email: "c1@example.com", Password: "1234567", Name: "Ada"}, "password"},
		{"73-byte password", &shopv1.RegisterRequest{Email: "c2@example.com", Password: long("x", 73), Name: "Ada"}, "password"},
		{"37 two-byte runes are 74 bytes", &shopv1.RegisterRequest{Email: "c3@example.com", Password: long("é", 37), Name: "Ada"}, "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Register(t.Context(), tt.req)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Register: %v", err)
				}
				return
			}
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument {
				t.Fatalf("code = %v (%v), want InvalidArgument", st.Code(), err)
			}
			if !strings.Contains(st.Message(), tt.wantField+":") {
				t.Errorf("message %q does not name field %s", st.Message(), tt.wantField)
			}
			if tt.wantField == "password" && !strings.Contains(st.Message(), "72 bytes") {
				t.Errorf("message %q does not explain the 72-byte limit", st.Message())
			}
			var fields []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						fields = append(fields, v.GetField())
					}
				}
			}
			if len(fields) != 1 || fields[0] != tt.wantField {
				t.Errorf("BadRequest fields = %v, want [%s]", fields, tt.wantField)
			}
		})
	}
}

func TestRegisterDuplicateEmail(t *testing.T) { testkit.ForEachBackend(t, testRegisterDuplicateEmail) }

func testRegisterDuplicateEmail(t *testing.T, b testkit.Backend) {
	s := newTestService(t, Options{Database: b.New(t)})
	c := serve(t, s)
	if _, err := c.Register(t.Context(), &shopv1.RegisterRequest{Email: "Ada@example.com", Password: "password", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"Ada@example.com", "ada@example.com", "ADA@EXAMPLE.COM", "  ada@Example.com "} {
		t.Run(email, func(t *testing.T) {
			_, err := c.Register(t.Context(), &shopv1.RegisterRequest{Email: email, Password: "another one", Name: "Imposter"})
			if code := status.Code(err); code != codes.AlreadyExists {
				t.Fatalf("code = %v (%v), want AlreadyExists", code, err)
			}
			if r := reasonOf(err); r != "EMAIL_TAKEN" {
				t.Errorf("reason = %q, want EMAIL_TAKEN", r)
			}
		})
	}
	if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_auth_registrations_total", nil); got != 1 {
		t.Errorf("registrations = %v, want 1", got)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	s := newTestService(t, Options{Telemetry: newTelemetry(t, sdktrace.NewSimpleSpanProcessor(spans))})
	c := serve(t, s)
	if _, err := c.Register(t.Context(), &shopv1.RegisterRequest{Email: "ada@example.com", Password: "correct horse", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		email, password string
	}{
		{"wrong password", "ada@example.com", "wrong horse"},
		{"password differs in case", "ada@example.com", "Correct horse"},
		{"unknown email", "grace@example.com", "correct horse"},
		{"password over bcrypt's limit", "ada@example.com", strings.Repeat("x", 100)},
	}
	var messages []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans.Reset()
			_, err := c.Login(t.Context(), &shopv1.LoginRequest{Email: tt.email, Password: tt.password})
			// Equal work, hence equal time: every failure, unknown e-mail
			// included, runs one bcrypt comparison at the same cost.
			if got, want := compareCosts(spans), []int{bcrypt.MinCost}; !slices.Equal(got, want) {
				t.Errorf("bcrypt compare spans with costs %v, want %v", got, want)
			}
			st := status.Convert(err)
			if st.Code() != codes.Unauthenticated {
				t.Fatalf("code = %v (%v), want Unauthenticated", st.Code(), err)
			}
			if r := reasonOf(err); r != "INVALID_CREDENTIALS" {
				t.Errorf("reason = %q, want INVALID_CREDENTIALS", r)
			}
			messages = append(messages, st.Message())
		})
	}
	for _, m := range messages[1:] {
		if m != messages[0] {
			t.Errorf("messages differ (%q vs %q): they must not reveal whether the e-mail exists", m, messages[0])
		}
	}
	if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_auth_logins_total", map[string]string{"outcome": "invalid_credentials"}); got != float64(len(tests)) {
		t.Errorf("invalid_credentials logins = %v, want %d", got, len(tests))
	}

	_, err := c.Login(t.Context(), &shopv1.LoginRequest{Email: "ada@example.com"})
	if code := status.Code(err); code != codes.InvalidArgument {
		t.Errorf("login without password: code = %v, want InvalidArgument", code)
	}
}
