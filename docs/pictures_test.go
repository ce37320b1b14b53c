package docs_test

// The article's terminal pictures are SVG renders of the TUI's golden
// screens (and of the trace viewer's), which the packages' own tests keep
// equal to what the program draws. Each SVG carries the SHA-256 of the text
// it was rendered from; TestPicturesAreCurrent fails when the text or the
// renderer changed, and `go test ./docs/ -update` renders them again.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// picture is one SVG under docs/img and the golden text it shows.
type picture struct {
	out   string // path under docs/
	src   string // golden file, relative to the repository root
	title string // the picture's accessible title
}

var pictures = []picture{
	{"img/tui-stack.svg", "internal/tui/testdata/stack-local-120x40.golden", "shoplab's terminal UI, Stack screen: the services of a lab started with shoplab up --local"},
	{"img/tui-load.svg", "internal/tui/testdata/load-done-120x40.golden", "shoplab's terminal UI, Load screen: a finished browse run with its charts"},
	{"img/trace-waterfall.svg", "internal/traceview/testdata/checkout-120.golden", "ShopLab's trace viewer: one checkout as a waterfall, from the gateway across Kafka to the e-mail"},
}

// Terminal geometry in hundredths of an SVG user unit: integers keep the
// output byte-stable (no float formatting).
const (
	cellW     = 840  // advance of one monospace cell at fontSize
	cellH     = 1800 // line height
	fontSize  = 14
	padX      = 1400
	padTop    = 4000 // room for the window bar
	padBottom = 1400
	baseline  = 1300 // from a row's top to its text baseline
	bg        = "#1d1f21"
	fg        = "#d5d8d6"
	barBG     = "#2d2f31"
)

// num formats hundredths as a decimal number.
func num(h int) string {
	s := strconv.Itoa(h / 100)
	if f := h % 100; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", f), "0")
	}
	return s
}

// blockShape says how a block-element rune fills its cell, in eighths of
// the cell: x offset, width, y offset from the top, height; and its
// opacity in percent.
func blockShape(r rune) (x, w, y, h, op int, ok bool) {
	switch {
	case r >= '▁' && r <= '█': // lower one eighth .. full block
		n := int(r-'▁') + 1
		return 0, 8, 8 - n, n, 100, true
	case r >= '▉' && r <= '▏': // left seven eighths .. left one eighth
		return 0, int('▏'-r) + 1, 0, 8, 100, true
	case r == '▀':
		return 0, 8, 0, 4, 100, true
	case r == '▐':
		return 4, 4, 0, 8, 100, true
	case r == '░':
		return 0, 8, 0, 8, 25, true
	case r == '▒':
		return 0, 8, 0, 8, 50, true
	case r == '▓':
		return 0, 8, 0, 8, 75, true
	}
	return 0, 0, 0, 0, 0, false
}

func isShape(r rune) bool {
	_, _, _, _, _, ok := blockShape(r)
	return ok || r == '─' || r == '│'
}

// renderTerminalSVG draws a plain-text screen (one rune per cell) as an SVG
// terminal window. Block elements and box-drawing lines become shapes, so
// the charts do not depend on the viewer's fonts; every text run is pinned
// to its columns with textLength.
func renderTerminalSVG(screen []byte, srcPath, title string) ([]byte, error) {
	if !utf8.Valid(screen) {
		return nil, fmt.Errorf("%s is not UTF-8", srcPath)
	}
	if bytes.ContainsRune(screen, '\x1b') {
		return nil, fmt.Errorf("%s holds escape sequences: the renderer draws plain text only", srcPath)
	}
	lines := strings.Split(strings.TrimRight(string(screen), "\n"), "\n")
	cols := 0
	for _, l := range lines {
		cols = max(cols, utf8.RuneCountInString(l))
	}
	width := 2*padX + cols*cellW
	height := padTop + padBottom + len(lines)*cellH
	sum := sha256.Sum256(screen)

	var b strings.Builder
	fmt.Fprintf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" aria-labelledby=\"title\">\n",
		num(width), num(height), num(width), num(height))
	fmt.Fprintf(&b, "<!-- rendered by docs/pictures_test.go from %s; go test ./docs/ -update renders it again -->\n", srcPath)
	fmt.Fprintf(&b, "<!-- source-sha256: %s -->\n", hex.EncodeToString(sum[:]))
	fmt.Fprintf(&b, "<title id=\"title\">%s</title>\n", xmlText(title))
	fmt.Fprintf(&b, "<rect width=\"%s\" height=\"%s\" rx=\"8\" fill=\"%s\"/>\n", num(width), num(height), bg)
	fmt.Fprintf(&b, "<path d=\"M0 8a8 8 0 0 1 8-8H%sa8 8 0 0 1 8 8V26H0Z\" fill=\"%s\"/>\n", num(width-800), barBG)
	for i, c := range []string{"#ff5f56", "#ffbd2e", "#27c93f"} {
		fmt.Fprintf(&b, "<circle cx=\"%d\" cy=\"13\" r=\"5\" fill=\"%s\"/>\n", 18+i*18, c)
	}
	fmt.Fprintf(&b, "<text x=\"%s\" y=\"17\" fill=\"#9a9da0\" font-family=\"sans-serif\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n",
		num(width/2), xmlText(filepath.Base(srcPath)))

	var shapes, text strings.Builder
	for row, l := range lines {
		top := padTop + row*cellH
		runes := []rune(l)
		for col := 0; col < len(runes); {
			left := padX + col*cellW
			r := runes[col]
			if r == ' ' {
				col++
				continue
			}
			if !isShape(r) {
				// A text run: up to the next shape or the next gap of two
				// spaces, so that each run starts at its own column.
				end := col
				for end < len(runes) && !isShape(runes[end]) &&
					(runes[end] != ' ' || (end+1 < len(runes) && runes[end+1] != ' ')) {
					end++
				}
				fmt.Fprintf(&text, "<text x=\"%s\" y=\"%s\" textLength=\"%s\" lengthAdjust=\"spacingAndGlyphs\">%s</text>\n",
					num(left), num(top+baseline), num((end-col)*cellW), xmlText(string(runes[col:end])))
				col = end
				continue
			}
			n := 1
			for col+n < len(runes) && runes[col+n] == r {
				n++
			}
			switch r {
			case '─':
				fmt.Fprintf(&shapes, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"1\"/>\n", num(left), num(top+cellH/2), num(n*cellW))
			case '│':
				for k := range n {
					fmt.Fprintf(&shapes, "<rect x=\"%s\" y=\"%s\" width=\"1\" height=\"%s\"/>\n", num(left+k*cellW+cellW/2), num(top), num(cellH))
				}
			default:
				x, w, y, h, op, _ := blockShape(r)
				opacity := ""
				if op < 100 {
					opacity = " fill-opacity=\"" + num(op) + "\""
				}
				span, count := w*cellW/8, n
				if w == 8 { // whole cells: one rect for the run
					span, count = n*cellW, 1
				}
				for k := range count {
					fmt.Fprintf(&shapes, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"%s/>\n",
						num(left+k*cellW+x*cellW/8), num(top+y*cellH/8), num(span), num(h*cellH/8), opacity)
				}
			}
			col += n
		}
	}
	fmt.Fprintf(&b, "<g fill=\"%s\">\n%s</g>\n", fg, shapes.String())
	fmt.Fprintf(&b, "<g fill=\"%s\" font-family=\"ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace\" font-size=\"%d\" xml:space=\"preserve\">\n%s</g>\n</svg>\n",
		fg, fontSize, text.String())
	return []byte(b.String()), nil
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// checkSVG fails the test when b is not one well-formed <svg> document.
func checkSVG(t *testing.T, name string, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	svgElements := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("%s is not well-formed XML: %v", name, err)
			return
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "svg" {
			svgElements++
		}
	}
	if svgElements != 1 {
		t.Errorf("%s has %d <svg> elements, want 1", name, svgElements)
	}
}

func TestPicturesAreCurrent(t *testing.T) {
	article := string(readFile(t, articleFile))
	for _, p := range pictures {
		t.Run(p.out, func(t *testing.T) {
			src := readFile(t, filepath.Join(repoRoot, filepath.FromSlash(p.src)))
			want, err := renderTerminalSVG(src, p.src, p.title)
			if err != nil {
				t.Fatal(err)
			}
			checkSVG(t, "the rendered "+p.out, want)
			have, err := os.ReadFile(p.out)
			switch {
			case *update && !bytes.Equal(have, want):
				if err := os.MkdirAll(filepath.Dir(p.out), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p.out, want, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("rendered %s from %s", p.out, p.src)
			case err != nil:
				t.Errorf("%v: run go test ./docs/ -update", err)
			case !bytes.Equal(have, want):
				why := "the renderer changed"
				if m := svgHashRE.FindSubmatch(have); m == nil || string(m[1]) != string(svgHashRE.FindSubmatch(want)[1]) {
					why = p.src + " changed since it was rendered"
				}
				t.Errorf("%s is stale (%s): run go test ./docs/ -update", p.out, why)
			}
			if !strings.Contains(article, "("+p.out+")") {
				t.Errorf("%s does not show %s", articleFile, p.out)
			}
		})
	}

	t.Run("no picture without a source", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join("img", "*"))
		for _, f := range files {
			if !slices.ContainsFunc(pictures, func(p picture) bool { return filepath.FromSlash(p.out) == f }) {
				t.Errorf("%s is not rendered by this test: add it to pictures or delete it", f)
			}
		}
	})
}

// The renderer itself: shapes land in their cells and text keeps its
// columns, or a green run proves nothing.
func TestRenderTerminalSVG(t *testing.T) {
	got, err := renderTerminalSVG([]byte("ab  c&d\n█▄▏─\n"), "x.golden", "t")
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, "render", got)
	s := string(got)
	for _, want := range []string{
		`<text x="14" y="53" textLength="16.8" lengthAdjust="spacingAndGlyphs">ab</text>`,
		`<text x="47.6" y="53" textLength="25.2" lengthAdjust="spacingAndGlyphs">c&amp;d</text>`,
		`<rect x="14" y="58" width="8.4" height="18"/>`,    // █ fills its cell
		`<rect x="22.4" y="67" width="8.4" height="9"/>`,   // ▄ its lower half
		`<rect x="30.8" y="58" width="1.05" height="18"/>`, // ▏ its left eighth
		`<rect x="39.2" y="67" width="8.4" height="1"/>`,   // ─ a line through the middle
		"<!-- source-sha256: ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("render lacks %s:\n%s", want, s)
		}
	}
	if _, err := renderTerminalSVG([]byte("\x1b[1mbold\x1b[0m"), "x", "t"); err == nil {
		t.Error("a screen with escape sequences rendered without an error")
	}
	again, _ := renderTerminalSVG([]byte("ab  c&d\n█▄▏─\n"), "x.golden", "t")
	if !bytes.Equal(got, again) {
		t.Error("two renders of the same screen differ")
	}
}
