package csrc

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every C file must be in the unity build, or Go silently skips it.
func TestUnityListsEverySource(t *testing.T) {
	unity, err := os.ReadFile("../dataplane/csrc.c")
	if err != nil {
		t.Fatal(err)
	}
	included := map[string]bool{}
	for _, m := range regexp.MustCompile(`#include "\.\./csrc/([^"]+\.c)"`).FindAllSubmatch(unity, -1) {
		included[string(m[1])] = true
	}
	cs, _ := fs.Glob(Sources, "*.c")
	if len(cs) == 0 {
		t.Fatal("no C sources embedded")
	}
	for _, c := range cs {
		if !included[c] {
			t.Errorf("csrc/%s is not #included by dataplane/csrc.c", c)
		}
		delete(included, c)
	}
	for c := range included {
		t.Errorf("dataplane/csrc.c includes csrc/%s, which does not exist", c)
	}
}

// The cgo wall: only package dataplane imports "C".
func TestOnlyDataplaneImportsC(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "build" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if imp.Path.Value == `"C"` && filepath.Dir(path) != filepath.Join("..", "dataplane") {
				t.Errorf("%s imports \"C\": only dataplane may", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
