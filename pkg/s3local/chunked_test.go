package s3local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// chunkedUpload builds a STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] PUT of chunks, signed with the SDK's
// signer (the seed) and its stream signer (each chunk). mutate may change the encoded body before sending.
type chunkedUpload struct {
	chunks  [][]byte
	trailer bool  // send a crc32 trailer, signed
	badCRC  bool  // with a wrong value
	badTSig bool  // with a wrong trailer signature
	declare int64 // x-amz-decoded-content-length, if not the true length
	mutate  func([]byte) []byte
}

func (u chunkedUpload) request(t *testing.T, target string) *http.Request {
	t.Helper()
	now := time.Now().UTC()
	var total int64
	crc := crc32.NewIEEE()
	for _, c := range u.chunks {
		total += int64(len(c))
		crc.Write(c)
	}
	if u.declare != 0 {
		total = u.declare
	}
	mode := streamingSigned
	if u.trailer {
		mode = streamingSignedT
	}
	req, _ := http.NewRequest(http.MethodPut, target, nil)
	req.Header.Set("X-Amz-Content-Sha256", mode)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(total))
	if u.trailer {
		req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, mode, "s3", testRegion, now); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	seed, _ := hex.DecodeString(auth[strings.LastIndex(auth, "=")+1:])
	ss := v4.NewStreamSigner(testCreds, "s3", testRegion, seed)
	var body bytes.Buffer
	for _, c := range append(u.chunks, nil) { // the empty chunk ends the body
		sig, _ := ss.GetSignature(context.Background(), nil, c, now)
		fmt.Fprintf(&body, "%x;chunk-signature=%x\r\n", len(c), sig)
		if len(c) > 0 {
			body.Write(c)
			body.WriteString("\r\n")
		}
	}
	if u.trailer {
		sum := crc.Sum(nil)
		if u.badCRC {
			sum[0] ^= 1
		}
		line := "x-amz-checksum-crc32:" + base64.StdEncoding.EncodeToString(sum)
		h := sha256.Sum256([]byte(line + "\n"))
		prev := hex.EncodeToString(mustLastSig(t, body.String()))
		scope := now.Format(scopeDateLayout) + "/" + testRegion + "/s3/aws4_request"
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + now.Format(amzDateLayout) + "\n" + scope + "\n" + prev + "\n" + hex.EncodeToString(h[:])
		tsig := hex.EncodeToString(hmacSHA256(signingKey(testSecretKey, now.Format(scopeDateLayout), testRegion, "s3"), []byte(sts)))
		if u.badTSig {
			tsig = strings.Repeat("0", 64)
		}
		body.WriteString(line + "\r\nx-amz-trailer-signature:" + tsig + "\r\n")
	}
	body.WriteString("\r\n")
	b := body.Bytes()
	if u.mutate != nil {
		b = u.mutate(b)
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.ContentLength = int64(len(b))
	return req
}

// mustLastSig returns the signature of the last chunk written so far, the one a trailer signature chains on.
func mustLastSig(t *testing.T, body string) []byte {
	i := strings.LastIndex(body, "chunk-signature=")
	sig, err := hex.DecodeString(body[i+len("chunk-signature=") : i+len("chunk-signature=")+64])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestStreamingSignedUpload(t *testing.T) {
	f := newFixture(t)
	a, b, c := bytes.Repeat([]byte("a"), 64<<10), bytes.Repeat([]byte("b"), 64<<10), []byte("tail")
	whole := string(a) + string(b) + string(c)
	swapFirstTwo := func(body []byte) []byte {
		ia := bytes.Index(body, a)
		ib := bytes.Index(body, b)
		out := append([]byte{}, body...)
		copy(out[ia:], b)
		copy(out[ib:], a)
		return out
	}
	cases := map[string]struct {
		up     chunkedUpload
		status int
		code   string
	}{
		"good":              {chunkedUpload{chunks: [][]byte{a, b, c}}, 200, ""},
		"good with trailer": {chunkedUpload{chunks: [][]byte{a, b, c}, trailer: true}, 200, ""},
		"tampered chunk": {chunkedUpload{chunks: [][]byte{a, b, c}, mutate: func(p []byte) []byte {
			i := bytes.Index(p, []byte("tail"))
			p[i] = 'T'
			return p
		}}, 403, "SignatureDoesNotMatch"},
		"chunks swapped":        {chunkedUpload{chunks: [][]byte{a, b, c}, mutate: swapFirstTwo}, 403, "SignatureDoesNotMatch"},
		"wrong decoded length":  {chunkedUpload{chunks: [][]byte{a, b, c}, declare: int64(len(whole)) + 1}, 400, "IncompleteBody"},
		"bad trailer checksum":  {chunkedUpload{chunks: [][]byte{a, b, c}, trailer: true, badCRC: true}, 400, "BadDigest"},
		"bad trailer signature": {chunkedUpload{chunks: [][]byte{a, b, c}, trailer: true, badTSig: true}, 403, "SignatureDoesNotMatch"},
		"truncated body":        {chunkedUpload{chunks: [][]byte{a, b, c}, mutate: func(p []byte) []byte { return p[:len(p)/2] }}, 400, "IncompleteBody"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			key := "staging/stream-" + strings.ReplaceAll(name, " ", "-")
			status, e, body := do(t, tc.up.request(t, f.hs.URL+"/"+testBucket+"/"+key))
			if status != tc.status || e.Code != tc.code {
				t.Fatalf("got %d %s (%s), want %d %s", status, e.Code, body, tc.status, tc.code)
			}
			got, code := f.get(key)
			if tc.status == 200 && string(got) != whole || tc.status != 200 && code != "NoSuchKey" {
				t.Fatalf("stored %d bytes (%s) after %d", len(got), code, status)
			}
		})
	}
	if n := len(f.created()); n != 2 {
		t.Fatalf("%d ObjectCreated events, want 2 (the good uploads only)", n)
	}
}

// TestSDKOverTLS runs the SDK with its default checksum settings over HTTPS, where it streams uploads as
// STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer and validates checksums of downloads.
func TestSDKOverTLS(t *testing.T) {
	f := newFixture(t)
	hs := httptest.NewTLSServer(f.srv)
	defer hs.Close()
	c := s3.New(s3.Options{Region: testRegion, Credentials: f.client().Options().Credentials, BaseEndpoint: aws.String(hs.URL),
		UsePathStyle: true, HTTPClient: hs.Client(), RetryMaxAttempts: 1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported})
	ctx := context.Background()
	body := strings.Repeat("streamed over tls ", 5000)
	// An unseekable body makes the SDK send aws-chunked with a trailing checksum.
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/tls.txt"),
		Body: io.MultiReader(strings.NewReader(body)), ContentLength: aws.Int64(int64(len(body)))})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/tls.txt"),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	if err != nil || string(got) != body {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	if aws.ToString(out.ChecksumCRC32) == "" {
		t.Fatalf("no stored CRC32 answered to a checksum-mode GET")
	}

	// The same upload with one byte of data changed on the way must fail its trailing checksum.
	corrupt := s3.New(c.Options(), func(o *s3.Options) {
		o.HTTPClient = &http.Client{Transport: corruptingTransport{hs.Client().Transport}}
	})
	_, err = corrupt.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/corrupt.txt"),
		Body: io.MultiReader(strings.NewReader(body)), ContentLength: aws.Int64(int64(len(body)))})
	if errCode(err) != "BadDigest" {
		t.Fatalf("corrupted streaming upload: %v, want BadDigest", err)
	}
	if _, code := f.get("staging/corrupt.txt"); code != "NoSuchKey" {
		t.Fatalf("corrupted upload was stored (%s)", code)
	}
}

// corruptingTransport changes the first "s" of the data of aws-chunked bodies, as a faulty network would.
type corruptingTransport struct{ next http.RoundTripper }

func (c corruptingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Header.Get("X-Amz-Trailer") != "" {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		i := bytes.Index(b, []byte("\r\nstreamed"))
		b[i+2] = 'S'
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return c.next.RoundTrip(r)
}

// TestChecksumHeaders checks that Content-MD5 and x-amz-checksum-* values are verified against the body.
func TestChecksumHeaders(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	body := []byte("checked body")
	crc := make([]byte, 4)
	binary.BigEndian.PutUint32(crc, crc32.ChecksumIEEE(body))
	good := base64.StdEncoding.EncodeToString(crc)
	crc[0] ^= 0xFF
	bad := base64.StdEncoding.EncodeToString(crc)
	for name, tc := range map[string]struct {
		in   s3.PutObjectInput
		code string
	}{
		"good crc32":    {s3.PutObjectInput{ChecksumCRC32: aws.String(good)}, ""},
		"bad crc32":     {s3.PutObjectInput{ChecksumCRC32: aws.String(bad)}, "BadDigest"},
		"bad md5":       {s3.PutObjectInput{ContentMD5: aws.String("1B2M2Y8AsgTpgAmY7PhCfg==")}, "BadDigest"},
		"malformed md5": {s3.PutObjectInput{ContentMD5: aws.String("nope")}, "InvalidDigest"},
	} {
		t.Run(name, func(t *testing.T) {
			in := tc.in
			in.Bucket, in.Key, in.Body = aws.String(testBucket), aws.String("c/"+name), bytes.NewReader(body)
			_, err := f.client().PutObject(ctx, &in)
			if errCode(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}

// TestCRC64NVME checks the table against the algorithm's published check value (CRC of "123456789").
func TestCRC64NVME(t *testing.T) {
	if got := crc64.Checksum([]byte("123456789"), crc64nvme); got != 0xAE8B14860A799888 {
		t.Fatalf("CRC-64/NVME check = %#x", got)
	}
}
