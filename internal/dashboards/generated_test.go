package dashboards_test

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/dashboards/build"
)

// update rewrites the committed dashboards from the code (make dashboards).
var update = flag.Bool("update", false, "write the generated dashboards into dashboards/")

// dashboardsDir is the repository's dashboards/, seen from this package.
const dashboardsDir = "../../dashboards"

// TestCommittedDashboardsAreGenerated fails when a file in dashboards/ is
// not exactly what the code generates: the JSON is never edited by hand.
func TestCommittedDashboardsAreGenerated(t *testing.T) {
	if *update {
		if err := build.Write(dashboardsDir); err != nil {
			t.Fatal(err)
		}
	}
	files, err := build.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		got, err := os.ReadFile(filepath.Join(dashboardsDir, name))
		if err != nil {
			t.Errorf("%v: run make dashboards", err)
			continue
		}
		if !bytes.Equal(got, files[name]) {
			t.Errorf("dashboards/%s is not what internal/dashboards/build generates (%s): change the Go code and run make dashboards",
				name, firstDifference(got, files[name]))
		}
	}
	committed, err := filepath.Glob(filepath.Join(dashboardsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range committed {
		if _, ok := files[filepath.Base(path)]; !ok {
			t.Errorf("dashboards/%s is not generated: build it in internal/dashboards/build and list it in dashboards.All", filepath.Base(path))
		}
	}
}

// firstDifference describes the first line where got and want differ.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d is %q, want %q", i+1, strings.TrimSpace(gl), strings.TrimSpace(wl))
		}
	}
	return "same lines"
}
