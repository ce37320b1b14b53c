package topology

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/testkit"
)

// TestAddressBookLinksNoService keeps the split between the address book
// and the runner: what only looks at a running lab must not link the
// services, cgo SQLite or Kafka (they come with internal/lab).
func TestAddressBookLinksNoService(t *testing.T) {
	goTool := testkit.RequireTool(t, "go", "https://go.dev/dl")
	forbidden := []string{
		"github.com/shoplab/shoplab/services",
		"github.com/shoplab/shoplab/internal/lab",
		"github.com/mattn/go-sqlite3",
		"github.com/segmentio/kafka-go",
		"github.com/twmb/franz-go",
	}
	for _, pkg := range []string{"internal/topology", "internal/doctor", "internal/tui"} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command(goTool, "list", "-deps", "github.com/shoplab/shoplab/"+pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", pkg, err)
			}
			for dep := range strings.FieldsSeq(string(out)) {
				for _, f := range forbidden {
					if dep == strings.TrimSuffix(f, "/") || strings.HasPrefix(dep, strings.TrimSuffix(f, "/")+"/") {
						t.Errorf("%s depends on %s", pkg, dep)
					}
				}
			}
		})
	}
}
