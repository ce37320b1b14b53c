package incident

import (
	"context"
	"time"
)

// Wait spends an incident's delay d: it returns when d has passed, or
// with ctx's error when ctx ends first, so that a caller that gave up is
// not held.
func Wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The accessors below are what the code where each incident acts asks on
// its hot path: lock-free, and all off on a nil set.

// RegionDown reports whether orders from region r are to fail
// (RegionOutage).
func (s *Set) RegionDown(r string) bool {
	e, ok := s.get(RegionOutage)
	return ok && r != "" && e.region == r
}

// QueryDelay is how much longer the database query of catalog RPC rpc is
// to take (SlowQuery); 0 when it is not slowed.
func (s *Set) QueryDelay(rpc string) time.Duration {
	if e, ok := s.get(SlowQuery); ok && e.rpc == rpc {
		return e.delay
	}
	return 0
}

// NPlusOne reports whether ListProducts is to load stock product by
// product.
func (s *Set) NPlusOne() bool {
	_, ok := s.get(NPlusOne)
	return ok
}

// LockContention is how long the background writer holds the write lock,
// and how often, when LockContention is on.
func (s *Set) LockContention() (hold, every time.Duration, on bool) {
	e, ok := s.get(LockContention)
	return e.hold, e.every, ok
}

// SMTPDelay is how long each send waits before it reaches the mail server
// (SMTPSlow); 0 when it does not.
func (s *Set) SMTPDelay() time.Duration {
	e, ok := s.get(SMTPSlow)
	if !ok {
		return 0
	}
	return e.delay
}

// SMTPReject reports whether sends are to fail with a transient 451.
func (s *Set) SMTPReject() bool {
	_, ok := s.get(SMTPReject)
	return ok
}

// OutboxStalled reports whether the outbox relay is to publish nothing.
func (s *Set) OutboxStalled() bool {
	_, ok := s.get(OutboxStalled)
	return ok
}

// Cardinality reports whether the per-user request counter is to count.
func (s *Set) Cardinality() bool {
	_, ok := s.get(Cardinality)
	return ok
}
