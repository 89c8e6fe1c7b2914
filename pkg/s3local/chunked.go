package s3local

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// chunkedReader decodes the aws-chunked body that SigV4 streaming uploads send (x-amz-content-sha256 of
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] or STREAMING-UNSIGNED-PAYLOAD-TRAILER):
//
//	<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n[<trailer>:<value>\r\n...]\r\n
//
// In the signed forms each chunk's signature chains on the previous one, starting from the request's
// signature, so a chunk cannot be altered, dropped or reordered; a trailer is signed the same way.
type chunkedReader struct {
	br        *bufio.Reader
	signed    bool
	trailer   bool
	a         *auth
	prev      string // previous signature in the chain
	left      int64  // bytes left in the current chunk
	sigWant   string // the current chunk's declared signature
	h         hash.Hash
	started   bool
	done      bool
	err       error
	trailers  http.Header
	sawLength int64
}

var errChunk = errorf(http.StatusBadRequest, "IncompleteBody", "The request body is not valid aws-chunked encoding")

func newChunkedReader(body io.Reader, a *auth) *chunkedReader {
	return &chunkedReader{
		br: bufio.NewReaderSize(body, 64<<10), signed: strings.HasPrefix(a.payload, "STREAMING-AWS4-HMAC-SHA256"),
		trailer: strings.HasSuffix(a.payload, "-TRAILER"), a: a, prev: a.signature, h: sha256.New(),
		trailers: http.Header{},
	}
}

// Trailers returns the trailing headers, complete once Read returned io.EOF.
func (c *chunkedReader) Trailers() http.Header { return c.trailers }

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	for c.left == 0 {
		if c.started {
			if err := c.endChunk(); err != nil {
				c.err = err
				return 0, err
			}
		}
		if c.done {
			c.err = io.EOF
			return 0, io.EOF
		}
		if err := c.startChunk(); err != nil {
			c.err = err
			return 0, err
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.h.Write(p[:n])
	c.left -= int64(n)
	if err == io.EOF {
		err = errIncompleteBody
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// line reads one CRLF-terminated line of framing. It is bounded by the buffer size, so a client cannot make
// the server hold an endless chunk header.
func (c *chunkedReader) line() (string, error) {
	l, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errChunk
	}
	if err != nil {
		return "", errIncompleteBody
	}
	if !bytes.HasSuffix(l, []byte("\r\n")) {
		return "", errChunk
	}
	return string(l[:len(l)-2]), nil
}

// startChunk reads a chunk header. A zero-size chunk is the last one: it has no data, and (in the trailer
// forms) the trailers follow it.
func (c *chunkedReader) startChunk() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	size, ext, _ := strings.Cut(l, ";")
	n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
	if err != nil || n < 0 {
		return errChunk
	}
	if c.signed {
		sig, ok := strings.CutPrefix(ext, "chunk-signature=")
		if !ok || len(sig) != 64 {
			return errChunk
		}
		c.sigWant = sig
	}
	c.started, c.left = true, n
	c.h.Reset()
	if n == 0 {
		return c.finalChunk()
	}
	return nil
}

// endChunk checks the CRLF after a chunk's data and its signature.
func (c *chunkedReader) endChunk() error {
	if c.done {
		return nil
	}
	l, err := c.line()
	if err != nil {
		return err
	}
	if l != "" {
		return errChunk
	}
	c.started = false
	return c.verify()
}

// verify checks the signature of the chunk just read: its string to sign chains on the previous signature
// and covers the chunk's SHA-256 (the empty hash stands for chunk headers, which S3 chunks do not have).
func (c *chunkedReader) verify() error {
	if !c.signed {
		return nil
	}
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.a.date + "\n" + c.a.scope + "\n" + c.prev + "\n" + emptySHA256 + "\n" +
		hex.EncodeToString(c.h.Sum(nil))
	want := hex.EncodeToString(hmacSHA256(c.a.key, []byte(sts)))
	if !hmac.Equal([]byte(want), []byte(c.sigWant)) {
		return errSignatureMismatch
	}
	c.prev = want
	return nil
}

// finalChunk verifies the empty last chunk and reads the trailers; a signed trailer has its own signature,
// the last link of the chain.
func (c *chunkedReader) finalChunk() error {
	if err := c.verify(); err != nil {
		return err
	}
	c.done, c.started = true, false
	if !c.trailer {
		l, err := c.line()
		if err != nil {
			return err
		}
		if l != "" {
			return errChunk
		}
		return nil
	}
	var canon strings.Builder
	trailerSig := ""
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return errChunk
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			trailerSig = value
			continue
		}
		c.trailers.Add(name, value)
		canon.WriteString(name + ":" + value + "\n")
	}
	if !c.signed {
		return nil
	}
	sum := sha256.Sum256([]byte(canon.String()))
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.a.date + "\n" + c.a.scope + "\n" + c.prev + "\n" + hex.EncodeToString(sum[:])
	want := hex.EncodeToString(hmacSHA256(c.a.key, []byte(sts)))
	if !hmac.Equal([]byte(want), []byte(trailerSig)) {
		return errSignatureMismatch
	}
	return nil
}
