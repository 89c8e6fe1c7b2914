package hostile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestMain makes this test binary its own child: started again by Run with a Spec in its environment, it
// processes that one file and exits. Otherwise it runs the tests with a cache of generated files that lives as
// long as the run, so the suite and the table make each 50 MP file once.
func TestMain(m *testing.M) {
	if IsChild() {
		os.Exit(RunChild())
	}
	dir, err := os.MkdirTemp("", "hostile-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	files = &cache{gen: gen{FindTools(), dir}, entries: map[string]*entry{}}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// files is the run's cache of generated inputs.
var files *cache

// gen is what a generator gets: the tools and a directory for their temporary files.
type gen struct {
	Tools
	dir string
}

// A generator makes one file.
type generator func(g gen) ([]byte, error)

// cache keeps each generated file on disk under its name, made at most once per run, also when the suite's
// look-ahead goroutine and a test ask for it at the same time.
type cache struct {
	gen     gen
	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	once sync.Once
	path string
	err  error
}

// make returns the path of the file called name, running mk the first time. The cache's lock is not held while
// mk runs: a generator may ask for another file (the small sample whose header sizes a large one).
func (c *cache) make(name string, mk generator) (string, error) {
	c.mu.Lock()
	e, ok := c.entries[name]
	if !ok {
		e = &entry{}
		c.entries[name] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		data, err := mk(c.gen)
		if err == nil {
			e.path = filepath.Join(c.gen.dir, strings.NewReplacer("/", "_", " ", "_", "%", "pc").Replace(name))
			err = os.WriteFile(e.path, data, 0o600)
		}
		e.err = err
	})
	return e.path, e.err
}

// get returns the path and bytes of the file called name. A generator whose tool is missing skips the test, or
// fails it under CI=true, where scripts/test-tools.sh has installed the tools.
func (c *cache) get(t *testing.T, name string, mk generator) (string, []byte) {
	t.Helper()
	path, err := c.make(name, mk)
	if err != nil {
		skipOrFail(t, name, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// skipOrFail ends a test whose file could not be made: skipped when a tool is missing, except under CI=true.
func skipOrFail(t *testing.T, name string, err error) {
	t.Helper()
	var missing *MissingToolError
	if errors.As(err, &missing) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	t.Fatalf("make %s: %v", name, err)
}
