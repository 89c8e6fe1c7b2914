package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

func startStack(t *testing.T, payload apigw.Version) (*Stack, *storage.Bucket) {
	t.Helper()
	dir := t.TempDir()
	st, err := Start(t.Context(), Options{DataDir: dir, APIAddr: "127.0.0.1:0", S3Addr: "127.0.0.1:0", CDNAddr: "127.0.0.1:0", Payload: payload,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	client = clientAs(t, st, "tester", true)
	s3client, err := storage.NewClient(t.Context(), storage.Config{Bucket: st.Bucket, Region: "us-east-1", Endpoint: st.S3URL,
		AccessKeyID: "local", SecretAccessKey: "local"})
	if err != nil {
		t.Fatal(err)
	}
	return st, storage.NewBucket(s3client, st.Bucket)
}

type imageJSON struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Filename    string `json:"filename"`
	Derivatives []struct {
		Width, Height int
		Key, URL      string
	} `json:"derivatives"`
}

// tokenTransport signs requests to the local API with a bearer token, as a signed-in app would; requests elsewhere
// (presigned S3 URLs) go out untouched.
type tokenTransport struct {
	apiHost, token string
}

func (tt tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == tt.apiHost && tt.token != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+tt.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// clientAs returns an HTTP client signed in to st's API as user.
func clientAs(t *testing.T, st *Stack, user string, admin bool) *http.Client {
	t.Helper()
	tok, err := st.Issuer.Mint(user, admin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: tokenTransport{apiHost: strings.TrimPrefix(st.APIURL, "http://"), token: tok}}
}

// client is the default test user's.
var client *http.Client

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

// waitReady polls the API, as a mobile client would, until the image leaves "pending".
func waitReady(t *testing.T, st *Stack, id string) imageJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var img imageJSON
		if status := getJSON(t, st.APIURL+"/images/"+id, &img); status != 200 {
			t.Fatalf("GET status %d", status)
		}
		if img.Status != "pending" {
			return img
		}
		if time.Now().After(deadline) {
			t.Fatal("still pending after 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkDerivatives fetches every derivative URL and checks its size.
func checkDerivatives(t *testing.T, img imageJSON, want ...image.Point) {
	t.Helper()
	if img.Status != "ready" || len(img.Derivatives) != len(want) {
		t.Fatalf("image %+v", img)
	}
	for i, d := range img.Derivatives {
		resp, err := http.Get(d.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		dec, _, err := image.Decode(bytes.NewReader(body))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", d.URL, resp.StatusCode, err)
		}
		if dec.Bounds().Dx() != d.Width || want[i] != dec.Bounds().Size() {
			t.Errorf("%s: decoded %v, listed %dx%d", d.Key, dec.Bounds().Size(), d.Width, d.Height)
		}
	}
}

// TestUploadToDerivatives is the end-to-end path: an HTTP multipart upload through the local API Gateway, the
// S3 notification, the resize handler, and the API reporting the derivatives, for both payload formats.
func TestUploadToDerivatives(t *testing.T) {
	for _, v := range []apigw.Version{apigw.V1, apigw.V2} {
		t.Run(fmt.Sprintf("payload v%d", v), func(t *testing.T) {
			st, bucket := startStack(t, v)
			body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "photo.jpg", Data: testimage.JPEG(2000, 1500)},
				testimage.Part{Field: "caption", Data: []byte("end to end")})
			resp, err := client.Post(st.APIURL+"/images", ct, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			var up struct {
				ID, StagingKey string
			}
			json.NewDecoder(resp.Body).Decode(&up)
			resp.Body.Close()
			if resp.StatusCode != 201 || up.ID == "" {
				t.Fatalf("upload: %d", resp.StatusCode)
			}
			img := waitReady(t, st, up.ID)
			checkDerivatives(t, img, image.Pt(1920, 1440), image.Pt(640, 480), image.Pt(320, 240))
			if ok, _ := bucket.Exists(t.Context(), up.StagingKey); ok {
				t.Error("staging copy not deleted")
			}
			if ok, _ := bucket.Exists(t.Context(), "originals/"+up.ID+".jpg"); !ok {
				t.Error("original not archived")
			}
			if _, err := os.Stat(ObjectPath(st.DataDir, st.Bucket, "derivatives/"+up.ID+"/640.jpg")); err != nil {
				t.Errorf("derivative not on disk where README says: %v", err)
			}
		})
	}
}

// TestDirectS3Upload is the console path: a PutObject straight into staging/ over the S3 protocol, with a key
// that needs URL-encoding in the event.
func TestDirectS3Upload(t *testing.T) {
	st, bucket := startStack(t, apigw.V1)
	key := "staging/Holiday 2026/Straße 1+2.jpg"
	if err := bucket.Put(t.Context(), key, testimage.JPEG(500, 400), "image/jpeg", nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := st.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var list struct{ Images []imageJSON }
	getJSON(t, st.APIURL+"/images", &list)
	if len(list.Images) != 1 || list.Images[0].Filename != "Straße 1+2.jpg" {
		t.Fatalf("images %+v", list.Images)
	}
	checkDerivatives(t, list.Images[0], image.Pt(500, 400), image.Pt(500, 400), image.Pt(320, 256)) // never upscaled
	if ok, _ := bucket.Exists(t.Context(), key); ok {
		t.Error("staging copy not deleted")
	}
}

// TestOutputsDoNotTrigger checks the notification filter: writing under any other prefix invokes nothing.
func TestOutputsDoNotTrigger(t *testing.T) {
	st, bucket := startStack(t, apigw.V1)
	if err := bucket.Put(t.Context(), "derivatives/x/1920.jpg", testimage.JPEG(50, 50), "image/jpeg", nil); err != nil {
		t.Fatal(err)
	}
	if !st.Idle() {
		t.Fatal("an output triggered the resize function")
	}
}

// TestGatewayLimits checks that the local front refuses what API Gateway and Lambda would.
func TestGatewayLimits(t *testing.T) {
	st, _ := startStack(t, apigw.V1)
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "big.jpg", Data: make([]byte, 5<<20)})
	resp, err := client.Post(st.APIURL+"/images", ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 5 MB multipart body base64-encodes past Lambda's 6 MB limit; got %d", resp.StatusCode)
	}
}

// TestStartErrors: a busy port or a bad variable is an error from Start, with nothing left listening.
func TestStartErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if _, err := Start(t.Context(), Options{DataDir: t.TempDir(), APIAddr: "127.0.0.1:0", S3Addr: busy.Addr().String(), Log: quiet}); err == nil {
		t.Fatal("busy port: want an error")
	}
	api := "127.0.0.1:" + freePort(t)
	bad := func(k string) string { return map[string]string{"WIDTHS": "abc"}[k] }
	if _, err := Start(t.Context(), Options{DataDir: t.TempDir(), APIAddr: api, S3Addr: "127.0.0.1:0", Getenv: bad, Log: quiet}); err == nil {
		t.Fatal("bad WIDTHS: want an error")
	}
	ln, err := net.Listen("tcp", api)
	if err != nil {
		t.Fatalf("the failed start left %s listening: %v", api, err)
	}
	ln.Close()
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestDynamoDBCatalog runs the local stack on the DynamoDB catalog (CATALOG_DRIVER=dynamodb against a local
// DynamoDB-protocol server), which creates its table on start.
func TestDynamoDBCatalog(t *testing.T) {
	endpoint := os.Getenv("CATALOG_TEST_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CATALOG_TEST_DYNAMODB_ENDPOINT is empty but CI=true")
		}
		t.Skip(`CATALOG_TEST_DYNAMODB_ENDPOINT is not set; run eval "$(scripts/dynalite.sh start)"`)
	}
	table := fmt.Sprintf("imgpipe-localstack-%d", time.Now().UnixNano())
	env := map[string]string{"CATALOG_DRIVER": "dynamodb", "CATALOG_TABLE": table, "DYNAMODB_ENDPOINT": endpoint}
	st, err := Start(t.Context(), Options{DataDir: t.TempDir(), APIAddr: "127.0.0.1:0", S3Addr: "127.0.0.1:0",
		Getenv: func(k string) string { return env[k] }, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	client = clientAs(t, st, "tester", false)
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "photo.jpg", Data: testimage.JPEG(800, 600)})
	resp, err := client.Post(st.APIURL+"/images", ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var up struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	checkDerivatives(t, waitReady(t, st, up.ID), image.Pt(800, 600), image.Pt(640, 480), image.Pt(320, 240))
}
