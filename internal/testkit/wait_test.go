package testkit

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestWaitFor(t *testing.T) {
	tests := []struct {
		name string
		wait func(tb testing.TB)
		want string // in the failure message; "" when it must not fail
	}{
		{
			name: "bool holds after a while",
			wait: func(tb testing.TB) {
				n := 0
				WaitFor(tb, 10*time.Second, "three polls", func() bool { n++; return n == 3 })
			},
		},
		{
			name: "error holds after a while",
			wait: func(tb testing.TB) {
				n := 0
				WaitFor(tb, 10*time.Second, "three polls", func() error {
					if n++; n < 3 {
						return errors.New("not three")
					}
					return nil
				})
			},
		},
		{
			name: "bool never holds",
			wait: func(tb testing.TB) { WaitFor(tb, 100*time.Millisecond, "the impossible", func() bool { return false }) },
			want: "timed out after 100ms waiting for the impossible",
		},
		{
			name: "error never holds",
			wait: func(tb testing.TB) {
				WaitFor(tb, 100*time.Millisecond, "the impossible", func() error { return errors.New("still not") })
			},
			want: "timed out after 100ms waiting for the impossible: still not",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, tc.wait)
			if tc.want == "" && got != "" {
				t.Fatalf("failed: %s", got)
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("failure %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

// TestWaitForReportsTheLastError: the failure names the condition's last
// answer, not its first.
func TestWaitForReportsTheLastError(t *testing.T) {
	n := 0
	got := run(t, func(tb testing.TB) {
		WaitFor(tb, 200*time.Millisecond, "the impossible", func() error { n++; return fmt.Errorf("attempt %d", n) })
	})
	if want := fmt.Sprintf(": attempt %d", n); n < 2 || !strings.HasSuffix(got, want) {
		t.Fatalf("after %d attempts the failure is %q, want it to end %q", n, got, want)
	}
}
