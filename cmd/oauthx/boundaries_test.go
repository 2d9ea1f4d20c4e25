package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/oauthx/oauthx"

// boundaryRule forbids the non-test code of one top-level folder from importing
// packages with the given prefixes (DESIGN.md, "Import rules").
type boundaryRule struct {
	dir    string
	forbid []string
	why    string
}

var boundaryRules = []boundaryRule{
	{"flows", []string{module + "/tui", module + "/mockidp", module + "/cmd", "charm.land/", "github.com/charmbracelet/"},
		"the engine has no UI and must not share code with the provider it is tested against"},
	{"mockidp", []string{module + "/flows", module + "/tui", module + "/cmd", "charm.land/", "github.com/charmbracelet/"},
		"the bundled IdP is the independent oracle: shared PKCE or JWT helpers would hide one bug on both sides"},
	{"tui", []string{module + "/mockidp", module + "/cmd", "golang.org/x/oauth2", "github.com/go-jose/", "net/http/httptest"},
		"the TUI renders the engine's records and never does protocol work or HTTP itself; cmd/oauthx wires the IdP in"},
}

// TestPackageBoundaries parses the imports of every non-test Go file and enforces the
// import rules of DESIGN.md, and that no util/common packages creep in.
func TestPackageBoundaries(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	checked := 0
	for _, rule := range boundaryRules {
		dir := filepath.Join(root, rule.dir)
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name := d.Name(); name == "testdata" || name == "node_modules" {
					return filepath.SkipDir
				}
				if name := d.Name(); name == "util" || name == "utils" || name == "common" {
					t.Errorf("%s: no util/common packages (DESIGN.md, Layout)", path)
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			checked++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range rule.forbid {
					if p == bad || strings.HasPrefix(p, strings.TrimSuffix(bad, "/")+"/") || strings.HasPrefix(p, bad) && strings.HasSuffix(bad, "/") {
						t.Errorf("%s imports %s: %s", path, p, rule.why)
					}
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if checked == 0 {
		t.Fatal("no Go files found: the test is looking in the wrong place")
	}
}
