package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
)

// record is an image as the API returns it. The create response fills only
// ID, Status, StagingKey and the derivatives' Width and Key.
type record struct {
	ID          string          `json:"id"`
	Status      string          `json:"status"`
	StagingKey  string          `json:"stagingKey"`
	Filename    string          `json:"filename"`
	ContentType string          `json:"contentType"`
	Bytes       int64           `json:"bytes"`
	Width       int             `json:"width"`
	Height      int             `json:"height"`
	Fields      map[string]any  `json:"fields"`
	Failure     string          `json:"failureReason"`
	Derivatives []derivative    `json:"derivatives"`
	CreatedAt   string          `json:"createdAt"`
	UpdatedAt   string          `json:"updatedAt"`
	raw         json.RawMessage // the body as received, shown when a check fails
}

// derivative is one resized rendition of a record.
type derivative struct {
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
	Key         string `json:"key"`
	ContentType string `json:"contentType"`
	URL         string `json:"url"`
}

// apiClient talks to the image collection at base (".../images").
type apiClient struct {
	base   string
	apiKey string
	token  string // a bearer token (an ID token from the stack's user pool)
	http   *http.Client
}

// Response bodies are read whole; these caps keep a misbehaving endpoint from
// exhausting memory. Derivatives are at most a few MB at the default widths.
const (
	maxJSONBytes  = 1 << 20
	maxImageBytes = 64 << 20
)

func (c *apiClient) imageURL(id string) string { return c.base + "/" + url.PathEscape(id) }

// create posts p as multipart/form-data the way a browser form would: a text
// field, then the file part with its own Content-Type.
func (c *apiClient) create(ctx context.Context, p photo, fields map[string]string) (record, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			return record{}, err
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": p.filename}))
	h.Set("Content-Type", p.contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		return record{}, err
	}
	if _, err := part.Write(p.data); err != nil {
		return record{}, err
	}
	if err := mw.Close(); err != nil {
		return record{}, err
	}
	return c.doJSON(ctx, http.MethodPost, c.base, &body, mw.FormDataContentType(), http.StatusCreated)
}

func (c *apiClient) get(ctx context.Context, id string) (record, error) {
	return c.doJSON(ctx, http.MethodGet, c.imageURL(id), nil, "", http.StatusOK)
}

func (c *apiClient) delete(ctx context.Context, id string) error {
	status, body, err := c.do(ctx, http.MethodDelete, c.imageURL(id), nil, "", maxJSONBytes, true)
	if err != nil {
		return err
	}
	if status != http.StatusNoContent {
		return unexpectedStatus(status, http.StatusNoContent, body)
	}
	return nil
}

// fetch downloads a presigned URL with a bare GET: no API key, no AWS
// credentials, exactly what a browser would send.
func (c *apiClient) fetch(ctx context.Context, rawURL string) ([]byte, error) {
	status, body, err := c.do(ctx, http.MethodGet, rawURL, nil, "", maxImageBytes, false)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, unexpectedStatus(status, http.StatusOK, body)
	}
	return body, nil
}

func (c *apiClient) doJSON(ctx context.Context, method, u string, body io.Reader, contentType string, want int) (record, error) {
	status, data, err := c.do(ctx, method, u, body, contentType, maxJSONBytes, true)
	if err != nil {
		return record{}, err
	}
	if status != want {
		return record{}, unexpectedStatus(status, want, data)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return record{}, fmt.Errorf("%s %s: response is not an image record: %w: %s", method, u, err, snippet(data))
	}
	r.raw = data
	return r, nil
}

// do sends one request and returns the status and body. api says whether the
// request goes to the API (and so carries the API key).
func (c *apiClient) do(ctx context.Context, method, u string, body io.Reader, contentType string, limit int64, api bool) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if api {
		req.Header.Set("Accept", "application/json")
		if c.apiKey != "" {
			req.Header.Set("x-api-key", c.apiKey)
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// Callers already name the method and URL; keep just the cause.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: read body: %w", method, u, err)
	}
	if int64(len(data)) > limit {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: body larger than %d bytes", method, u, limit)
	}
	return resp.StatusCode, data, nil
}

// statusError is an HTTP answer other than the one a step expected.
type statusError struct {
	got, want int
	detail    string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d, want %d: %s", e.got, e.want, e.detail)
}

// unexpectedStatus shows the API's {"error":{"code","message"}} when the body
// has that shape, and otherwise the start of the body (API Gateway's own
// errors look like {"message":"..."}; S3's are XML).
func unexpectedStatus(got, want int, body []byte) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return &statusError{got, want, e.Error.Code + ": " + e.Error.Message}
	}
	return &statusError{got, want, snippet(body)}
}

func snippet(b []byte) string {
	const n = 300
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
