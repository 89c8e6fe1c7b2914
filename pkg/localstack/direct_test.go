package localstack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/apigw"
)

// direct asks the API for a direct upload of a photo of size bytes.
func direct(t *testing.T, st *Stack, size int, contentType string) (id, url string, fields map[string]string) {
	t.Helper()
	req := fmt.Sprintf(`{"filename": "IMG_0001.JPG", "contentType": %q, "bytes": %d, "fields": {"caption": "big"}}`, contentType, size)
	resp, err := client.Post(st.APIURL+"/uploads", "application/json", strings.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ID, URL string
		Fields  map[string]string
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 201 {
		t.Fatalf("POST /uploads: %d", resp.StatusCode)
	}
	return out.ID, out.URL, out.Fields
}

// postForm sends a browser-based POST: every field, then the file last.
func postForm(t *testing.T, url string, fields map[string]string, file []byte) (int, string) {
	t.Helper()
	body, ct := testimage.PostForm(fields, "IMG_0001.JPG", file)
	resp, err := http.Post(url, ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// TestDirectUploadThroughTheLocalStack: a photo over API Gateway's 4 MiB goes straight to the local S3 with the
// presigned POST the API hands out, and becomes ready; the local S3, like S3, refuses the same fields for a file
// of another type or over the size limit.
func TestDirectUploadThroughTheLocalStack(t *testing.T) {
	st, _ := startStack(t, apigw.V2)
	photo := testimage.NoisyJPEG(3000, 2000) // several MiB: too big for a Lambda payload
	if len(photo) <= 4<<20 {
		t.Fatalf("the test photo is %d bytes; it must be over 4 MiB", len(photo))
	}
	id, url, fields := direct(t, st, len(photo), "image/jpeg")
	if status, body := postForm(t, url, fields, photo); status != 204 {
		t.Fatalf("form POST: %d %s", status, body)
	}
	img := waitReady(t, st, id)
	checkDerivatives(t, img, image.Pt(1920, 1280), image.Pt(640, 427), image.Pt(320, 213))

	// The policy is for one key, one type and a size range: another type is refused by the S3 server itself.
	_, url, fields = direct(t, st, 100, "image/png")
	fields["Content-Type"] = "image/jpeg"
	if status, body := postForm(t, url, fields, testimage.PNG(10, 10, false)); status != 403 || !strings.Contains(body, "Policy") {
		t.Fatalf("changed Content-Type: %d %s", status, body)
	}
}
