package templatetest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The environment variables a function reads are found in its source: the string literals passed to a reader
// (getenv("X"), os.Getenv("X"), the config package's e.str("X", def) and friends) in its loader and in every
// function of the same package the loader calls, transitively. Reading the source rather than keeping a list here
// means a variable renamed in the code fails the test instead of passing it.

// envReaders are the names of the functions and methods whose string-literal arguments are variable names.
var envReaders = map[string]bool{
	"getenv": true, "Getenv": true, "LookupEnv": true, // os and the getenv parameter every loader takes
	"str": true, "int64": true, "bool": true, "duration": true, "widths": true, "list": true, "sizes": true, "authMode": true, "alsoWebP": true, // pkg/config's env
	"envInt": true, // pkg/catalog/sqlstore
}

// envName is the shape of an environment variable name.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

type goPackage struct {
	funcs map[string][]*ast.FuncDecl // by name; methods under their bare name too
}

var (
	pkgMu    sync.Mutex
	pkgCache = map[string]*goPackage{}
)

// parsePackage parses the non-test Go files of a directory of the repository.
func parsePackage(t *testing.T, dir string) *goPackage {
	t.Helper()
	pkgMu.Lock()
	defer pkgMu.Unlock()
	if p, ok := pkgCache[dir]; ok {
		return p
	}
	p := &goPackage{funcs: map[string][]*ast.FuncDecl{}}
	files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				p.funcs[fd.Name.Name] = append(p.funcs[fd.Name.Name], fd)
			}
		}
	}
	pkgCache[dir] = p
	return p
}

// findFunc reports whether the loader exists.
func findFunc(t *testing.T, l loader) ([]*ast.FuncDecl, bool) {
	t.Helper()
	fds, ok := parsePackage(t, l.dir).funcs[l.name]
	return fds, ok
}

// envReadBy returns the variables the loaders read. A loader that does not exist fails the test unless allowed.
func envReadBy(t *testing.T, loaders []loader, allowMissing bool) map[string]bool {
	t.Helper()
	read := map[string]bool{}
	for _, l := range loaders {
		p := parsePackage(t, l.dir)
		if _, ok := p.funcs[l.name]; !ok {
			if !allowMissing {
				t.Errorf("no function %s in %s: update the functions table", l.name, l.dir)
			}
			continue
		}
		seen := map[string]bool{}
		queue := []string{l.name}
		for len(queue) > 0 {
			name := queue[0]
			queue = queue[1:]
			if seen[name] {
				continue
			}
			seen[name] = true
			for _, fd := range p.funcs[name] {
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					callee := calleeName(call)
					if envReaders[callee] {
						for _, a := range call.Args {
							if v, ok := stringLit(a); ok && envName.MatchString(v) {
								read[v] = true
							}
						}
					}
					if id, ok := call.Fun.(*ast.Ident); ok {
						if _, local := p.funcs[id.Name]; local {
							queue = append(queue, id.Name)
						}
					}
					return true
				})
			}
		}
	}
	return read
}

// envReadAnywhere returns every variable read anywhere under pkg/ and functions/, by any function.
func envReadAnywhere(t *testing.T) map[string]bool {
	t.Helper()
	read := map[string]bool{}
	for _, top := range []string{"pkg", "functions"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			for name := range parsePackage(t, rel).funcs {
				for k := range envReadBy(t, []loader{{rel, name}}, false) {
					read[k] = true
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return read
}

func calleeName(call *ast.CallExpr) string {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(lit.Value)
	return v, err == nil
}
