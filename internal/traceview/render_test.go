package traceview

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the render (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestWaterfallGolden(t *testing.T) {
	for _, width := range []int{80, 120} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			v := Analyze(checkoutTrace())
			var b bytes.Buffer
			if err := v.WriteText(&b, width); err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
				if n := utf8.RuneCountInString(line); n > width {
					t.Errorf("line %d is %d columns, over %d: %q", i+1, n, width, line)
				}
			}
			golden(t, "checkout-"+strconv.Itoa(width)+".golden", b.Bytes())
		})
	}
}

func TestJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Analyze(checkoutTrace()).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "checkout.json.golden", b.Bytes())
}
