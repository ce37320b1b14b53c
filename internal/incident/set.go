package incident

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Set is the incidents that are on in one service. It is safe for
// concurrent use, lives in memory only, and a nil *Set has every incident
// off, so code that was given none needs no check.
type Set struct {
	service string
	// on is an immutable snapshot, replaced whole on every change: the
	// request paths read it without a lock.
	on atomic.Pointer[map[string]entry]
	mu sync.Mutex // serialises writers
	// changed is closed and replaced on every change.
	changed chan struct{}
}

// entry is one incident that is on, with its parameters parsed.
type entry struct {
	params             Params
	region, rpc        string
	delay, hold, every time.Duration
}

// NewSet is an empty set for service, which accepts only the incidents
// that act in it.
func NewSet(service string) *Set {
	s := &Set{service: service, changed: make(chan struct{})}
	s.on.Store(&map[string]entry{})
	return s
}

// Service is the service s belongs to.
func (s *Set) Service() string {
	if s == nil {
		return ""
	}
	return s.service
}

// On switches incident name on with params, replacing the parameters it
// had. The error wraps ErrUnknown for a name that does not act in this
// service and ErrBadParams for parameters that do not fit it.
func (s *Set) On(name string, params Params) error {
	if s == nil {
		return fmt.Errorf("%s: %w", name, ErrUnknown)
	}
	if svc, ok := services[name]; !ok || svc != s.service {
		return fmt.Errorf("%s in %s: %w", name, s.service, ErrUnknown)
	}
	e, err := parse(name, params)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.update(func(m map[string]entry) { m[name] = e })
	return nil
}

// Off switches incident name off; it is no error if it was off. The error
// wraps ErrUnknown for a name that does not act in this service.
func (s *Set) Off(name string) error {
	if s == nil {
		return fmt.Errorf("%s: %w", name, ErrUnknown)
	}
	if svc, ok := services[name]; !ok || svc != s.service {
		return fmt.Errorf("%s in %s: %w", name, s.service, ErrUnknown)
	}
	s.update(func(m map[string]entry) { delete(m, name) })
	return nil
}

// Clear switches every incident off.
func (s *Set) Clear() {
	if s == nil {
		return
	}
	s.update(func(m map[string]entry) { clear(m) })
}

// Active lists the incidents that are on, sorted by name.
func (s *Set) Active() []Active {
	out := []Active{}
	for name, e := range s.snapshot() {
		out = append(out, Active{Name: name, Params: maps.Clone(e.params)})
	}
	slices.SortFunc(out, func(a, b Active) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Changed is closed at the next change of s: a loop that acts while an
// incident is on waits on it instead of polling. A nil set never changes.
func (s *Set) Changed() <-chan struct{} {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Set) update(change func(map[string]entry)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := maps.Clone(*s.on.Load())
	change(next)
	s.on.Store(&next)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Set) snapshot() map[string]entry {
	if s == nil {
		return nil
	}
	return *s.on.Load()
}

func (s *Set) get(name string) (entry, bool) {
	e, ok := s.snapshot()[name]
	return e, ok
}
