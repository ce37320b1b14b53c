package build

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/shoplab/shoplab/internal/dashboards"
)

func TestGenerationIsDeterministic(t *testing.T) {
	first, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := Files()
		if err != nil {
			t.Fatal(err)
		}
		for name, b := range first {
			if !bytes.Equal(b, again[name]) {
				t.Fatalf("%s: two generations of the same code differ", name)
			}
		}
	}
}

// TestEveryDashboardIsBuilt checks that each dashboard of dashboards.All
// is generated with its UID and title.
func TestEveryDashboardIsBuilt(t *testing.T) {
	ds, err := Dashboards()
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range dashboards.All() {
		d, ok := ds[info.File]
		switch {
		case !ok:
			t.Errorf("%s is not generated", info.File)
		case d.Uid == nil || *d.Uid != info.UID || d.Title == nil || *d.Title != info.Title:
			t.Errorf("%s: uid %v title %v, want %q %q", info.File, d.Uid, d.Title, info.UID, info.Title)
		}
	}
}

// TestGeneratedJSONIsStrictlyValid decodes every generated file with the
// SDK's strict decoder, which rejects unknown fields and values of the
// wrong type in the dashboard, its panels' options and field config and
// its queries, and runs the schema's validation.
func TestGeneratedJSONIsStrictlyValid(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(files) {
		var d dashboard.Dashboard
		if err := buildErrors(d.UnmarshalJSONStrict(files[name])); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := buildErrors(d.Validate()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// buildErrors returns err, or nil for an empty cog.BuildErrors: the
// SDK's strict decoder returns its error list as an error even when it is
// empty.
func buildErrors(err error) error {
	var errs cog.BuildErrors
	if errors.As(err, &errs) && len(errs) == 0 {
		return nil
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
