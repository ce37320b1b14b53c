// Package proto_test checks that the committed generated code matches the
// .proto files, so that nobody edits one without the other.
package proto_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shoplab/shoplab/internal/shoptest"
)

func TestGeneratedCodeIsCurrent(t *testing.T) {
	protoc := shoptest.RequireTool(t, "protoc", "apt-get install protobuf-compiler")
	bin := t.TempDir()
	// The plugin versions are the ones pinned in go.mod's tool block.
	for _, plugin := range []string{"google.golang.org/protobuf/cmd/protoc-gen-go", "google.golang.org/grpc/cmd/protoc-gen-go-grpc"} {
		cmd := exec.Command("go", "build", "-o", bin, plugin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", plugin, err, out)
		}
	}
	out := t.TempDir()
	files, _ := filepath.Glob("shop/v1/*.proto")
	args := append([]string{"-I", ".",
		"--plugin=protoc-gen-go=" + filepath.Join(bin, "protoc-gen-go"),
		"--plugin=protoc-gen-go-grpc=" + filepath.Join(bin, "protoc-gen-go-grpc"),
		"--go_out=" + out, "--go_opt=paths=source_relative",
		"--go-grpc_out=" + out, "--go-grpc_opt=paths=source_relative",
	}, files...)
	if b, err := exec.Command(protoc, args...).CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, b)
	}
	generated, _ := filepath.Glob(filepath.Join(out, "shop/v1/*.go"))
	if len(generated) == 0 {
		t.Fatal("protoc generated nothing")
	}
	for _, g := range generated {
		rel, _ := filepath.Rel(out, g)
		want, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(rel)
		if err != nil {
			t.Fatalf("%s is not committed: run make proto", rel)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run make proto", rel)
		}
	}
}
