package auth

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/shoplab/shoplab/internal/testkit"
)

// TestReplicasRegisterOneEmailOnce: replicas of auth, each with its own
// pool on one database, race to register the same e-mail (in different
// cases); the database lets exactly one through and the others are told
// the e-mail is taken, not an internal error.
func TestReplicasRegisterOneEmailOnce(t *testing.T) {
	testkit.ForEachBackend(t, testReplicasRegisterOneEmailOnce)
}

func testReplicasRegisterOneEmailOnce(t *testing.T, b testkit.Backend) {
	const replicas, attempts = 3, 4
	src := b.New(t)
	var services []*Service
	for range replicas {
		services = append(services, newTestService(t, Options{Database: src}))
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, took int
		others   []error
	)
	start := make(chan struct{})
	for i := range replicas * attempts {
		wg.Go(func() {
			<-start
			email := "ada@example.com"
			if i%2 == 1 {
				email = "ADA@example.com"
			}
			_, err := services[i%replicas].register(t.Context(), email, "password", fmt.Sprintf("Ada %d", i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, errEmailTaken):
				took++
			default:
				others = append(others, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok != 1 || took != replicas*attempts-1 || len(others) > 0 {
		t.Fatalf("registered %d, e-mail taken %d, other errors %v; want 1, %d, none", ok, took, others, replicas*attempts-1)
	}
}
