package lesson

import (
	"fmt"
	"slices"
	"time"
)

// millis formats a duration in milliseconds, with a decimal below 10.
func millis(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func ms(d time.Duration) string { return millis(float64(d.Microseconds()) / 1000) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sortedKeys are m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
