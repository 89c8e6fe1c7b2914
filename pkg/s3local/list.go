package s3local

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

var localOwner = owner{ID: "s3local", DisplayName: "s3local"}

type listEntry struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner,omitempty"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listing is one page of a bucket listing: keys and common prefixes after a position, in byte order.
type listing struct {
	entries   []listEntry
	prefixes  []commonPrefix
	truncated bool
	last      string // the last key or common prefix returned, where the next page starts after
}

// list returns up to max keys and common prefixes (together) of bucket that start with prefix and sort after
// `after`. With a delimiter, keys sharing the text up to the first delimiter after the prefix roll up into one
// common prefix; a common prefix at or before `after` was on an earlier page and is skipped whole.
func (st *store) list(bucket, prefix, delimiter, after string, max int, withOwner bool) (*listing, error) {
	out := &listing{}
	from := prefix
	if after != "" && after >= from {
		from = after + "\x00" // the smallest string greater than after
	}
	if max == 0 {
		return out, st.scan(bucket, []byte(from), func([]byte, *objectRecord) (bool, []byte) { return false, nil })
	}
	err := st.scan(bucket, []byte(from), func(k []byte, rec *objectRecord) (bool, []byte) {
		key := string(k)
		if !strings.HasPrefix(key, prefix) {
			return false, nil // keys are sorted: nothing further has the prefix
		}
		item, isPrefix := key, false
		if delimiter != "" {
			if i := strings.Index(key[len(prefix):], delimiter); i >= 0 {
				item, isPrefix = key[:len(prefix)+i+len(delimiter)], true
			}
		}
		next := successor(item)
		if isPrefix && next == nil {
			return false, nil // a delimiter ending in 0xFF bytes: nothing can sort after its prefix
		}
		if isPrefix && item <= after {
			return true, next
		}
		if len(out.entries)+len(out.prefixes) == max {
			out.truncated = true
			return false, nil
		}
		out.last = item
		if isPrefix {
			out.prefixes = append(out.prefixes, commonPrefix{item})
			return true, next
		}
		e := listEntry{Key: key, LastModified: isoTime(rec.Modified), ETag: quote(rec.ETag), Size: rec.Size, StorageClass: "STANDARD"}
		if withOwner {
			e.Owner = &localOwner
		}
		out.entries = append(out.entries, e)
		return true, nil
	})
	return out, err
}

// successor is the smallest byte string greater than every string starting with p. p ends with a delimiter,
// which is valid UTF-8, so its last byte is below 0xFF and can be incremented.
func successor(p string) []byte {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return b[:i+1]
		}
	}
	return nil
}

// listParams are the parameters common to both listing versions.
func (q *request) listParams() (prefix, delimiter string, max int, encode func(string) string, err error) {
	v := q.r.URL.Query()
	prefix, delimiter, max = v.Get("prefix"), v.Get("delimiter"), 1000
	if m := v.Get("max-keys"); m != "" {
		n, perr := strconv.Atoi(m)
		if perr != nil || n < 0 {
			return "", "", 0, nil, errorf(http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range",
				"ArgumentName", "max-keys", "ArgumentValue", m)
		}
		max = min(n, 1000)
	}
	encode = func(s string) string { return s }
	switch et := v.Get("encoding-type"); et {
	case "":
	case "url":
		encode = s3URLEncode
	default:
		return "", "", 0, nil, errorf(http.StatusBadRequest, "InvalidArgument", "Invalid Encoding Method specified in Request",
			"ArgumentName", "encoding-type", "ArgumentValue", et)
	}
	return prefix, delimiter, max, encode, nil
}

// s3URLEncode is the encoding S3 applies to keys with encoding-type=url, so that keys with characters XML 1.0
// cannot carry survive: form encoding (space as '+'), with '/' left as is.
func s3URLEncode(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '/' || c == '*':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexdig[c>>4])
			b.WriteByte(hexdig[c&15])
		}
	}
	return b.String()
}

// listObjects is ListObjects (v1, paginated by marker) or, with list-type=2, ListObjectsV2.
func (q *request) listObjects() error {
	v := q.r.URL.Query()
	prefix, delimiter, max, enc, err := q.listParams()
	if err != nil {
		return err
	}
	if v.Get("list-type") == "2" {
		return q.listObjectsV2(prefix, delimiter, max, enc)
	}
	marker := v.Get("marker")
	l, err := q.s.st.list(q.bucket, prefix, delimiter, marker, max, true)
	if err != nil {
		return q.bucketError(err)
	}
	res := struct {
		XMLName        xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
		Name           string         `xml:"Name"`
		Prefix         string         `xml:"Prefix"`
		Marker         string         `xml:"Marker"`
		NextMarker     string         `xml:"NextMarker,omitempty"`
		MaxKeys        int            `xml:"MaxKeys"`
		Delimiter      string         `xml:"Delimiter,omitempty"`
		IsTruncated    bool           `xml:"IsTruncated"`
		EncodingType   string         `xml:"EncodingType,omitempty"`
		Contents       []listEntry    `xml:"Contents"`
		CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
	}{Name: q.bucket, Prefix: enc(prefix), Marker: enc(marker), MaxKeys: max, Delimiter: enc(delimiter),
		IsTruncated: l.truncated, EncodingType: v.Get("encoding-type")}
	// S3 gives NextMarker only with a delimiter; without one, clients continue from the last key.
	if l.truncated && delimiter != "" {
		res.NextMarker = enc(l.last)
	}
	res.Contents, res.CommonPrefixes = encodeEntries(l, enc)
	writeXML(q.w, http.StatusOK, res)
	return nil
}

// encodeEntries applies encoding-type=url (or nothing) to the keys and prefixes of a page.
func encodeEntries(l *listing, enc func(string) string) ([]listEntry, []commonPrefix) {
	for i := range l.entries {
		l.entries[i].Key = enc(l.entries[i].Key)
	}
	for i := range l.prefixes {
		l.prefixes[i].Prefix = enc(l.prefixes[i].Prefix)
	}
	return l.entries, l.prefixes
}

// listObjectsV2: the continuation token is the base64 of the last key or common prefix returned, which the
// next page starts after; it wins over start-after, as in S3.
func (q *request) listObjectsV2(prefix, delimiter string, max int, enc func(string) string) error {
	v := q.r.URL.Query()
	after := v.Get("start-after")
	token := v.Get("continuation-token")
	if v.Has("continuation-token") {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			return errorf(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect",
				"ArgumentName", "continuation-token")
		}
		after = string(b)
	}
	l, err := q.s.st.list(q.bucket, prefix, delimiter, after, max, v.Get("fetch-owner") == "true")
	if err != nil {
		return q.bucketError(err)
	}
	res := struct {
		XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
		Name                  string         `xml:"Name"`
		Prefix                string         `xml:"Prefix"`
		Delimiter             string         `xml:"Delimiter,omitempty"`
		MaxKeys               int            `xml:"MaxKeys"`
		KeyCount              int            `xml:"KeyCount"`
		IsTruncated           bool           `xml:"IsTruncated"`
		EncodingType          string         `xml:"EncodingType,omitempty"`
		ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
		NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
		StartAfter            string         `xml:"StartAfter,omitempty"`
		Contents              []listEntry    `xml:"Contents"`
		CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
	}{Name: q.bucket, Prefix: enc(prefix), Delimiter: enc(delimiter), MaxKeys: max,
		KeyCount: len(l.entries) + len(l.prefixes), IsTruncated: l.truncated, EncodingType: v.Get("encoding-type"),
		ContinuationToken: token, StartAfter: enc(v.Get("start-after"))}
	if l.truncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(l.last))
	}
	res.Contents, res.CommonPrefixes = encodeEntries(l, enc)
	writeXML(q.w, http.StatusOK, res)
	return nil
}

// bucketError names the bucket in NoSuchBucket, as S3 does.
func (q *request) bucketError(err error) error {
	if e := asS3Error(err); e == errNoSuchBucket {
		return errNoSuchBucket.with("BucketName", q.bucket)
	}
	return err
}
