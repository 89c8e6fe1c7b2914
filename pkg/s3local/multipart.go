package s3local

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// S3's multipart limits.
const (
	maxParts    = 10000
	minPartSize = 5 << 20 // every part but the last
)

var (
	errInvalidPart = errorf(http.StatusBadRequest, "InvalidPart",
		"One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	errInvalidPartOrder = errorf(http.StatusBadRequest, "InvalidPartOrder",
		"The list of parts was not in ascending order. Parts must be ordered by part number.")
)

// uploadFor returns the upload named by ?uploadId=, which must be for this bucket and key.
func (q *request) uploadFor() (string, *uploadRecord, error) {
	id := q.r.URL.Query().Get("uploadId")
	rec, err := q.s.st.upload(id)
	if errors.Is(err, errNoUpload) || err == nil && (rec.Bucket != q.bucket || rec.Key != q.key) {
		return "", nil, errNoSuchUpload.with("UploadId", id)
	}
	return id, rec, err
}

// createUpload is CreateMultipartUpload. The object's metadata is taken now, as S3 does; the parts and the
// completion carry none.
func (q *request) createUpload() error {
	if err := q.requireBucket(); err != nil {
		return err
	}
	hf, err := headerFieldsFrom(q.r.Header)
	if err != nil {
		return err
	}
	if err := drain(q); err != nil {
		return err
	}
	id := newID()
	if err := q.s.st.createUpload(id, &uploadRecord{Bucket: q.bucket, Key: q.key, Initiated: q.s.now(), headerFields: hf}); err != nil {
		return q.bucketError(err)
	}
	writeXML(q.w, http.StatusOK, struct {
		XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		UploadID string   `xml:"UploadId"`
	}{Bucket: q.bucket, Key: q.key, UploadID: id})
	return nil
}

// partNumber parses a part number; S3 allows 1 to 10,000.
func partNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxParts {
		return 0, errorf(http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive",
			"ArgumentName", "partNumber", "ArgumentValue", s)
	}
	return n, nil
}

// uploadPart is UploadPart, or UploadPartCopy when x-amz-copy-source is given.
func (q *request) uploadPart() error {
	v := q.r.URL.Query()
	n, err := partNumber(v.Get("partNumber"))
	if err != nil {
		return err
	}
	if !v.Has("uploadId") {
		return errorf(http.StatusBadRequest, "InvalidRequest", "partNumber requires uploadId")
	}
	id, _, err := q.uploadFor()
	if err != nil {
		return err
	}
	if q.r.Header.Get("X-Amz-Copy-Source") != "" {
		return q.uploadPartCopy(id, n)
	}
	body, err := q.body(maxPutSize)
	if err != nil {
		return err
	}
	rec, err := q.s.storeBody(body)
	if err != nil {
		return err
	}
	if err := q.s.st.putPart(id, n, &partRecord{Blob: rec.Blob, Size: rec.Size, ETag: rec.ETag, Modified: rec.Modified}); err != nil {
		q.s.st.removeBlobs(rec.Blob)
		if errors.Is(err, errNoUpload) {
			return errNoSuchUpload // aborted or completed meanwhile
		}
		return err
	}
	q.stored(rec.ETag, body.Checksums)
	return nil
}

// uploadPartCopy copies a byte range of an existing object into a part. The AWS CLI uses it to copy objects
// above its multipart threshold.
func (q *request) uploadPartCopy(id string, n int) error {
	sb, sk, err := copySource(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	if err := drain(q); err != nil {
		return err
	}
	src, f, err := q.s.st.open(sb, sk)
	if errors.Is(err, ErrNoSuchBucket) {
		return errNoSuchBucket.with("BucketName", sb)
	}
	if errors.Is(err, ErrNoSuchKey) {
		return errNoSuchKey.with("Key", sk)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := copySourceConditions(q.r.Header, src); err != nil {
		return err
	}
	br := byteRange{0, src.Size - 1}
	if rh := q.r.Header.Get("X-Amz-Copy-Source-Range"); rh != "" {
		var a, b int64
		if _, err := fmt.Sscanf(rh, "bytes=%d-%d", &a, &b); err != nil || a < 0 || b < a || b >= src.Size {
			return errorf(http.StatusBadRequest, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
				"ArgumentName", "x-amz-copy-source-range", "ArgumentValue", rh)
		}
		br = byteRange{a, b}
	}
	if _, err := f.Seek(br.first, io.SeekStart); err != nil {
		return err
	}
	rec, err := q.s.storeBody(&diskReader{io.LimitReader(f, br.last-br.first+1)})
	if err != nil {
		return err
	}
	if err := q.s.st.putPart(id, n, &partRecord{Blob: rec.Blob, Size: rec.Size, ETag: rec.ETag, Modified: rec.Modified}); err != nil {
		q.s.st.removeBlobs(rec.Blob)
		return err
	}
	writeXML(q.w, http.StatusOK, struct {
		XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyPartResult"`
		LastModified string   `xml:"LastModified"`
		ETag         string   `xml:"ETag"`
	}{LastModified: isoTime(rec.Modified), ETag: quote(rec.ETag)})
	return nil
}

// diskReader marks read errors of a local file as this machine's failure, not the client's.
type diskReader struct{ r io.Reader }

func (d *diskReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = &diskError{err}
	}
	return n, err
}

// completeUpload checks the client's part list against the stored parts (ascending numbers, matching ETags,
// every part but the last at least 5 MiB, as S3 requires), assembles the object and commits it under the same
// conditions as a PUT. Parts left out of the list are dropped with the upload.
func (q *request) completeUpload() error {
	id, up, err := q.uploadFor()
	if err != nil {
		return err
	}
	check, err := writeCheck(q.r.Header)
	if err != nil {
		return err
	}
	raw, err := q.readSmallBody()
	if err != nil {
		return err
	}
	var req struct {
		Parts []struct {
			PartNumber int    `xml:"PartNumber"`
			ETag       string `xml:"ETag"`
		} `xml:"Part"`
	}
	if err := xml.Unmarshal(raw, &req); err != nil || len(req.Parts) == 0 {
		return errMalformedXML
	}
	_, stored, err := q.s.st.parts(id)
	if err != nil {
		return err
	}
	byNumber := map[int]partRecord{}
	for _, p := range stored {
		byNumber[p.Number] = p.partRecord
	}
	var chosen []partRecord
	for i, p := range req.Parts {
		if i > 0 && p.PartNumber <= req.Parts[i-1].PartNumber {
			return errInvalidPartOrder
		}
		sp, ok := byNumber[p.PartNumber]
		if !ok || strings.Trim(p.ETag, `"`) != sp.ETag {
			return errInvalidPart.with("UploadId", id, "PartNumber", strconv.Itoa(p.PartNumber))
		}
		chosen = append(chosen, sp)
	}
	for i, p := range chosen[:len(chosen)-1] {
		if p.Size < minPartSize {
			return errorf(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.",
				"ProposedSize", fmt.Sprint(p.Size), "MinSizeAllowed", fmt.Sprint(minPartSize),
				"PartNumber", strconv.Itoa(req.Parts[i].PartNumber), "ETag", quote(p.ETag))
		}
	}
	rec, err := q.s.concatParts(chosen)
	if err != nil {
		return err
	}
	rec.headerFields = up.headerFields
	if err := q.commit(rec, check, EventCompleteMultipartUpload); err != nil {
		return err
	}
	if err := q.s.st.dropUpload(id); err != nil && !errors.Is(err, errNoUpload) {
		q.s.opt.Log.Error("s3local: drop completed upload", "upload", id, "err", err)
	}
	writeXML(q.w, http.StatusOK, struct {
		XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
		Location string   `xml:"Location"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		ETag     string   `xml:"ETag"`
	}{Location: "/" + q.bucket + "/" + uriEncode(q.key, false), Bucket: q.bucket, Key: q.key, ETag: quote(rec.ETag)})
	return nil
}

// concatParts writes the parts one after the other into a new blob. Its ETag is S3's multipart ETag: the MD5
// of the parts' binary MD5s, a dash, and the number of parts.
func (s *Server) concatParts(parts []partRecord) (*objectRecord, error) {
	w, err := s.st.newBlob()
	if err != nil {
		return nil, err
	}
	etags := md5.New()
	sizes := make([]int64, len(parts))
	for i, p := range parts {
		f, err := os.Open(s.st.blobPath(p.Blob))
		if err != nil {
			w.abort()
			return nil, err
		}
		_, err = io.Copy(w, &diskReader{f})
		f.Close()
		if err != nil {
			w.abort()
			return nil, err
		}
		b, _ := hex.DecodeString(p.ETag)
		etags.Write(b)
		sizes[i] = p.Size
	}
	md5hex, size := w.md5Hex(), w.size
	id, err := w.commit()
	if err != nil {
		return nil, err
	}
	return &objectRecord{Blob: id, Size: size, ETag: fmt.Sprintf("%x-%d", etags.Sum(nil), len(parts)), MD5: md5hex,
		Modified: s.now(), PartSizes: sizes}, nil
}

// abortUpload drops an upload and its parts; S3 answers 204.
func (q *request) abortUpload() error {
	id, _, err := q.uploadFor()
	if err != nil {
		return err
	}
	if err := q.s.st.dropUpload(id); err != nil {
		if errors.Is(err, errNoUpload) {
			return errNoSuchUpload
		}
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// listParts is ListParts, paginated by part-number-marker and max-parts.
func (q *request) listParts() error {
	id, up, err := q.uploadFor()
	if err != nil {
		return err
	}
	v := q.r.URL.Query()
	maxParts := 1000
	if m := v.Get("max-parts"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return errorf(http.StatusBadRequest, "InvalidArgument", "Provided max-parts not an integer or within integer range")
		}
		maxParts = min(n, 1000)
	}
	marker, _ := strconv.Atoi(v.Get("part-number-marker"))
	_, parts, err := q.s.st.parts(id)
	if err != nil {
		return err
	}
	type part struct {
		PartNumber   int    `xml:"PartNumber"`
		LastModified string `xml:"LastModified"`
		ETag         string `xml:"ETag"`
		Size         int64  `xml:"Size"`
	}
	res := struct {
		XMLName              xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
		Bucket               string   `xml:"Bucket"`
		Key                  string   `xml:"Key"`
		UploadID             string   `xml:"UploadId"`
		Initiator            owner    `xml:"Initiator"`
		Owner                owner    `xml:"Owner"`
		StorageClass         string   `xml:"StorageClass"`
		PartNumberMarker     int      `xml:"PartNumberMarker"`
		NextPartNumberMarker int      `xml:"NextPartNumberMarker"`
		MaxParts             int      `xml:"MaxParts"`
		IsTruncated          bool     `xml:"IsTruncated"`
		Parts                []part   `xml:"Part"`
	}{Bucket: up.Bucket, Key: up.Key, UploadID: id, Initiator: localOwner, Owner: localOwner, StorageClass: "STANDARD",
		PartNumberMarker: marker, MaxParts: maxParts}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) == maxParts {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, part{p.Number, isoTime(p.Modified), quote(p.ETag), p.Size})
		res.NextPartNumberMarker = p.Number
	}
	writeXML(q.w, http.StatusOK, res)
	return nil
}

// listUploads is ListMultipartUploads, filtered by prefix; it does not paginate (max-uploads caps the answer).
func (q *request) listUploads() error {
	if err := q.requireBucket(); err != nil {
		return err
	}
	ups, err := q.s.st.uploads(q.bucket)
	if err != nil {
		return err
	}
	v := q.r.URL.Query()
	prefix := v.Get("prefix")
	type upload struct {
		Key          string `xml:"Key"`
		UploadID     string `xml:"UploadId"`
		Initiator    owner  `xml:"Initiator"`
		Owner        owner  `xml:"Owner"`
		StorageClass string `xml:"StorageClass"`
		Initiated    string `xml:"Initiated"`
	}
	res := struct {
		XMLName     xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListMultipartUploadsResult"`
		Bucket      string   `xml:"Bucket"`
		Prefix      string   `xml:"Prefix"`
		MaxUploads  int      `xml:"MaxUploads"`
		IsTruncated bool     `xml:"IsTruncated"`
		Uploads     []upload `xml:"Upload"`
	}{Bucket: q.bucket, Prefix: prefix, MaxUploads: 1000}
	for _, u := range ups {
		if !strings.HasPrefix(u.Key, prefix) {
			continue
		}
		if len(res.Uploads) == res.MaxUploads {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, upload{u.Key, u.ID, localOwner, localOwner, "STANDARD", isoTime(u.Initiated)})
	}
	writeXML(q.w, http.StatusOK, res)
	return nil
}
