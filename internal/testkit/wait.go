package testkit

import (
	"context"
	"errors"
	"testing"
	"time"
)

// pollInterval is how often WaitFor checks its condition.
const pollInterval = 50 * time.Millisecond

// WaitFor polls cond every 50 ms until it holds, and fails the test after
// timeout, saying what it was waiting for. cond is a func() bool, or a
// func() error whose error says why it does not hold yet (a metric's
// value, a server's answer): the last such error ends the failure
// message. cond may itself fail the test, say when the process it waits
// for has exited.
func WaitFor[C func() bool | func() error](t testing.TB, timeout time.Duration, what string, cond C) {
	t.Helper()
	var check func() error
	switch c := any(cond).(type) {
	case func() bool:
		check = func() error {
			if c() {
				return nil
			}
			return errNotYet
		}
	case func() error:
		check = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			if errors.Is(err, errNotYet) {
				t.Fatalf("timed out after %s waiting for %s", timeout, what)
			}
			t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
		case <-tick.C:
		}
	}
}

// errNotYet stands for a func() bool condition's false. The failure
// message leaves it out: it would add nothing to what.
var errNotYet = errors.New("not yet")
