package fault

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// FuzzParse: Parse never panics, what it accepts respects the limits,
// and String renders an accepted set as a value Parse accepts again and
// reads back to the same faults (less those without effect), so that
// what the gateway forwards is what a service applies.
func FuzzParse(f *testing.F) {
	// The seeds are in testdata/fuzz/FuzzParse.
	f.Fuzz(func(t *testing.T, raw string) {
		set, err := Parse(raw)
		if err != nil {
			if set != nil {
				t.Fatalf("Parse(%q) = %v with error %v", raw, set, err)
			}
			return
		}
		if len(raw) > MaxLen {
			t.Fatalf("Parse accepted %d bytes", len(raw))
		}
		if len(set) > MaxItems {
			t.Fatalf("Parse(%q) accepted %d items", raw, len(set))
		}
		var total time.Duration
		for _, f := range set {
			if !slices.Contains(services, f.Service) {
				t.Fatalf("Parse(%q) accepted service %q", raw, f.Service)
			}
			if f.Delay < 0 || (f.Delay > 0 && f.Code != codes.OK) {
				t.Fatalf("Parse(%q) gave fault %+v", raw, f)
			}
			total += f.Delay
		}
		if total > MaxDelay {
			t.Fatalf("Parse(%q) accepted %s of delays", raw, total)
		}

		s := set.String()
		if len(s) > MaxLen {
			t.Fatalf("String of %q is %d bytes: a service would refuse it", raw, len(s))
		}
		again, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) refuses String of %q: %v", s, raw, err)
		}
		if again.String() != s {
			t.Fatalf("String not stable: %q, then %q", s, again.String())
		}
		effective := slices.DeleteFunc(slices.Clone(set), func(f Fault) bool { return f.Delay == 0 && f.Code == codes.OK })
		if !slices.Equal(again, effective) {
			t.Fatalf("round trip of %q: %+v, want %+v", raw, again, effective)
		}
	})
}
