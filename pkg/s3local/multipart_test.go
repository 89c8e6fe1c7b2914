package s3local

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (f *fixture) uploadParts(key string, parts ...[]byte) (string, []types.CompletedPart) {
	f.t.Helper()
	ctx := context.Background()
	up, err := f.client().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String(key),
		ContentType: aws.String("image/tiff")})
	if err != nil {
		f.t.Fatal(err)
	}
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := f.client().UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String(key),
			UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			f.t.Fatal(err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	return aws.ToString(up.UploadId), done
}

func (f *fixture) complete(key, id string, parts []types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
	return f.client().CompleteMultipartUpload(context.Background(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket),
		Key: aws.String(key), UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
}

func TestMultipartUpload(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p1, p2 := bytes.Repeat([]byte("1"), minPartSize), []byte("second part")
	id, parts := f.uploadParts("staging/big.tif", p1, p2)
	if _, code := f.get("staging/big.tif"); code != "NoSuchKey" {
		t.Fatalf("object visible before completion: %s", code)
	}
	if ev := f.created(); len(ev) != 0 {
		t.Fatalf("events before completion: %v", ev)
	}
	out, err := f.complete("staging/big.tif", id, parts)
	if err != nil {
		t.Fatal(err)
	}
	// S3's multipart ETag: MD5 of the concatenated part MD5s, "-", the part count.
	m1, m2 := md5.Sum(p1), md5.Sum(p2)
	want := fmt.Sprintf(`"%x-2"`, md5.Sum(append(m1[:], m2[:]...)))
	if aws.ToString(out.ETag) != want {
		t.Fatalf("ETag %s, want %s", aws.ToString(out.ETag), want)
	}
	b, _ := f.get("staging/big.tif")
	if !bytes.Equal(b, append(append([]byte{}, p1...), p2...)) {
		t.Fatalf("content of %d bytes differs", len(b))
	}
	part2, err := f.client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/big.tif"), PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := io.ReadAll(part2.Body)
	if string(pb) != "second part" || aws.ToInt32(part2.PartsCount) != 2 {
		t.Fatalf("part 2 = %q, parts count %d", pb, aws.ToInt32(part2.PartsCount))
	}
	if h := f.head("staging/big.tif"); aws.ToString(h.ContentType) != "image/tiff" {
		t.Fatalf("content type %q", aws.ToString(h.ContentType))
	}
	ev := f.created()
	if len(ev) != 1 || ev[0].EventName != EventCompleteMultipartUpload || ev[0].Size != int64(len(b)) || quote(ev[0].ETag) != want {
		t.Fatalf("events %+v", ev)
	}
	// The upload is gone once completed.
	if _, err := f.complete("staging/big.tif", id, parts); errCode(err) != "NoSuchUpload" {
		t.Fatalf("second completion: %v", err)
	}
}

func TestMultipartErrors(t *testing.T) {
	f := newFixture(t)
	small := []byte("small")
	big := bytes.Repeat([]byte("b"), minPartSize)
	cases := map[string]struct {
		parts  [][]byte
		mangle func([]types.CompletedPart) []types.CompletedPart
		code   string
	}{
		"small part not last": {[][]byte{small, small}, nil, "EntityTooSmall"},
		"wrong order": {[][]byte{big, small}, func(p []types.CompletedPart) []types.CompletedPart {
			return []types.CompletedPart{p[1], p[0]}
		}, "InvalidPartOrder"},
		"wrong etag": {[][]byte{big, small}, func(p []types.CompletedPart) []types.CompletedPart {
			p[1].ETag = aws.String(`"00000000000000000000000000000000"`)
			return p
		}, "InvalidPart"},
		"missing part": {[][]byte{big, small}, func(p []types.CompletedPart) []types.CompletedPart {
			p[1].PartNumber = aws.Int32(3)
			return p
		}, "InvalidPart"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id, parts := f.uploadParts("m", tc.parts...)
			if tc.mangle != nil {
				parts = tc.mangle(parts)
			}
			if _, err := f.complete("m", id, parts); errCode(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			if _, code := f.get("m"); code != "NoSuchKey" {
				t.Fatalf("failed completion stored the object: %s", code)
			}
			if _, err := f.client().AbortMultipartUpload(context.Background(), &s3.AbortMultipartUploadInput{Bucket: aws.String(testBucket),
				Key: aws.String("m"), UploadId: aws.String(id)}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.client().ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(testBucket),
				Key: aws.String("m"), UploadId: aws.String(id)}); errCode(err) != "NoSuchUpload" {
				t.Fatalf("aborted upload still listed: %v", err)
			}
		})
	}
	if ev := f.created(); len(ev) != 0 {
		t.Fatalf("failed completions reported %v", ev)
	}
	if n := countFiles(t, f.dir+"/blobs"); n != 0 {
		t.Fatalf("%d blobs left after aborts", n)
	}
}

func TestUploadPartCopy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	src := bytes.Repeat([]byte("0123456789"), minPartSize/10+1)
	f.put("src", src)
	up, err := f.client().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, r := range []string{fmt.Sprintf("bytes=0-%d", minPartSize-1), fmt.Sprintf("bytes=%d-%d", minPartSize, len(src)-1)} {
		out, err := f.client().UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(testBucket), Key: aws.String("dst"),
			UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(testBucket + "/src"), CopySourceRange: aws.String(r)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	if _, err := f.complete("dst", aws.ToString(up.UploadId), parts); err != nil {
		t.Fatal(err)
	}
	if b, _ := f.get("dst"); !bytes.Equal(b, src) {
		t.Fatalf("copied content of %d bytes differs", len(b))
	}
}

func TestListUploadsAndParts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.uploadParts("staging/u.tif", []byte("p1"), []byte("p2"), []byte("p3"))
	f.uploadParts("other/v.tif", []byte("x"))
	ups, err := f.client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(testBucket), Prefix: aws.String("staging/")})
	if err != nil || len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].UploadId) != id || aws.ToString(ups.Uploads[0].Key) != "staging/u.tif" {
		t.Fatalf("uploads: %v %+v", err, ups)
	}
	var numbers []int32
	p := s3.NewListPartsPaginator(f.client(), &s3.ListPartsInput{Bucket: aws.String(testBucket), Key: aws.String("staging/u.tif"),
		UploadId: aws.String(id), MaxParts: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range page.Parts {
			numbers = append(numbers, aws.ToInt32(part.PartNumber))
		}
	}
	if fmt.Sprint(numbers) != "[1 2 3]" {
		t.Fatalf("parts %v", numbers)
	}
	// An upload ID is bound to its key.
	if _, err := f.client().ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(testBucket), Key: aws.String("other/v.tif"),
		UploadId: aws.String(id)}); errCode(err) != "NoSuchUpload" {
		t.Fatalf("upload ID with another key: %v", err)
	}
}
