package auth

import (
	"slices"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// Costs for the restart tests: users registered at oldCost, service
// restarted at newCost. newCost is not bcrypt.MinCost, so that a hash made
// at a fixed MinCost rather than the configured cost would show.
const (
	oldCost = bcrypt.MinCost
	newCost = bcrypt.MinCost + 1
)

// restartedWithNewCost registers users (e-mail to password) at oldCost,
// restarts the service on the same database at newCost and returns it with
// the exporter recording its spans.
func restartedWithNewCost(t *testing.T, b testkit.Backend, users map[string]string) (*Service, shopv1.AuthServiceClient, *tracetest.InMemoryExporter) {
	t.Helper()
	src := b.New(t)
	before := newTestService(t, Options{Database: src, BcryptCost: oldCost})
	for email, password := range users {
		if _, err := before.register(t.Context(), email, password, "User"); err != nil {
			t.Fatal(err)
		}
	}
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}
	spans := tracetest.NewInMemoryExporter()
	s := newTestService(t, Options{
		Database:   src,
		BcryptCost: newCost,
		Telemetry:  newTelemetry(t, sdktrace.NewSimpleSpanProcessor(spans)),
	})
	return s, serve(t, s), spans
}

func storedCost(t *testing.T, s *Service, email string) int {
	t.Helper()
	u, err := userByEmail(t.Context(), s.db, email)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := bcrypt.Cost(u.PasswordHash)
	if err != nil {
		t.Fatal(err)
	}
	return cost
}

func TestLoginRehashesWhenCostChanged(t *testing.T) {
	testkit.ForEachBackend(t, testLoginRehashesWhenCostChanged)
}

func testLoginRehashesWhenCostChanged(t *testing.T, b testkit.Backend) {
	s, c, spans := restartedWithNewCost(t, b, map[string]string{"ada@example.com": "correct horse"})

	// The first login checks the old hash and stores a new one; the
	// second checks the new one and leaves it.
	for i, wantCompared := range []int{oldCost, newCost} {
		spans.Reset()
		if _, err := c.Login(t.Context(), &shopv1.LoginRequest{Email: "ada@example.com", Password: "correct horse"}); err != nil {
			t.Fatalf("login %d: %v", i+1, err)
		}
		if got := compareCosts(spans); !slices.Equal(got, []int{wantCompared}) {
			t.Errorf("login %d compared against costs %v, want [%d]", i+1, got, wantCompared)
		}
		if got := storedCost(t, s, "ada@example.com"); got != newCost {
			t.Errorf("after login %d: stored hash has cost %d, want %d", i+1, got, newCost)
		}
	}
	if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_auth_password_rehashes_total", nil); got != 1 {
		t.Errorf("rehashes = %v, want 1", got)
	}
}

// Every failed login costs at least one comparison at the configured cost,
// whether the e-mail is unknown or its user's hash predates a cost change,
// so that neither answers faster than a wrong password for an up-to-date
// user. Spans, not clocks, show the work done.
func TestFailedLoginComparesAtConfiguredCost(t *testing.T) {
	testkit.ForEachBackend(t, testFailedLoginComparesAtConfiguredCost)
}

func testFailedLoginComparesAtConfiguredCost(t *testing.T, b testkit.Backend) {
	s, c, spans := restartedWithNewCost(t, b, map[string]string{"ada@example.com": "correct horse"})
	tests := []struct {
		name  string
		email string
		want  []int
	}{
		{"unknown email", "grace@example.com", []int{newCost}},
		{"hash at the old cost", "ada@example.com", []int{oldCost, newCost}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans.Reset()
			_, err := c.Login(t.Context(), &shopv1.LoginRequest{Email: tt.email, Password: "wrong horse"})
			if code := status.Code(err); code != codes.Unauthenticated {
				t.Fatalf("code = %v (%v), want Unauthenticated", code, err)
			}
			if got := compareCosts(spans); !slices.Equal(got, tt.want) {
				t.Errorf("compared against costs %v, want %v", got, tt.want)
			}
		})
	}
	// A failed login proves nothing, so the old hash stays.
	if got := storedCost(t, s, "ada@example.com"); got != oldCost {
		t.Errorf("stored hash has cost %d after failed logins, want %d", got, oldCost)
	}
}
