package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Sentinel errors.
var (
	ErrNotFound = errors.New("storage: object not found")
	// ErrTooLarge is what a *TooLargeError is.
	ErrTooLarge = errors.New("storage: object larger than allowed")
	// ErrChanged means a conditional request found a different object version than the one named (HTTP 412).
	ErrChanged = errors.New("storage: object changed")
)

// Object is a whole object read from the bucket.
type Object struct {
	Key         string
	Size        int64
	ETag        string
	ContentType string
	Metadata    map[string]string
	Body        []byte
}

// Bucket is one S3 bucket.
type Bucket struct {
	client  *s3.Client
	presign *s3.PresignClient
	name    string
}

// NewBucket wraps client for the named bucket.
func NewBucket(client *s3.Client, name string) *Bucket {
	return &Bucket{client: client, presign: s3.NewPresignClient(client), name: name}
}

// Put stores data at key. A bytes.Reader body is seekable, so the SDK can sign the payload and retry it.
func (b *Bucket) Put(ctx context.Context, key string, data []byte, contentType string, meta map[string]string) error {
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(b.name),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String(contentType),
		Metadata:      meta,
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// TooLargeError is Get's answer for an object over the size limit: its body was never read, and Object holds its
// size, ETag, content type and metadata, so the caller can still move it by a server-side copy.
type TooLargeError struct {
	Object *Object
	Limit  int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("storage: %s is %d bytes, over the limit of %d", e.Object.Key, e.Object.Size, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Get reads a whole object. An object over maxBytes (when > 0) is refused with a *TooLargeError before its body is
// read, so a huge file dropped into staging cannot exhaust the function's memory.
func (b *Bucket) Get(ctx context.Context, key string, maxBytes int64) (*Object, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, classify(err))
	}
	defer out.Body.Close()
	obj := &Object{
		Key:         key,
		Size:        aws.ToInt64(out.ContentLength),
		ETag:        aws.ToString(out.ETag),
		ContentType: aws.ToString(out.ContentType),
		Metadata:    out.Metadata,
	}
	if maxBytes > 0 && obj.Size > maxBytes {
		return nil, &TooLargeError{Object: obj, Limit: maxBytes}
	}
	buf := bytes.NewBuffer(make([]byte, 0, obj.Size))
	if _, err := io.Copy(buf, out.Body); err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	obj.Body = buf.Bytes()
	return obj, nil
}

// Copy copies src to dst inside the bucket on the server side, replacing its metadata with meta, so an object too
// large to hold in memory can still be moved. It needs s3:GetObject on src and s3:PutObject on dst.
func (b *Bucket) Copy(ctx context.Context, src, dst, contentType string, meta map[string]string) error {
	_, err := b.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:            aws.String(b.name),
		Key:               aws.String(dst),
		CopySource:        aws.String(copySource(b.name, src)),
		ContentType:       aws.String(contentType),
		Metadata:          meta,
		MetadataDirective: types.MetadataDirectiveReplace,
	})
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, classify(err))
	}
	return nil
}

// copySource is the x-amz-copy-source of key: URL-encoded, '+' too, since some servers decode it as a space.
func copySource(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
	}
	return bucket + "/" + strings.Join(segs, "/")
}

// Delete removes key. Deleting a missing key succeeds, as it does in S3.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// DeleteIf removes key only if its ETag is still etag, and returns ErrChanged otherwise. The resize function
// uses it so that a photo uploaded again under the same key while the previous one was being processed is left
// for its own event, instead of being deleted unprocessed. (Servers without conditional deletes ignore If-Match
// and delete unconditionally, which is the previous behaviour.)
func (b *Bucket) DeleteIf(ctx context.Context, key, etag string) error {
	in := &s3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)}
	if etag != "" {
		in.IfMatch = aws.String(quoteETag(etag))
	}
	if _, err := b.client.DeleteObject(ctx, in); err != nil {
		return fmt.Errorf("delete %s: %w", key, classify(err))
	}
	return nil
}

// quoteETag returns etag in the quoted form HTTP conditional headers use; S3 event records carry it unquoted.
func quoteETag(etag string) string { return `"` + strings.Trim(etag, `"`) + `"` }

// Exists reports whether key exists.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	_, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err == nil {
		return true, nil
	}
	if err = classify(err); errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return false, fmt.Errorf("head %s: %w", key, err)
}

// PresignGet returns a URL that fetches key without credentials until ttl passes. It carries the signer's
// permissions, so the function that signs needs s3:GetObject on the key.
func (b *Bucket) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	req, err := b.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return req.URL, nil
}

// classify maps S3's not-found answers (NoSuchKey from GET, a bare 404 "NotFound" from HEAD) to ErrNotFound. A
// missing bucket (NoSuchBucket) is deliberately not "not found": treating it as "object already gone" would make a
// misconfigured function report success while doing nothing.
func classify(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return fmt.Errorf("%w: %v", ErrNotFound, err)
		case "PreconditionFailed":
			return fmt.Errorf("%w: %v", ErrChanged, err)
		}
	}
	return err
}

// ObjectInfo is one entry of a listing.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
}

// List returns every object under prefix, following continuation tokens. The sweep lists the staging prefix with
// it, which holds only what is waiting to be processed.
func (b *Bucket) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: aws.String(b.name), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, ObjectInfo{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag),
				LastModified: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// PostPolicy is what a presigned browser-based POST may upload: exactly one key, a size range, a content type and
// metadata that S3 itself enforces, until the policy expires.
type PostPolicy struct {
	Key         string
	ContentType string
	MaxBytes    int64
	Metadata    map[string]string // sent as x-amz-meta-<name> form fields, which the policy requires verbatim
	TTL         time.Duration
}

// PresignedPost is where and how to send a browser-based POST: every field in Fields, then the file last, as
// multipart/form-data to URL.
type PresignedPost struct {
	URL     string
	Fields  map[string]string
	Expires time.Time
}

// PresignPost signs a POST policy for p. S3 refuses an upload to another key, of another size or content type, or
// with other metadata, so a client holding the fields can put one photo at one place and nothing else. Like a
// presigned URL it carries the signer's permissions: the function needs s3:PutObject on the key.
func (b *Bucket) PresignPost(ctx context.Context, p PostPolicy) (*PresignedPost, error) {
	conds := []any{
		[]any{"content-length-range", 1, p.MaxBytes},
		map[string]string{"Content-Type": p.ContentType},
		map[string]string{"key": p.Key},
	}
	for k, v := range p.Metadata {
		conds = append(conds, map[string]string{"x-amz-meta-" + k: v})
	}
	expires := time.Now().Add(p.TTL).UTC().Truncate(time.Second)
	req, err := b.presign.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(p.Key)},
		func(o *s3.PresignPostOptions) { o.Expires, o.Conditions = p.TTL, conds })
	if err != nil {
		return nil, fmt.Errorf("presign post %s: %w", p.Key, err)
	}
	fields := req.Values
	fields["Content-Type"] = p.ContentType
	for k, v := range p.Metadata {
		fields["x-amz-meta-"+k] = v
	}
	return &PresignedPost{URL: req.URL, Fields: fields, Expires: expires}, nil
}

// Touch copies key onto itself, which S3 reports as a new ObjectCreated:Copy event: the way the sweep re-drives a
// staging object whose event was lost or failed for good. The content, its ETag (S3's is the MD5 of a single-part
// object's bytes, and a copy is single-part), the content type and the metadata stay; S3 refuses a copy onto
// itself that changes nothing, so a redriven-at entry is added, with the count of re-drives so far.
func (b *Bucket) Touch(ctx context.Context, key string) error {
	head, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("head %s: %w", key, classify(err))
	}
	meta := map[string]string{}
	for k, v := range head.Metadata {
		meta[k] = v
	}
	meta["redriven-at"] = time.Now().UTC().Format(time.RFC3339)
	n, _ := strconv.Atoi(meta["redrives"])
	meta["redrives"] = strconv.Itoa(n + 1) // the resize function gives up on an object re-driven too often
	// Only the object the HEAD saw: a photo put under the key since then has an event of its own.
	_, err = b.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:            aws.String(b.name),
		Key:               aws.String(key),
		CopySource:        aws.String(copySource(b.name, key)),
		CopySourceIfMatch: head.ETag,
		ContentType:       head.ContentType,
		Metadata:          meta,
		MetadataDirective: types.MetadataDirectiveReplace,
	})
	if err != nil {
		return fmt.Errorf("touch %s: %w", key, classify(err))
	}
	return nil
}

// Head returns an object's size, ETag, content type and metadata without its body.
func (b *Bucket) Head(ctx context.Context, key string) (*Object, error) {
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("head %s: %w", key, classify(err))
	}
	return &Object{Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag),
		ContentType: aws.ToString(out.ContentType), Metadata: out.Metadata}, nil
}
