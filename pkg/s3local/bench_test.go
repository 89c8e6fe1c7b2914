package s3local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"
)

// BenchmarkPutGet measures one PutObject and one GetObject of a 256 KiB object through the SDK, against this
// server and, as the anchor, against gofakes3 on its file-system backend (what pkg/localstack runs today).
// s3local-nosync shows what the fsyncs (blob, directory, index) cost.
func BenchmarkPutGet(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 256<<10)
	run := func(b *testing.B, f *fixture) {
		c := f.client()
		ctx := context.Background()
		b.SetBytes(int64(len(body)))
		for i := 0; b.Loop(); i++ {
			key := fmt.Sprintf("staging/%d.jpg", i%64)
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				b.Fatal(err)
			}
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
	}
	b.Run("s3local", func(b *testing.B) {
		f := &fixture{t: &testing.T{}, dir: b.TempDir()}
		f.start()
		defer f.stop()
		run(b, f)
	})
	b.Run("s3local-nosync", func(b *testing.B) {
		f := &fixture{t: &testing.T{}, dir: b.TempDir(), opt: func(o *Options) { o.NoSync = true }}
		f.start()
		defer f.stop()
		run(b, f)
	})
	b.Run("gofakes3-afero", func(b *testing.B) {
		backend, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), b.TempDir()))
		if err != nil {
			b.Fatal(err)
		}
		backend.CreateBucket(testBucket)
		hs := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
		defer hs.Close()
		run(b, &fixture{hs: hs})
	})
}
