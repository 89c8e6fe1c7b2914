package dynamostore

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/catalogtest"
)

// dynalite ignores ReturnValuesOnConditionCheckFailure, so against it every failed condition takes the path
// DynamoDB takes only for a missing row: no item in the error, and a consistent read to tell why. allOldProxy sits
// in front of it and answers as DynamoDB does: when a write that asked for ALL_OLD fails its condition, it reads the
// item and puts it into the ConditionalCheckFailedException, as the Item member of the error body. The read comes
// just after the failed write rather than at the same instant, which only matters when another writer gets in
// between; the store then sees a row that would pass and writes again, as it does on DynamoDB after a race.
type allOldProxy struct {
	upstream string
	mu       sync.Mutex
	calls    map[string]int // requests by operation, the proxy's own reads not included
}

func newAllOldProxy(t *testing.T, upstream string) (*allOldProxy, string) {
	p := &allOldProxy{upstream: upstream, calls: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func (p *allOldProxy) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

func (p *allOldProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	p.mu.Lock()
	p.calls[op]++
	p.mu.Unlock()
	status, header, respBody, err := p.forward(r.Header, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	var req struct {
		TableName                           string
		Key, Item                           map[string]json.RawMessage
		ReturnValuesOnConditionCheckFailure string
	}
	var failure struct {
		Type string `json:"__type"`
	}
	if status == http.StatusBadRequest && json.Unmarshal(respBody, &failure) == nil &&
		strings.HasSuffix(failure.Type, "#ConditionalCheckFailedException") &&
		json.Unmarshal(body, &req) == nil && req.ReturnValuesOnConditionCheckFailure == "ALL_OLD" {
		k := req.Key
		if k == nil { // PutItem names the key inside the item
			k = map[string]json.RawMessage{attrID: req.Item[attrID]}
		}
		get, _ := json.Marshal(map[string]any{"TableName": req.TableName, "Key": k, "ConsistentRead": true})
		h := r.Header.Clone()
		h.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
		if _, _, got, err := p.forward(h, get); err == nil {
			var out struct{ Item json.RawMessage }
			if json.Unmarshal(got, &out) == nil && len(out.Item) > 0 {
				respBody, _ = json.Marshal(map[string]any{"__type": failure.Type, "message": "The conditional request failed", "Item": out.Item})
			}
		}
	}
	for k, vs := range header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	// The SDK checks DynamoDB's CRC32 of the body.
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(respBody)), 10))
	w.Header().Set("Content-Length", strconv.Itoa(len(respBody)))
	w.WriteHeader(status)
	w.Write(respBody)
}

// forward sends one request to dynalite, which checks that a request is signed but not the signature.
func (p *allOldProxy) forward(h http.Header, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, p.upstream, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = h.Clone()
	req.Header.Del("Content-Length")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// TestContractAllOld runs the whole contract again with failed conditions answered as DynamoDB answers them, so that
// the path which tells a conflict from the item in the error is held to the same rules as the read-back path.
func TestContractAllOld(t *testing.T) {
	_, url := newAllOldProxy(t, testEndpoint(t))
	catalogtest.Run(t, opener(url))
}

// With the old item in the error, a failed condition is explained without reading the row again; only a missing row
// (no item to return) costs the read. This is what makes a duplicate S3 event cost one write and no read.
func TestConditionFailuresNeedNoRead(t *testing.T) {
	proxy, url := newAllOldProxy(t, testEndpoint(t))
	s := opener(url)(t)
	ctx := t.Context()
	pending := &catalog.Image{ID: "0190a8f4-0000-7000-8000-0000000000aa", Owner: "alice", StagingKey: "staging/a.jpg"}
	if err := s.Create(ctx, pending); err != nil {
		t.Fatalf("Create: %v", err)
	}
	ready := &catalog.Image{ID: pending.ID, Origin: catalog.OriginUpload, StagingKey: pending.StagingKey, SourceETag: "e1", Width: 10}
	if err := s.MarkReady(ctx, ready); err != nil {
		t.Fatalf("MarkReady: %v", err)
	}
	for name, tc := range map[string]struct {
		call      func() error
		want      error
		wantReads int
	}{
		"another object": {func() error {
			r := *ready
			r.SourceETag = "e2"
			return s.MarkReady(ctx, &r)
		}, catalog.ErrConflict, 0},
		"late failure over ready": {func() error {
			f := *ready
			f.FailureReason = "late"
			return s.MarkFailed(ctx, &f)
		}, nil, 0},
		"console failure over ready": {func() error {
			c := &catalog.Image{ID: "c-1", Origin: catalog.OriginConsole, StagingKey: "staging/c.jpg", SourceETag: "e"}
			if err := s.MarkReady(ctx, c); err != nil {
				return err
			}
			c.FailureReason = "late"
			return s.MarkFailed(ctx, c) // the create is refused, and the item in that refusal settles it
		}, nil, 0},
		"expire a ready row":  {func() error { return s.Expire(ctx, pending.ID, "x") }, catalog.ErrConflict, 0},
		"upload row gone":     {func() error { r := *ready; r.ID = "gone"; return s.MarkReady(ctx, &r) }, catalog.ErrNotFound, 1},
		"expire missing row":  {func() error { return s.Expire(ctx, "gone", "x") }, catalog.ErrNotFound, 1},
		"create a taken id":   {func() error { return s.Create(ctx, &catalog.Image{ID: pending.ID}) }, catalog.ErrExists, 0},
		"delete a missing id": {func() error { return s.Delete(ctx, "gone") }, catalog.ErrNotFound, 0},
	} {
		before := proxy.count("GetItem")
		err := tc.call()
		if (tc.want == nil && err != nil) || !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
		if reads := proxy.count("GetItem") - before; reads != tc.wantReads {
			t.Errorf("%s: %d reads, want %d", name, reads, tc.wantReads)
		}
	}
}
