package notification

import (
	"fmt"
	"net/mail"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/testkit"
)

// replicas builds n services on src, each with a connection pool of its
// own as n processes would have, without running them.
func replicas(t *testing.T, src database.Source, n int) []*Service {
	t.Helper()
	var out []*Service
	for range n {
		s, err := New(t.Context(), Options{Database: src, Telemetry: newTelemetry(t, "notification", nil), Brokers: []string{"127.0.0.1:1"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

func testEmail(i int) email {
	return email{to: &mail.Address{Name: "Ada", Address: fmt.Sprintf("ada%d@example.com", i)}, subject: "s", body: "b"}
}

// TestReplicasStoreAnEventOnce: replicas handed the same event at once
// (a consumer group rebalancing) store it once; the others learn that it
// is known, so that one e-mail goes out.
func TestReplicasStoreAnEventOnce(t *testing.T) {
	testkit.ForEachBackend(t, testReplicasStoreAnEventOnce)
}

func testReplicasStoreAnEventOnce(t *testing.T, be testkit.Backend) {
	const events, attempts = 10, 8
	svcs := replicas(t, be.New(t), 4)
	stored := make([]int, events)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for e := range events {
		for i := range attempts {
			wg.Go(func() {
				<-start
				ok, err := svcs[i%len(svcs)].store(t.Context(), fmt.Sprintf("evt-%d", e), "order.placed", time.Time{}, testEmail(e), propagation.MapCarrier{})
				if err != nil {
					t.Errorf("store evt-%d: %v", e, err)
					return
				}
				if ok {
					mu.Lock()
					stored[e]++
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	for e, n := range stored {
		if n != 1 {
			t.Errorf("evt-%d stored %d times, want once", e, n)
		}
	}
}

// TestReplicasClaimDisjointEmails: the senders of several replicas
// claiming due e-mails at once never claim the same one, and between
// them claim all.
func TestReplicasClaimDisjointEmails(t *testing.T) {
	testkit.ForEachBackend(t, testReplicasClaimDisjointEmails)
}

func testReplicasClaimDisjointEmails(t *testing.T, be testkit.Backend) {
	const emails = 60
	svcs := replicas(t, be.New(t), 4)
	for e := range emails {
		if _, err := svcs[0].store(t.Context(), fmt.Sprintf("evt-%d", e), "order.placed", time.Time{}, testEmail(e), propagation.MapCarrier{}); err != nil {
			t.Fatal(err)
		}
	}
	claimed := map[string]int{}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for _, s := range svcs {
		for range 3 {
			wg.Go(func() {
				<-start
				for {
					got, err := s.claimDue(t.Context(), 4, time.Hour)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, q := range got {
						claimed[q.eventID]++
					}
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if len(claimed) != emails {
		t.Errorf("claimed %d distinct e-mails, want %d", len(claimed), emails)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
}
