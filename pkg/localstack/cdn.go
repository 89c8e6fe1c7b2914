package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/imgpipe/imgpipe/pkg/imgurl"
)

// cdnDefaultTTL is CloudFront's default TTL (one day), for a response that names no max-age.
const cdnDefaultTTL = 24 * time.Hour

// cdnMaxObject is the largest response the local CDN caches, as CloudFront caches files of up to 50 GB but a laptop
// should not: larger ones are passed through.
const cdnMaxObject = 32 << 20

// cdn is the local CloudFront: it applies the CloudFront Function's normalisation (package imgurl, the same rules
// as deploy/cloudfront/normalize.js) to each viewer request, answers from its cache by the normalised key while the
// response's Cache-Control allows, and on a miss invokes the serve function's Lambda handler with the Function URL
// event CloudFront's origin request becomes, reading its streamed response. X-Cache says "Hit from cloudfront" or
// "Miss from cloudfront", as CloudFront does.
type cdn struct {
	handler  func(context.Context, json.RawMessage) (any, error)
	domain   string // the emulated Function URL's domain
	maxBytes int    // the cache's capacity

	mu    sync.Mutex
	items map[string]*cdnEntry
	order []string // insertion order, for eviction
	size  int
	now   func() time.Time
}

type cdnEntry struct {
	status  int
	header  http.Header
	body    []byte
	stored  time.Time
	expires time.Time
}

func newCDN(handler func(context.Context, json.RawMessage) (any, error), region string, maxBytes int) *cdn {
	return &cdn{handler: handler, domain: "local0serve0url.lambda-url." + region + ".on.aws", maxBytes: maxBytes,
		items: map[string]*cdnEntry{}, now: time.Now}
}

func (c *cdn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// The distribution allows GET and HEAD only (AllowedMethods in the template).
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Cache", "Error from cloudfront")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"This distribution is not configured to allow the HTTP request method that was used for this request."}`))
		return
	}
	path := r.URL.EscapedPath()
	query := imgurl.Normalize(path, r.URL.Query(), strings.Join(r.Header.Values("Accept"), ","))
	key := path + "?" + query
	now := c.now()
	c.mu.Lock()
	e, hit := c.items[key]
	if hit && !now.Before(e.expires) {
		c.removeLocked(key)
		hit = false
	}
	c.mu.Unlock()
	if hit {
		c.write(w, r, e, "Hit from cloudfront", now)
		return
	}
	e, err := c.fetch(r, path, query)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Cache", "Error from cloudfront")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(`{"message":"502 ERROR: the request could not be satisfied (origin error)"}`))
		return
	}
	e.stored = now
	if ttl, ok := cacheTTL(e.header.Get("Cache-Control")); ok && len(e.body) <= cdnMaxObject && e.status != http.StatusNotModified {
		e.expires = now.Add(ttl)
		c.store(key, e)
	}
	c.write(w, r, e, "Miss from cloudfront", now)
}

// write answers from an entry, with a 304 when the viewer already has it, as CloudFront does.
func (c *cdn) write(w http.ResponseWriter, r *http.Request, e *cdnEntry, xcache string, now time.Time) {
	for k, vs := range e.header {
		w.Header()[k] = vs
	}
	w.Header().Set("X-Cache", xcache)
	w.Header().Set("Via", "1.1 local.cloudfront.net (CloudFront)")
	if strings.HasPrefix(xcache, "Hit") {
		w.Header().Set("Age", strconv.Itoa(int(now.Sub(e.stored).Seconds())))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && e.status == http.StatusOK && etagListed(inm, e.header.Get("ETag")) {
		w.Header().Del("Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(e.body)))
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		w.Write(e.body)
	}
}

// fetch is the origin request: the viewer's request with the normalised query and the headers the origin request
// policy forwards (none that vary the image: the format is already in the query), as a Function URL event.
func (c *cdn) fetch(r *http.Request, path, query string) (*cdnEntry, error) {
	raw, err := c.event(r, path, query)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second) // CloudFront's default origin response timeout
	defer cancel()
	out, err := c.handler(ctx, raw)
	if err != nil {
		return nil, err
	}
	resp, ok := out.(*events.LambdaFunctionURLStreamingResponse)
	if !ok || resp == nil {
		return nil, fmt.Errorf("the serve handler answered %T, not a streaming response", out)
	}
	body, err := io.ReadAll(resp.Body)
	if c, ok := resp.Body.(io.Closer); ok {
		c.Close()
	}
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	return &cdnEntry{status: status, header: h, body: body}, nil
}

// event builds the Function URL event for an origin GET.
func (c *cdn) event(r *http.Request, path, query string) ([]byte, error) {
	now := time.Now().UTC()
	headers := map[string]string{"host": c.domain, "x-forwarded-proto": "https", "x-forwarded-for": sourceIP(r),
		"user-agent": "Amazon CloudFront", "via": "1.1 local.cloudfront.net (CloudFront)"}
	var params map[string]string
	if q, err := url.ParseQuery(query); err == nil && len(q) > 0 {
		params = map[string]string{}
		for k, vs := range q {
			params[k] = strings.Join(vs, ",")
		}
	}
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		unescaped = path
	}
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
		"headers": headers, "queryStringParameters": params, "isBase64Encoded": false,
		"requestContext": map[string]any{
			"accountId": "anonymous", "apiId": "local0serve0url", "domainName": c.domain, "domainPrefix": "local0serve0url",
			"requestId": uuid.NewString(), "routeKey": "$default", "stage": "$default",
			"time": now.Format("02/Jan/2006:15:04:05 -0700"), "timeEpoch": now.UnixMilli(),
			"http": map[string]any{"method": http.MethodGet, "path": unescaped, "protocol": "HTTP/1.1",
				"sourceIp": sourceIP(r), "userAgent": "Amazon CloudFront"},
		},
	}
	return json.Marshal(ev)
}

// cacheTTL reads how long a shared cache may keep a response: s-maxage, else max-age, else CloudFront's default;
// never for no-store, no-cache or private.
func cacheTTL(cc string) (time.Duration, bool) {
	ttl, set := cdnDefaultTTL, false
	for _, d := range strings.Split(cc, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(strings.ToLower(d)), "=")
		switch name {
		case "no-store", "no-cache", "private":
			return 0, false
		case "s-maxage", "max-age":
			n, err := strconv.Atoi(strings.Trim(val, `"`))
			if err != nil || n < 0 {
				return 0, false
			}
			if name == "s-maxage" || !set {
				ttl = time.Duration(n) * time.Second
			}
			set = set || name == "s-maxage"
		}
	}
	return ttl, ttl > 0
}

// etagListed reports whether an If-None-Match header lists etag.
func etagListed(header, etag string) bool {
	if etag == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		if t = strings.TrimSpace(t); t == "*" || t == etag {
			return true
		}
	}
	return false
}

func (c *cdn) store(key string, e *cdnEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(key)
	for c.size+len(e.body) > c.maxBytes && len(c.order) > 0 {
		c.removeLocked(c.order[0])
	}
	c.items[key] = e
	c.order = append(c.order, key)
	c.size += len(e.body)
}

func (c *cdn) removeLocked(key string) {
	e, ok := c.items[key]
	if !ok {
		return
	}
	delete(c.items, key)
	c.size -= len(e.body)
	for i, k := range c.order {
		if k == key {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}
