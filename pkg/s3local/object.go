package s3local

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// diskError marks a failure of this machine (not of the client) while storing a body.
type diskError struct{ err error }

func (e *diskError) Error() string { return e.err.Error() }
func (e *diskError) Unwrap() error { return e.err }

// requireBucket answers NoSuchBucket before any body is read for a bucket that does not exist.
func (q *request) requireBucket() error {
	ok, err := q.s.st.bucketExists(q.bucket)
	if err != nil {
		return err
	}
	if !ok {
		return errNoSuchBucket.with("BucketName", q.bucket)
	}
	return nil
}

// storeBody writes a verified body to a new blob and returns its record, not yet in the index. Nothing is
// stored unless the whole body arrived and passed every check.
func (s *Server) storeBody(b io.Reader) (*objectRecord, error) {
	w, err := s.st.newBlob()
	if err != nil {
		return nil, err
	}
	if _, err := w.ReadFrom(b); err != nil {
		w.abort()
		var d *diskError
		if errors.As(err, &d) {
			return nil, err
		}
		return nil, clientReadError(err)
	}
	md5 := w.md5Hex()
	size := w.size
	id, err := w.commit()
	if err != nil {
		return nil, err
	}
	return &objectRecord{Blob: id, Size: size, ETag: md5, MD5: md5, Modified: s.now()}, nil
}

// headerFieldsFrom takes the metadata S3 stores from a PUT, POST or multipart initiation.
func headerFieldsFrom(h http.Header) (headerFields, error) {
	hf := headerFields{
		ContentType: h.Get("Content-Type"), ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage: h.Get("Content-Language"), CacheControl: h.Get("Cache-Control"), Expires: h.Get("Expires"),
	}
	// aws-chunked is the transfer framing of a streaming upload, not part of the object's encoding.
	var enc []string
	for _, e := range strings.Split(h.Get("Content-Encoding"), ",") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
			enc = append(enc, e)
		}
	}
	hf.ContentEncoding = strings.Join(enc, ",")
	size := 0
	for name, vs := range h {
		l := strings.ToLower(name)
		if m, ok := strings.CutPrefix(l, "x-amz-meta-"); ok {
			if hf.Meta == nil {
				hf.Meta = map[string]string{}
			}
			hf.Meta[m] = strings.Join(vs, ",")
			size += len(m) + len(hf.Meta[m])
		}
	}
	if size > maxMetadataBytes {
		return hf, errorf(http.StatusBadRequest, "MetadataTooLarge",
			"Your metadata headers exceed the maximum allowed metadata size", "Size", fmt.Sprint(size),
			"MaxSizeAllowed", fmt.Sprint(maxMetadataBytes))
	}
	if hf.ContentType == "" {
		hf.ContentType = "binary/octet-stream" // what S3 stores when none is given
	}
	return hf, nil
}

// putObject stores the body under a new blob and only then, in one index transaction that also decides any
// If-Match / If-None-Match, makes it the key's current version: a failed or refused upload changes nothing.
func (q *request) putObject() error {
	if err := q.requireBucket(); err != nil {
		return err
	}
	hf, err := headerFieldsFrom(q.r.Header)
	if err != nil {
		return err
	}
	check, err := writeCheck(q.r.Header)
	if err != nil {
		return err
	}
	body, err := q.body(maxPutSize)
	if err != nil {
		return err
	}
	rec, err := q.s.storeBody(body)
	if err != nil {
		return err
	}
	rec.headerFields = hf
	rec.Checksums = body.Checksums
	if err := q.commit(rec, check, EventPut); err != nil {
		return err
	}
	q.stored(rec.ETag, rec.Checksums)
	return nil
}

// commit puts rec in the index as bucket/key's current version (throwing its blob away if that fails) and
// reports the creation.
func (q *request) commit(rec *objectRecord, check func(*objectRecord) error, event string) error {
	if _, err := q.s.st.put(q.bucket, q.key, rec, check); err != nil {
		q.s.st.removeBlobs(rec.Blob)
		return err
	}
	q.s.created(event, q.bucket, q.key, rec)
	return nil
}

func quote(etag string) string { return `"` + etag + `"` }

// byteRange is an inclusive range of an object.
type byteRange struct{ first, last int64 }

// parseRange reads a Range header the way S3 does: one range of bytes (first-last, first-, or -suffix). A
// header S3 would ignore (bad syntax, several ranges) gives ok=false; one it cannot satisfy gives an error.
func parseRange(h string, size int64) (br byteRange, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return br, false, nil
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return br, false, nil
	}
	invalid := errorf(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable",
		"RangeRequested", h, "ActualObjectSize", fmt.Sprint(size))
	invalid.Header = http.Header{"Content-Range": {fmt.Sprintf("bytes */%d", size)}}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return br, false, nil
		}
		if n == 0 || size == 0 {
			return br, false, invalid
		}
		return byteRange{max(size-n, 0), size - 1}, true, nil
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 {
		return br, false, nil
	}
	last := size - 1
	if b != "" {
		if last, err = strconv.ParseInt(b, 10, 64); err != nil || last < first {
			return br, false, nil
		}
		last = min(last, size-1)
	}
	if first >= size {
		return br, false, invalid
	}
	return byteRange{first, last}, true, nil
}

// getObject answers GET and HEAD: preconditions first (304 / 412), then the range or part, then the bytes
// from the blob opened before any overwrite could replace it.
func (q *request) getObject(head bool) error {
	rec, f, err := q.s.st.open(q.bucket, q.key)
	if errors.Is(err, ErrNoSuchBucket) {
		return errNoSuchBucket.with("BucketName", q.bucket)
	}
	if errors.Is(err, ErrNoSuchKey) {
		return errNoSuchKey.with("Key", q.key)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := q.w.Header()
	h.Set("ETag", quote(rec.ETag))
	h.Set("Last-Modified", rec.Modified.Format(http.TimeFormat))
	switch readConditions(q.r.Header, rec) {
	case http.StatusNotModified:
		q.w.WriteHeader(http.StatusNotModified)
		return nil
	case http.StatusPreconditionFailed:
		return errPrecondition
	}
	br, partial, err := q.objectRange(rec)
	if err != nil {
		return err
	}
	q.objectHeaders(rec, partial)
	length := rec.Size
	status := http.StatusOK
	if partial {
		length = br.last - br.first + 1
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", br.first, br.last, rec.Size))
		status = http.StatusPartialContent
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	q.w.WriteHeader(status)
	if head {
		return nil
	}
	if _, err := f.Seek(br.first, io.SeekStart); err != nil {
		return nil // headers are gone; the short body tells the client
	}
	io.CopyN(q.w, f, length)
	return nil
}

// objectRange is the part of rec a GET asks for: a Range header, or a partNumber of a multipart object.
func (q *request) objectRange(rec *objectRecord) (byteRange, bool, error) {
	whole := byteRange{0, rec.Size - 1}
	if pn := q.r.URL.Query().Get("partNumber"); pn != "" {
		n, err := strconv.Atoi(pn)
		if err != nil || n < 1 || n > maxParts {
			return whole, false, errorf(http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive",
				"ArgumentName", "partNumber", "ArgumentValue", pn)
		}
		if q.r.Header.Get("Range") != "" {
			return whole, false, errorf(http.StatusBadRequest, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter")
		}
		if len(rec.PartSizes) == 0 {
			if n == 1 {
				return whole, false, nil
			}
			return whole, false, errorf(http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable")
		}
		if n > len(rec.PartSizes) {
			return whole, false, errorf(http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable")
		}
		var first int64
		for _, s := range rec.PartSizes[:n-1] {
			first += s
		}
		q.w.Header().Set("x-amz-mp-parts-count", strconv.Itoa(len(rec.PartSizes)))
		return byteRange{first, first + rec.PartSizes[n-1] - 1}, true, nil
	}
	if rh := q.r.Header.Get("Range"); rh != "" {
		br, ok, err := parseRange(rh, rec.Size)
		if err != nil || ok {
			return br, ok, err
		}
	}
	return whole, false, nil
}

// objectHeaders sets the stored metadata, overridden by response-* query parameters as S3 allows on signed
// requests. Checksums are answered for the whole object only, when the client asks (x-amz-checksum-mode).
func (q *request) objectHeaders(rec *objectRecord, partial bool) {
	h := q.w.Header()
	v := q.r.URL.Query()
	set := func(name, stored, override string) {
		if o := v.Get(override); o != "" {
			stored = o
		}
		if stored != "" {
			h.Set(name, stored)
		}
	}
	set("Content-Type", rec.ContentType, "response-content-type")
	set("Content-Encoding", rec.ContentEncoding, "response-content-encoding")
	set("Content-Disposition", rec.ContentDisposition, "response-content-disposition")
	set("Content-Language", rec.ContentLanguage, "response-content-language")
	set("Cache-Control", rec.CacheControl, "response-cache-control")
	set("Expires", rec.Expires, "response-expires")
	h.Set("Accept-Ranges", "bytes")
	for k, val := range rec.Meta {
		h.Set("x-amz-meta-"+k, val)
	}
	if strings.EqualFold(q.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") && !partial {
		for alg, val := range rec.Checksums {
			h.Set(checksumHeader(alg), val)
		}
		if len(rec.Checksums) > 0 {
			h.Set("x-amz-checksum-type", "FULL_OBJECT")
		}
	}
}

// deleteObject answers 204 whether or not the key existed, as S3 does, unless If-Match was given: then a
// missing object is NoSuchKey and another ETag is PreconditionFailed.
func (q *request) deleteObject() error {
	old, err := q.s.st.remove(q.bucket, q.key, deleteCheck(q.r.Header.Get("If-Match")))
	if errors.Is(err, ErrNoSuchBucket) {
		return errNoSuchBucket.with("BucketName", q.bucket)
	}
	if errors.Is(err, ErrNoSuchKey) {
		return errNoSuchKey.with("Key", q.key)
	}
	if err != nil {
		return err
	}
	if old != nil {
		q.s.removed(q.bucket, q.key)
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// copySource parses x-amz-copy-source: "bucket/key" or "/bucket/key", URL-encoded, with an optional
// ?versionId= (only "null" exists here).
func copySource(h string) (bucket, key string, err error) {
	src, query, _ := strings.Cut(h, "?")
	if query != "" {
		v, _ := url.ParseQuery(query)
		if vid := v.Get("versionId"); vid != "" && vid != "null" {
			return "", "", errorf(http.StatusBadRequest, "InvalidArgument", "Invalid version id specified")
		}
	}
	dec, uerr := url.PathUnescape(strings.TrimPrefix(src, "/"))
	bucket, key, _ = strings.Cut(dec, "/")
	if uerr != nil || bucket == "" || key == "" {
		return "", "", errorf(http.StatusBadRequest, "InvalidArgument",
			"Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "ArgumentName", "x-amz-copy-source")
	}
	if len(key) > maxKeyBytes {
		return "", "", errKeyTooLong
	}
	return bucket, key, nil
}

// copyObject is CopyObject: the source conditions (x-amz-copy-source-if-*) are checked against the version
// actually copied, the metadata is copied or replaced (x-amz-metadata-directive), and the destination takes
// the same write conditions as a PUT.
func (q *request) copyObject() error {
	sb, sk, err := copySource(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	if err := q.requireBucket(); err != nil {
		return err
	}
	directive := strings.ToUpper(q.r.Header.Get("X-Amz-Metadata-Directive"))
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return errorf(http.StatusBadRequest, "InvalidArgument", "Unknown metadata directive.")
	}
	check, err := writeCheck(q.r.Header)
	if err != nil {
		return err
	}
	if err := drain(q); err != nil {
		return err
	}
	src, blob, err := q.s.st.copyBlob(sb, sk, func(rec *objectRecord) error {
		if err := copySourceConditions(q.r.Header, rec); err != nil {
			return err
		}
		if sb == q.bucket && sk == q.key && directive != "REPLACE" {
			return errorf(http.StatusBadRequest, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
		if rec.Size > maxPutSize {
			return errorf(http.StatusBadRequest, "InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
		}
		return nil
	})
	if errors.Is(err, ErrNoSuchBucket) {
		return errNoSuchBucket.with("BucketName", sb)
	}
	if errors.Is(err, ErrNoSuchKey) {
		return errNoSuchKey.with("Key", sk)
	}
	if err != nil {
		return err
	}
	rec := &objectRecord{Blob: blob, Size: src.Size, ETag: src.MD5, MD5: src.MD5, Modified: q.s.now(), headerFields: src.headerFields}
	if len(src.PartSizes) > 0 {
		rec.Checksums = nil // a multipart object's checksums describe its parts, not this single-part copy
	}
	if directive == "REPLACE" {
		if rec.headerFields, err = headerFieldsFrom(q.r.Header); err != nil {
			q.s.st.removeBlobs(blob)
			return err
		}
		rec.Checksums = src.Checksums
	}
	if err := q.commit(rec, check, EventCopy); err != nil {
		return err
	}
	writeXML(q.w, http.StatusOK, struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		LastModified string   `xml:"LastModified"`
		ETag         string   `xml:"ETag"`
	}{LastModified: isoTime(rec.Modified), ETag: quote(rec.ETag)})
	return nil
}

// drain reads (and so verifies) a body that the operation does not use; a CopyObject has none.
func drain(q *request) error {
	b, err := q.readSmallBody()
	if err != nil {
		return err
	}
	if len(b) > 0 {
		return errorf(http.StatusBadRequest, "InvalidRequest", "This operation does not take a request body")
	}
	return nil
}

// isoTime is the timestamp form of S3 XML documents: UTC, milliseconds.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// deleteObjects is the multi-object delete, POST /bucket?delete.
func (q *request) deleteObjects() error {
	if q.r.Header.Get("Content-MD5") == "" && !hasChecksumHeader(q.r) {
		return errorf(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: Content-Md5")
	}
	if err := q.requireBucket(); err != nil {
		return err
	}
	raw, err := q.readSmallBody()
	if err != nil {
		return err
	}
	var req struct {
		Quiet   bool `xml:"Quiet"`
		Objects []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
			ETag      string `xml:"ETag"`
		} `xml:"Object"`
	}
	if err := xml.Unmarshal(raw, &req); err != nil || len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return errMalformedXML
	}
	type deleted struct {
		Key string `xml:"Key"`
	}
	type failed struct {
		Key     string `xml:"Key"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	res := struct {
		XMLName xml.Name  `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
		Deleted []deleted `xml:"Deleted"`
		Errors  []failed  `xml:"Error"`
	}{}
	for _, o := range req.Objects {
		var e *s3Error
		switch {
		case o.Key == "":
			e = errorf(http.StatusBadRequest, "InvalidArgument", "Object key must not be empty")
		case len(o.Key) > maxKeyBytes:
			e = errKeyTooLong
		case o.VersionID != "" && o.VersionID != "null":
			e = errorf(http.StatusBadRequest, "NoSuchVersion", "The specified version does not exist.")
		default:
			old, err := q.s.st.remove(q.bucket, o.Key, deleteCheck(o.ETag))
			if err != nil {
				e = asS3Error(err)
				if e == errInternal {
					q.s.opt.Log.Error("s3local: delete", "bucket", q.bucket, "key", o.Key, "err", err)
				}
				break
			}
			if old != nil {
				q.s.removed(q.bucket, o.Key)
			}
		}
		if e != nil {
			res.Errors = append(res.Errors, failed{Key: o.Key, Code: e.Code, Message: e.Message})
		} else if !req.Quiet {
			res.Deleted = append(res.Deleted, deleted{Key: o.Key})
		}
	}
	writeXML(q.w, http.StatusOK, res)
	return nil
}

// hasChecksumHeader reports an x-amz-checksum-* header or trailer, which S3 takes in place of Content-MD5
// where an integrity check is required (DeleteObjects); the SDK sends CRC32 there.
func hasChecksumHeader(r *http.Request) bool {
	for alg := range checksumAlgorithms {
		if r.Header.Get(checksumHeader(alg)) != "" {
			return true
		}
	}
	return r.Header.Get("X-Amz-Trailer") != ""
}
