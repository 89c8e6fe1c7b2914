package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/catalog/dynamostore"
)

// TestDynamoDBCatalogThroughBinaries runs the three bootstraps on the DynamoDB catalog (CATALOG_DRIVER=dynamodb)
// against the DynamoDB-protocol server at CATALOG_TEST_DYNAMODB_ENDPOINT: an upload, a console photo and an
// on-demand render.
func TestDynamoDBCatalogThroughBinaries(t *testing.T) {
	endpoint := os.Getenv("CATALOG_TEST_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(`CATALOG_TEST_DYNAMODB_ENDPOINT is empty but CI=true; run eval "$(scripts/dynalite.sh start)"`)
		}
		t.Skip(`CATALOG_TEST_DYNAMODB_ENDPOINT is not set; run eval "$(scripts/dynalite.sh start)"`)
	}
	env := map[string]string{"CATALOG_DRIVER": "dynamodb", "CATALOG_TABLE": fmt.Sprintf("imgpipe-e2e-%d", time.Now().UnixNano()),
		"DYNAMODB_ENDPOINT": endpoint, "DYNAMODB_ACCESS_KEY_ID": "local", "DYNAMODB_SECRET_ACCESS_KEY": "local"}
	cfg, err := dynamostore.ConfigFromEnv(func(k string) string {
		if k == "AWS_REGION" {
			return "us-east-1"
		}
		return env[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := dynamostore.NewClient(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamostore.CreateTable(t.Context(), client, cfg.Table); err != nil {
		t.Fatal(err)
	}
	p := startWith(t, env)
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(1200, 900)},
		testimage.Part{Field: "caption", Data: []byte("on DynamoDB")})
	status, up := p.api(t, restUpload(body, ct))
	if status != 201 {
		t.Fatalf("upload: %d %v", status, up)
	}
	id := up["id"].(string)
	p.forward(t, 1, 30*time.Second)
	img := p.checkReady(t, id, image.Pt(1200, 900), image.Pt(640, 480), image.Pt(320, 240))
	if f, _ := img["fields"].(map[string]any); f["caption"] != "on DynamoDB" {
		t.Fatalf("fields %v", img["fields"])
	}
	if s := p.url(t, "/"+id+".webp?d=320x240", nil); s.status != 200 {
		t.Fatalf("serve: %d %s", s.status, s.body)
	}
	status, list := p.api(t, httpGet("/images", "limit=10"))
	if images, _ := list["images"].([]any); status != 200 || len(images) != 1 {
		t.Fatalf("list: %d %v", status, list)
	}
}

// TestDirectUploadPolicyEnforcedByMinIO: POST /uploads hands out a presigned POST that MinIO, which checks policies
// and signatures as S3 does, accepts only for the one key, type and size it names; the photo over 4 MiB that arrives
// that way becomes ready.
func TestDirectUploadPolicyEnforcedByMinIO(t *testing.T) {
	p := start(t)
	photo := testimage.NoisyJPEG(3000, 2000) // too big for a Lambda payload, as the photos this path is for
	if len(photo) <= 4<<20 {
		t.Fatalf("the test photo is %d bytes; it must be over 4 MiB", len(photo))
	}
	ask := func(size int) (string, string, map[string]string) {
		t.Helper()
		ev := restUpload(nil, "application/json")
		ev["resource"], ev["path"] = "/uploads", "/uploads"
		ev["headers"] = map[string]string{"Content-Type": "application/json", "Host": "api.example"}
		ev["multiValueHeaders"] = map[string][]string{"Content-Type": {"application/json"}, "Host": {"api.example"}}
		ev["body"], ev["isBase64Encoded"] = fmt.Sprintf(`{"filename":"big.jpg","contentType":"image/jpeg","bytes":%d}`, size), false
		status, out := p.api(t, ev)
		if status != 201 {
			t.Fatalf("POST /uploads: %d %v", status, out)
		}
		fields := map[string]string{}
		for k, v := range out["fields"].(map[string]any) {
			fields[k] = v.(string)
		}
		return out["id"].(string), out["url"].(string), fields
	}
	post := func(url string, fields map[string]string, file []byte) (int, string) {
		t.Helper()
		body, ct := testimage.PostForm(fields, "big.jpg", file)
		resp, err := http.Post(url, ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(answer)
	}
	// Bigger than declared: refused by MinIO.
	_, url, fields := ask(1000)
	if status, body := post(url, fields, photo); status < 400 || !strings.Contains(body, "EntityTooLarge") {
		t.Fatalf("over the declared size: %d %s", status, body)
	}
	// Another key with the same signed policy: refused.
	_, url, fields = ask(len(photo))
	fields["key"] = "staging/someone-else.jpg"
	if status, body := post(url, fields, photo); status != 403 {
		t.Fatalf("another key: %d %s", status, body)
	}
	// A tampered signature: refused.
	id, url, fields := ask(len(photo))
	sigField := ""
	for k := range fields {
		if strings.EqualFold(k, "x-amz-signature") {
			sigField = k
		}
	}
	good := fields[sigField]
	if good == "" {
		t.Fatalf("no signature among the fields %v", fields)
	}
	fields[sigField] = strings.Repeat("0", len(good))
	if status, body := post(url, fields, photo); status != 403 {
		t.Fatalf("bad signature: %d %s", status, body)
	}
	fields[sigField] = good
	if status, body := post(url, fields, photo); status != 204 && status != 201 && status != 200 {
		t.Fatalf("good POST: %d %s", status, body)
	}
	if p.exists(t, "staging/someone-else.jpg") {
		t.Fatal("a refused POST stored an object")
	}
	p.forward(t, 1, 30*time.Second)
	img := p.checkReady(t, id, image.Pt(1920, 1280), image.Pt(640, 427), image.Pt(320, 213))
	raw, _ := json.Marshal(img)
	if !strings.Contains(string(raw), `"ready"`) {
		t.Fatalf("%s", raw)
	}
}
