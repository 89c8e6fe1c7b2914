package pipeline

import (
	"embed"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/catalog"
)

//go:embed testdata/s3-event-*.json
var eventFixtures embed.FS

// TestRealEventShapes feeds the notifications AWS and MinIO really send, form-encoded keys and all, through JSON
// as Lambda does.
func TestRealEventShapes(t *testing.T) {
	for name, key := range map[string]string{
		"s3-event-aws":   "staging/Holiday 2026/Straße 1+2.jpg",
		"s3-event-minio": "staging/a b/ü+x.jpg",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.put(t, key, testimage.JPEG(300, 200), nil)
			obj, err := e.s3.Bucket.Get(t.Context(), key, 0)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := eventFixtures.ReadFile("testdata/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			raw = []byte(strings.Replace(string(raw), "PLACEHOLDER", strings.Trim(obj.ETag, `"`), 1))
			var ev events.S3Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if err := e.r.HandleEvent(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
			imgs := e.images(t)
			if len(imgs) != 1 || imgs[0].StagingKey != key || imgs[0].Status != catalog.StatusReady || e.exists(t, key) {
				t.Fatalf("rows %+v; staging left: %v", imgs, e.exists(t, key))
			}
		})
	}
}
