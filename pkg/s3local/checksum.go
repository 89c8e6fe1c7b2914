package s3local

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
)

// checksumAlgorithms are the x-amz-checksum-* algorithms S3 verifies, by the upper-case name S3 uses in
// x-amz-sdk-checksum-algorithm. CRC64NVME is the reflected CRC-64 with polynomial 0x9A6C9329AC4BC9B5, which is
// what Go's crc64 computes given that table.
var checksumAlgorithms = map[string]func() hash.Hash{
	"CRC32":     func() hash.Hash { return crc32.NewIEEE() },
	"CRC32C":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"CRC64NVME": func() hash.Hash { return crc64.New(crc64nvme) },
	"SHA1":      sha1.New,
	"SHA256":    sha256.New,
}

var crc64nvme = crc64.MakeTable(0x9A6C9329AC4BC9B5)

func checksumHeader(alg string) string { return "x-amz-checksum-" + strings.ToLower(alg) }

// stored answers a PutObject or UploadPart as S3 does: 200 with the ETag and the checksums it verified.
func (q *request) stored(etag string, checksums map[string]string) {
	q.w.Header().Set("ETag", quote(etag))
	for alg, v := range checksums {
		q.w.Header().Set(checksumHeader(alg), v)
	}
	q.w.WriteHeader(http.StatusOK)
}

// bodyCheck reads a request body and, at its end, verifies everything the client declared about it: its length,
// the signed SHA-256 (x-amz-content-sha256), Content-MD5, and x-amz-checksum-* values given as headers or, for
// the aws-chunked form, as trailers. A mismatch is reported by Read in place of io.EOF, so nothing that reads
// the body to its end can take a corrupted upload for a good one.
type bodyCheck struct {
	r       io.Reader
	want    int64 // expected length, -1 unknown
	n       int64
	sha     hash.Hash
	shaWant string
	md5     hash.Hash
	md5Want []byte
	sums    map[string]hash.Hash
	// expected returns the declared checksums, header values merged with trailers; called at the end, when the
	// trailers have been read.
	expected func() map[string]string
	done     error
	// Checksums holds the verified (or computed) checksum values, base64, by algorithm, once Read returned EOF.
	Checksums map[string]string
}

// newBodyCheck sets up the checks that r's headers ask for. payload is the request's x-amz-content-sha256 value.
// It fails early on a malformed Content-MD5 or checksum header, as S3 does.
func newBodyCheck(r *http.Request, body io.Reader, want int64, payload string, trailers func() http.Header) (*bodyCheck, *s3Error) {
	c := &bodyCheck{r: body, want: want, sums: map[string]hash.Hash{}}
	if isHexSHA256(payload) {
		c.sha, c.shaWant = sha256.New(), strings.ToLower(payload)
	}
	if m := r.Header.Get("Content-MD5"); m != "" {
		b, err := base64.StdEncoding.DecodeString(m)
		if err != nil || len(b) != md5.Size {
			return nil, errorf(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
		c.md5, c.md5Want = md5.New(), b
	}
	declared := map[string]string{}
	for alg, nw := range checksumAlgorithms {
		if v := r.Header.Get(checksumHeader(alg)); v != "" {
			if _, err := base64.StdEncoding.DecodeString(v); err != nil || len(v) != base64.StdEncoding.EncodedLen(nw().Size()) {
				return nil, errorf(http.StatusBadRequest, "InvalidRequest", "Value for "+checksumHeader(alg)+" header is invalid.")
			}
			declared[alg] = v
			c.sums[alg] = nw()
		}
	}
	// An algorithm announced without a value (a trailer is coming, or the client wants S3 to compute it).
	for _, h := range []string{"X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Algorithm"} {
		if alg := strings.ToUpper(r.Header.Get(h)); alg != "" {
			nw, ok := checksumAlgorithms[alg]
			if !ok {
				return nil, errorf(http.StatusBadRequest, "InvalidRequest", "Value for "+strings.ToLower(h)+" header is invalid.")
			}
			if c.sums[alg] == nil {
				c.sums[alg] = nw()
			}
		}
	}
	if t := strings.ToLower(r.Header.Get("X-Amz-Trailer")); t != "" {
		alg := strings.ToUpper(strings.TrimPrefix(t, "x-amz-checksum-"))
		nw, ok := checksumAlgorithms[alg]
		if !ok || !strings.HasPrefix(t, "x-amz-checksum-") || trailers == nil {
			return nil, errorf(http.StatusBadRequest, "InvalidRequest", "The value specified in the x-amz-trailer header is not supported")
		}
		if c.sums[alg] == nil {
			c.sums[alg] = nw()
		}
	}
	c.expected = func() map[string]string {
		if trailers != nil {
			for k, vs := range trailers() {
				l := strings.ToLower(k)
				if alg := strings.ToUpper(strings.TrimPrefix(l, "x-amz-checksum-")); strings.HasPrefix(l, "x-amz-checksum-") && len(vs) > 0 {
					declared[alg] = vs[0]
				}
			}
		}
		return declared
	}
	return c, nil
}

func (c *bodyCheck) Read(p []byte) (int, error) {
	if c.done != nil {
		return 0, c.done
	}
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		if c.want >= 0 && c.n > c.want {
			c.done = errIncompleteBody
			return 0, c.done
		}
		if c.sha != nil {
			c.sha.Write(p[:n])
		}
		if c.md5 != nil {
			c.md5.Write(p[:n])
		}
		for _, h := range c.sums {
			h.Write(p[:n])
		}
	}
	switch {
	case err == io.EOF:
		c.done = c.finish()
		return n, c.done
	case err == io.ErrUnexpectedEOF:
		c.done = errIncompleteBody
		return n, c.done
	case err != nil:
		c.done = err
	}
	return n, err
}

// finish runs the end-of-body checks in S3's order of precedence: length, signed SHA-256, MD5, checksums.
func (c *bodyCheck) finish() error {
	if c.want >= 0 && c.n != c.want {
		return errIncompleteBody
	}
	if c.sha != nil && hex.EncodeToString(c.sha.Sum(nil)) != c.shaWant {
		return errorf(http.StatusBadRequest, "XAmzContentSHA256Mismatch",
			"The provided 'x-amz-content-sha256' header does not match what was computed.",
			"ClientComputedContentSHA256", c.shaWant, "S3ComputedContentSHA256", hex.EncodeToString(c.sha.Sum(nil)))
	}
	if c.md5 != nil && string(c.md5.Sum(nil)) != string(c.md5Want) {
		return errorf(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
	}
	c.Checksums = map[string]string{}
	declared := c.expected()
	for alg, h := range c.sums {
		got := base64.StdEncoding.EncodeToString(h.Sum(nil))
		if want, ok := declared[alg]; ok && want != got {
			return errorf(http.StatusBadRequest, "BadDigest", "The "+alg+" you specified did not match the calculated checksum.")
		}
		c.Checksums[alg] = got
	}
	for alg := range declared {
		if c.sums[alg] == nil { // a trailer nobody announced in x-amz-trailer
			return errorf(http.StatusBadRequest, "InvalidRequest", "Trailer "+checksumHeader(alg)+" was not declared in x-amz-trailer")
		}
	}
	return io.EOF
}
