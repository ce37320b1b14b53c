package incident

import (
	"sync"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/topology"
)

func TestEveryIncidentHasAService(t *testing.T) {
	for _, n := range Names() {
		svc, ok := ServiceOf(n)
		if !ok || svc == "" {
			t.Errorf("%s has no service", n)
		}
		if _, ok := allowed[n]; !ok {
			t.Errorf("%s has no parameter list", n)
		}
	}
	if len(NamesOf(topology.Auth)) != 0 {
		t.Errorf("auth has incidents %v", NamesOf(topology.Auth))
	}
}

func TestDefaults(t *testing.T) {
	s := NewSet(topology.Catalog)
	if err := s.On(SlowQuery, Params{ParamRPC: RPCGetProduct}); err != nil {
		t.Fatal(err)
	}
	if got := s.QueryDelay(RPCGetProduct); got != DefaultQueryDelay {
		t.Errorf("QueryDelay(GetProduct) = %v, want %v", got, DefaultQueryDelay)
	}
	if got := s.QueryDelay(RPCListProducts); got != 0 {
		t.Errorf("QueryDelay(ListProducts) = %v, want 0", got)
	}
	n := NewSet(topology.Notification)
	if err := n.On(SMTPSlow, nil); err != nil {
		t.Fatal(err)
	}
	if got := n.SMTPDelay(); got != DefaultSMTPDelay {
		t.Errorf("SMTPDelay = %v, want %v", got, DefaultSMTPDelay)
	}
}

func TestNilSetIsAllOff(t *testing.T) {
	var s *Set
	if s.RegionDown("us-east") || s.QueryDelay(RPCGetProduct) != 0 || s.NPlusOne() || s.SMTPDelay() != 0 ||
		s.SMTPReject() || s.OutboxStalled() || s.Cardinality() || len(s.Active()) != 0 {
		t.Error("a nil set has an incident on")
	}
	if _, _, on := s.LockContention(); on {
		t.Error("a nil set contends")
	}
	s.Clear()
}

// TestChangedWakesWaiters is what the lock-contention loop relies on.
func TestChangedWakesWaiters(t *testing.T) {
	s := NewSet(topology.Orders)
	changed := s.Changed()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.On(OutboxStalled, nil); err != nil {
			t.Error(err)
		}
	})
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("Changed was not closed by On")
	}
	wg.Wait()
	if s.Changed() == changed {
		t.Error("Changed returned the closed channel again")
	}
}
