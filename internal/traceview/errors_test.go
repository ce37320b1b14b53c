package traceview

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseTraceID(t *testing.T) {
	tests := []struct {
		in, want string
		msg      string
	}{
		{in: "4bf92f3577b34da6a3ce929d0e0e4736", want: "4bf92f3577b34da6a3ce929d0e0e4736"},
		{in: " 4BF92F3577B34DA6A3CE929D0E0E4736\n", want: "4bf92f3577b34da6a3ce929d0e0e4736"},
		{in: "", msg: "want 32 hex digits, got 0 characters"},
		{in: "4bf92f3577b34da6", msg: "got 16 characters"},
		{in: "4bf92f3577b34da6a3ce929d0e0e4736aa", msg: "got 34 characters"},
		{in: "4bf92f3577b34da6a3ce929d0e0e473g", msg: "(0-9, a-f)"},
		{in: "00000000000000000000000000000000", msg: "all zeros"},
	}
	for _, tt := range tests {
		got, err := ParseTraceID(tt.in)
		if tt.msg == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseTraceID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if !errors.Is(err, ErrMalformedID) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseTraceID(%q) error = %v; want ErrMalformedID saying %q", tt.in, err, tt.msg)
		}
		if ExitCode(err) != ExitMalformedID {
			t.Errorf("ParseTraceID(%q): exit code %d, want %d", tt.in, ExitCode(err), ExitMalformedID)
		}
	}
}

func TestExitCodesAreDistinct(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{fmt.Errorf("%w: x", ErrMalformedID), 2},
		{fmt.Errorf("%w: x", ErrNotFound), 3},
		{fmt.Errorf("%w: Tempo: %w", ErrUnavailable, errors.New("connection refused")), 4},
		{fmt.Errorf("%w: x", ErrNoLoadRun), 5},
		{errors.New("anything else"), 1},
	}
	seen := map[int]bool{}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
		if seen[tt.want] {
			t.Errorf("exit code %d used twice", tt.want)
		}
		seen[tt.want] = true
	}
}
