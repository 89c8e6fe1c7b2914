package s3local

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// opaqueKeys are keys a file-path backend would alias, clean, truncate or refuse. Each must be its own object.
var opaqueKeys = map[string]string{
	"traversal":        "staging/../originals/x.jpg",
	"target":           "originals/x.jpg",
	"dot segment":      "originals/./x.jpg",
	"double slash":     "originals//x.jpg",
	"leading slash":    "/originals/x.jpg",
	"folder marker":    "staging/folder/",
	"folder file":      "staging/folder",
	"dot dot alone":    "..",
	"dot":              ".",
	"backslash":        `originals\x.jpg`,
	"query chars":      "a?b=c&d#e",
	"percent and plus": "100% + more.jpg",
	"unicode":          "ünïcødé/日本/🙂.png",
	"max ascii":        strings.Repeat("k", 1024),
	"max multibyte":    strings.Repeat("é", 512), // 1,024 bytes
	"long segments":    strings.Repeat("d/", 511) + "xx",
	"control chars":    "tab\there\x01",
}

func TestOpaqueKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for name, key := range opaqueKeys {
		f.put(key, []byte("content of "+name))
	}
	for name, key := range opaqueKeys {
		t.Run(name, func(t *testing.T) {
			b, code := f.get(key)
			if code != "" || string(b) != "content of "+name {
				t.Fatalf("get %q = %q, %s; want its own content", key, b, code)
			}
		})
	}
	// Deleting the traversal key must leave the object it would alias on a file system.
	if _, err := f.client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String(opaqueKeys["traversal"])}); err != nil {
		t.Fatal(err)
	}
	if b, code := f.get(opaqueKeys["target"]); code != "" || string(b) != "content of target" {
		t.Fatalf("after deleting the traversal key, target = %q, %s", b, code)
	}
	if _, code := f.get(opaqueKeys["traversal"]); code != "NoSuchKey" {
		t.Fatalf("deleted traversal key: %s, want NoSuchKey", code)
	}
	// Every remaining key is listed exactly once, byte for byte.
	var want []string
	for name, key := range opaqueKeys {
		if name != "traversal" {
			want = append(want, key)
		}
	}
	slices.Sort(want)
	if got := listAll(t, f.client(), "", 1000, true); !slices.Equal(got, want) {
		t.Fatalf("listing:\n got %q\nwant %q", got, want)
	}
	// Without encoding-type=url, XML cannot carry the control character; every other key comes back as is.
	want = slices.DeleteFunc(want, func(k string) bool { return k == opaqueKeys["control chars"] })
	got := slices.DeleteFunc(listAll(t, f.client(), "", 1000, false), func(k string) bool { return strings.HasPrefix(k, "tab\t") })
	if !slices.Equal(got, want) {
		t.Fatalf("listing without encoding:\n got %q\nwant %q", got, want)
	}
}

// listAll pages through ListObjectsV2 and returns every key, asking for (and undoing) encoding-type=url if
// encode, as the AWS CLI does.
func listAll(t *testing.T, c *s3.Client, prefix string, pageSize int32, encode bool) []string {
	t.Helper()
	var keys []string
	in := &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(pageSize)}
	if encode {
		in.EncodingType = types.EncodingTypeUrl
	}
	p := s3.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			k := *o.Key
			if encode {
				var err error
				if k, err = url.QueryUnescape(k); err != nil {
					t.Fatal(err)
				}
			}
			keys = append(keys, k)
		}
	}
	return keys
}

func TestFolderMarkerIsAZeroByteObject(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.put("staging/folder/", nil)
	f.put("staging/folder/a.jpg", []byte("a"))
	h, err := f.client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/folder/")})
	if err != nil || aws.ToInt64(h.ContentLength) != 0 {
		t.Fatalf("head folder marker: %v, length %v", err, h)
	}
	if _, code := f.get("staging/folder"); code != "NoSuchKey" {
		t.Fatalf("staging/folder (no slash) = %s, want NoSuchKey", code)
	}
	// Deleting the marker removes only it.
	if _, err := f.client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/folder/")}); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, f.client(), "staging/", 1000, false); !slices.Equal(got, []string{"staging/folder/a.jpg"}) {
		t.Fatalf("after deleting the marker: %q", got)
	}
}

func TestKeyTooLong(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for name, key := range map[string]string{
		"1025 ascii":     strings.Repeat("k", 1025),
		"1025 multibyte": strings.Repeat("é", 512) + "x",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key),
				Body: strings.NewReader("x")})
			if errCode(err) != "KeyTooLongError" || httpStatus(err) != http.StatusBadRequest {
				t.Fatalf("put: %v (status %d), want KeyTooLongError 400", err, httpStatus(err))
			}
		})
	}
	// Nothing was stranded: the listing is empty and still works.
	if got := listAll(t, f.client(), "", 1000, false); len(got) != 0 {
		t.Fatalf("listing after refused puts: %q", got)
	}
}

func TestListObjectsV2(t *testing.T) {
	f := newFixture(t)
	keys := []string{"a", "a/", "a//d", "a/b", "a/b/c", "a/c", "b", "b/x/y", "c/"} // byte order: '/' < 'b'

	for _, k := range keys {
		f.put(k, []byte(k))
	}
	type result struct{ keys, prefixes []string }
	cases := map[string]struct {
		in   s3.ListObjectsV2Input
		want result
	}{
		"all":                {s3.ListObjectsV2Input{}, result{keys: keys}},
		"prefix":             {s3.ListObjectsV2Input{Prefix: aws.String("a/")}, result{keys: []string{"a/", "a//d", "a/b", "a/b/c", "a/c"}}},
		"delimiter":          {s3.ListObjectsV2Input{Delimiter: aws.String("/")}, result{keys: []string{"a", "b"}, prefixes: []string{"a/", "b/", "c/"}}},
		"prefix + delimiter": {s3.ListObjectsV2Input{Prefix: aws.String("a/"), Delimiter: aws.String("/")}, result{keys: []string{"a/", "a/b", "a/c"}, prefixes: []string{"a//", "a/b/"}}},
		"start-after":        {s3.ListObjectsV2Input{StartAfter: aws.String("a/b")}, result{keys: []string{"a/b/c", "a/c", "b", "b/x/y", "c/"}}},
		"start-after + delimiter": {s3.ListObjectsV2Input{StartAfter: aws.String("a/c"), Delimiter: aws.String("/")},
			result{keys: []string{"b"}, prefixes: []string{"b/", "c/"}}},
		"no match":             {s3.ListObjectsV2Input{Prefix: aws.String("zzz")}, result{}},
		"multi-char delimiter": {s3.ListObjectsV2Input{Delimiter: aws.String("//")}, result{keys: []string{"a", "a/", "a/b", "a/b/c", "a/c", "b", "b/x/y", "c/"}, prefixes: []string{"a//"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// Every page size must give the same listing, pages concatenated.
			for _, size := range []int32{1000, 1, 2, 3} {
				in := tc.in
				in.Bucket, in.MaxKeys = aws.String(testBucket), aws.Int32(size)
				var got result
				p := s3.NewListObjectsV2Paginator(f.client(), &in)
				for p.HasMorePages() {
					page, err := p.NextPage(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if n := len(page.Contents) + len(page.CommonPrefixes); n > int(size) || int(aws.ToInt32(page.KeyCount)) != n {
						t.Fatalf("page of %d items (KeyCount %d) with max-keys %d", n, aws.ToInt32(page.KeyCount), size)
					}
					for _, o := range page.Contents {
						got.keys = append(got.keys, *o.Key)
					}
					for _, cp := range page.CommonPrefixes {
						got.prefixes = append(got.prefixes, *cp.Prefix)
					}
				}
				if !slices.Equal(got.keys, tc.want.keys) || !slices.Equal(got.prefixes, tc.want.prefixes) {
					t.Fatalf("max-keys %d: keys %q prefixes %q, want %q %q", size, got.keys, got.prefixes, tc.want.keys, tc.want.prefixes)
				}
			}
		})
	}
}

func TestListObjectsV2BadToken(t *testing.T) {
	f := newFixture(t)
	_, err := f.client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(testBucket),
		ContinuationToken: aws.String("%%%not-base64")})
	if errCode(err) != "InvalidArgument" {
		t.Fatalf("bad token: %v", err)
	}
}

func TestListObjectsV1(t *testing.T) {
	f := newFixture(t)
	for _, k := range []string{"p/1", "p/2/x", "p/2/y", "p/3", "q"} {
		f.put(k, []byte(k))
	}
	var keys, prefixes []string
	marker := ""
	for range 10 {
		out, err := f.client().ListObjects(context.Background(), &s3.ListObjectsInput{Bucket: aws.String(testBucket),
			Delimiter: aws.String("/"), Prefix: aws.String("p/"), Marker: aws.String(marker), MaxKeys: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			keys = append(keys, *o.Key)
		}
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, *p.Prefix)
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = aws.ToString(out.NextMarker)
	}
	if !slices.Equal(keys, []string{"p/1", "p/3"}) || !slices.Equal(prefixes, []string{"p/2/"}) {
		t.Fatalf("v1 pages: keys %q prefixes %q", keys, prefixes)
	}
}

// TestListURLEncoding checks encoding-type=url, which the AWS CLI always asks for: keys XML cannot carry come
// back intact once decoded.
func TestListURLEncoding(t *testing.T) {
	f := newFixture(t)
	key := "dir/ctl\x01 and space+plus%.txt"
	f.put(key, []byte("x"))
	req, err := http.NewRequest(http.MethodGet, f.hs.URL+"/"+testBucket+"?list-type=2&encoding-type=url", nil)
	if err != nil {
		t.Fatal(err)
	}
	signRequest(t, req, nil, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := "<Key>dir/ctl%01+and+space%2Bplus%25.txt</Key>"
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(want)) {
		t.Fatalf("status %d, body %s; want %s", resp.StatusCode, body, want)
	}
	if dec, err := url.QueryUnescape("dir/ctl%01+and+space%2Bplus%25.txt"); err != nil || dec != key {
		t.Fatalf("round trip: %q %v", dec, err)
	}
}
