// Package archtest checks the architecture with `go list`: which packages may link what. A binary carries every
// package it links, whether or not it calls it, so a helper imported from the wrong place puts image decoders or
// database drivers into functions that never use them (and into their cold starts).
package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/imgpipe/imgpipe/"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// list runs go list -json on patterns from the module root.
func list(t *testing.T, patterns ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, patterns...)...)
	cmd.Dir = "../.."
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errOut.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func matches(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

// imageCode is what decodes or encodes pixels.
var imageCode = []string{
	"image/jpeg", "image/png", "image/gif", "golang.org/x/image", "github.com/disintegration/imaging",
	"github.com/gen2brain", module + "pkg/imageproc", module + "pkg/jpegscale", module + "pkg/colour",
}

// drivers are the database clients.
var drivers = []string{"github.com/go-sql-driver/mysql", "modernc.org/sqlite", "github.com/aws/aws-sdk-go-v2/service/dynamodb"}

// TestUploadFunctionLinksNoImageCode: the upload function checks photos by their headers only.
func TestUploadFunctionLinksNoImageCode(t *testing.T) {
	p := list(t, module+"functions/upload")[0]
	for _, d := range p.Deps {
		if matches(d, imageCode) {
			t.Errorf("functions/upload links %s", d)
		}
	}
}

// TestOnlyBackendsImportDrivers: a database driver is imported only by a catalog backend, and only the packages
// that wire functions together (and tests' tools) link one.
func TestOnlyBackendsImportDrivers(t *testing.T) {
	backends := []string{module + "pkg/catalog/sqlstore", module + "pkg/catalog/dynamostore"}
	wiring := []string{module + "functions", module + "cmd", module + "pkg/function", module + "pkg/localstack",
		module + "e2e", module + "scripts", module + "internal"}
	n := 0
	for _, p := range list(t, "./...") {
		n++
		if matches(p.ImportPath, backends) {
			continue
		}
		for _, imp := range p.Imports {
			if matches(imp, drivers) {
				t.Errorf("%s imports the driver %s; only the catalog backends may", p.ImportPath, imp)
			}
		}
		if matches(p.ImportPath, wiring) {
			continue
		}
		for _, d := range p.Deps {
			if matches(d, drivers) {
				t.Errorf("%s links the driver %s", p.ImportPath, d)
			}
		}
	}
	if n < 20 {
		t.Fatalf("go list found only %d packages", n)
	}
}
