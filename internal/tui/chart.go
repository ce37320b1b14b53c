package tui

import (
	"math"
	"strings"
)

// series is a chart's values, oldest first.
type series []float64

// seriesCap bounds a series: wider than any terminal shows.
const seriesCap = 500

func (s series) push(v float64) series {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		v = 0
	}
	s = append(s, v)
	if len(s) > seriesCap {
		s = append(series(nil), s[len(s)-seriesCap:]...)
	}
	return s
}

func (s series) last() float64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

func (s series) max() float64 {
	m := 0.0
	for _, v := range s {
		m = math.Max(m, v)
	}
	return m
}

// sparkline draws the last width values of s in rows lines of block
// characters, each row worth eight levels, scaled so that top is a full
// column. A zero is blank: no traffic should look like none.
func sparkline(s series, width, rows int, top float64) []string {
	blocks := []rune("▁▂▃▄▅▆▇█")
	if width < 1 || rows < 1 {
		return nil
	}
	if len(s) > width {
		s = s[len(s)-width:]
	}
	out := make([]string, rows)
	levels := rows * 8
	for r := range rows {
		var b strings.Builder
		floor := (rows - 1 - r) * 8 // levels below this row
		for _, v := range s {
			l := 0
			if top > 0 && v > 0 {
				l = max(1, int(math.Round(v/top*float64(levels))))
				l = min(l, levels)
			}
			switch n := l - floor; {
			case n <= 0:
				b.WriteRune(' ')
			case n >= 8:
				b.WriteRune(blocks[7])
			default:
				b.WriteRune(blocks[n-1])
			}
		}
		out[r] = b.String() + strings.Repeat(" ", width-len(s))
	}
	return out
}

// bar draws v out of top as a horizontal bar width cells long, to an
// eighth of a cell.
func bar(v, top float64, width int) string {
	eighths := []rune("▏▎▍▌▋▊▉")
	if top <= 0 || v <= 0 || width < 1 {
		return strings.Repeat(" ", max(width, 0))
	}
	n := int(math.Round(math.Min(v/top, 1) * float64(width*8)))
	n = max(n, 1)
	full, part := n/8, n%8
	s := strings.Repeat("█", full)
	if part > 0 {
		s += string(eighths[part-1])
		full++
	}
	return s + strings.Repeat(" ", width-full)
}
