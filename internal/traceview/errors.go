package traceview

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// The distinct ways finding a trace fails. Errors returned by this package
// wrap one of them, with a message that says what to do.
var (
	// ErrMalformedID: the ID is not 32 hex digits, or is all zeros.
	ErrMalformedID = errors.New("malformed trace ID")
	// ErrNotFound: the store does not have the trace. It may not have
	// arrived yet (spans are exported in batches), may have expired, or
	// the ID is wrong.
	ErrNotFound = errors.New("trace not found")
	// ErrUnavailable: the trace store cannot be read: the stack is down,
	// or local mode has recorded no spans at all.
	ErrUnavailable = errors.New("trace store unavailable")
	// ErrNoLoadRun: --slowest or --last found no load run to pick from.
	ErrNoLoadRun = errors.New("no load run recorded")
)

// Exit codes of `shoplab trace`, one per failure a script may want to tell
// apart. Any other error exits 1.
const (
	ExitOK          = 0
	ExitMalformedID = 2
	ExitNotFound    = 3
	ExitUnavailable = 4
	ExitNoLoadRun   = 5
)

// ExitCode is the exit code for err (nil is ExitOK).
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrMalformedID):
		return ExitMalformedID
	case errors.Is(err, ErrNotFound):
		return ExitNotFound
	case errors.Is(err, ErrUnavailable):
		return ExitUnavailable
	case errors.Is(err, ErrNoLoadRun):
		return ExitNoLoadRun
	}
	return 1
}

// ParseTraceID checks a W3C trace ID and returns it in lowercase hex, the
// form logs, span files and Tempo use.
func ParseTraceID(s string) (string, error) {
	id := strings.ToLower(strings.TrimSpace(s))
	if len(id) != 32 {
		return "", fmt.Errorf("%w %q: want 32 hex digits, got %d characters", ErrMalformedID, s, len(id))
	}
	b, err := hex.DecodeString(id)
	if err != nil {
		return "", fmt.Errorf("%w %q: want 32 hex digits (0-9, a-f)", ErrMalformedID, s)
	}
	for _, c := range b {
		if c != 0 {
			return id, nil
		}
	}
	return "", fmt.Errorf("%w %q: all zeros is the W3C invalid trace ID", ErrMalformedID, s)
}
