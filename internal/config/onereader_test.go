package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// allowedReads are the places outside this package that may touch the
// process environment, and why.
var allowedReads = map[string]string{
	// main hands os.Getenv to the CLI, which hands it to this package.
	"cmd/shoplab/main.go os.Getenv": "the environment enters the program",
	// Test support, not the program: on CI a missing tool fails a test.
	"internal/testkit/tools.go os.Getenv": "CI",
	// Test support: the PostgreSQL server the storage tests create their
	// databases on, and CI, where an unreachable one fails the test.
	"internal/testkit/postgres.go os.Getenv": "SHOPLAB_TEST_POSTGRES_URL and CI",
	// The benchmark driver passes its environment on to what it runs.
	"bench/driver/main.go os.Environ": "children inherit the environment",
}

// envFuncs are the standard library's ways to read the environment.
var envFuncs = map[string]bool{"Getenv": true, "LookupEnv": true, "Environ": true, "ExpandEnv": true}

// Package config is the only reader of the environment: no other Go file
// of the repository (tests aside) calls os.Getenv and the like, nor looks a
// variable up by name through a getenv function; config.Lookup is given
// declared names only.
func TestOnlyConfigReadsTheEnvironment(t *testing.T) {
	root := filepath.Join("..", "..")
	declared := map[string]bool{}
	for _, v := range Vars() {
		declared[v.Name] = true
	}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor" || rel == "internal/config") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if pkg, ok := n.X.(*ast.Ident); ok && (pkg.Name == "os" || pkg.Name == "syscall") && envFuncs[n.Sel.Name] {
					call := pkg.Name + "." + n.Sel.Name
					if _, ok := allowedReads[rel+" "+call]; !ok {
						t.Errorf("%s: %s reads the environment: declare the variable in config.Vars and read it in config", fset.Position(n.Pos()), call)
					}
				}
			case *ast.CallExpr:
				name, literal := calledWithName(n)
				switch {
				case name == "" || literal == "":
				case name == "Lookup" && !declared[literal]:
					t.Errorf("%s: config.Lookup(%s): not declared in config.Vars", fset.Position(n.Pos()), literal)
				case strings.EqualFold(name, "getenv"):
					t.Errorf("%s: reads %s directly: declare it in config.Vars and read it in config", fset.Position(n.Pos()), literal)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// calledWithName returns the name of the function call calls and, when
// one of its arguments is a string literal naming a variable, that name.
// The standard library's functions are left to the SelectorExpr check.
func calledWithName(call *ast.CallExpr) (name, literal string) {
	switch fun := call.Fun.(type) {
	case *ast.Ident:
		name = fun.Name
	case *ast.SelectorExpr:
		if pkg, ok := fun.X.(*ast.Ident); ok && (pkg.Name == "os" || pkg.Name == "syscall") {
			return "", ""
		}
		name = fun.Sel.Name
	}
	for _, a := range call.Args {
		if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && s != "" && strings.ToUpper(s) == s && !strings.ContainsAny(s, " /:.") {
				return name, s
			}
		}
	}
	return name, ""
}
