package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/sqlstore"
)

// stack is one run of the imgpipe-local binary.
type stack struct {
	cmd      *exec.Cmd
	api, dir string
	token    string
	log      bytes.Buffer
}

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imgpipe-local-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "imgpipe-local")
	if out, err := exec.Command("go", "build", "-tags", "nodynamic", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the binary on dir with fresh ports and waits until its API answers.
func start(t *testing.T, dir string) *stack {
	t.Helper()
	s := &stack{api: freeAddr(t), dir: dir}
	s.cmd = exec.Command(binary, "-data", dir, "-api", s.api, "-s3", freeAddr(t))
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		if t.Failed() {
			t.Logf("log of the run on %s:\n%s", s.api, tail(s.log.String(), 4000))
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		if resp, err := http.Get("http://" + s.api + "/.well-known/jwks.json"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stack did not start:\n%s", s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := exec.Command(binary, "-data", dir, "token", "tester", "-admin").Output()
	if err != nil {
		t.Fatal(err)
	}
	s.token = strings.TrimSpace(string(out))
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (s *stack) do(t *testing.T, method, path, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+s.api+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// uploadBatch uploads n photos and returns their ids; each upload is acknowledged (201) before it is processed.
func (s *stack) uploadBatch(t *testing.T, n int) []string {
	t.Helper()
	photo := testimage.JPEG(2400, 1800)
	var ids []string
	for range n {
		body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: photo})
		status, resp := s.do(t, "POST", "/images", ct, body)
		if status != 201 {
			t.Fatalf("upload: %d %v", status, resp)
		}
		ids = append(ids, resp["id"].(string))
	}
	return ids
}

// statuses counts the statuses of ids.
func (s *stack) statuses(t *testing.T, ids []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range ids {
		status, img := s.do(t, "GET", "/images/"+id, "", nil)
		if status != 200 {
			t.Fatalf("GET %s: %d %v", id, status, img)
		}
		out[img["status"].(string)]++
	}
	return out
}

func (s *stack) waitAllReady(t *testing.T, ids []string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		st := s.statuses(t, ids)
		if st["ready"] == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCrashLeavesNothingStuck: kill -9 during a batch; the next start finds the photos that were acknowledged but
// never processed and processes them, so every one becomes ready.
func TestCrashLeavesNothingStuck(t *testing.T) {
	dir := t.TempDir()
	first := start(t, dir)
	ids := first.uploadBatch(t, 20)
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.cmd.Wait()
	left := pendingIn(t, dir)
	if left == 0 {
		t.Fatal("every photo was processed before the kill: the test proves nothing; upload more or bigger photos")
	}
	second := start(t, dir)
	second.waitAllReady(t, ids)
	t.Logf("%d of %d photos were left pending by the crash and recovered by the restart", left, len(ids))
}

// pendingIn counts the pending rows in the catalog of a stopped stack.
func pendingIn(t *testing.T, dir string) int {
	t.Helper()
	store, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	page, _, err := store.ListPending(t.Context(), time.Now().Add(time.Hour), catalog.MaxListLimit, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(page)
}

// TestSIGTERMDuringABatch: a SIGTERM with work queued shuts down within the grace period, and the next start
// finishes whatever the shutdown did not.
func TestSIGTERMDuringABatch(t *testing.T) {
	dir := t.TempDir()
	first := start(t, dir)
	ids := first.uploadBatch(t, 20)
	began := time.Now()
	first.cmd.Process.Signal(syscall.SIGTERM)
	if err := first.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, tail(first.log.String(), 2000))
	}
	if took := time.Since(began); took > 40*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	if strings.Contains(first.log.String(), "dead-letter") {
		t.Error("a shutdown sent events to the dead-letter folder")
	}
	left := pendingIn(t, dir)
	second := start(t, dir)
	second.waitAllReady(t, ids)
	t.Logf("the shutdown took %v and left %d of %d photos for the restart", time.Since(began), left, len(ids))
}
