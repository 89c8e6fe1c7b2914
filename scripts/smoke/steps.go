package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	_ "golang.org/x/image/webp" // decode the CDN's WebP
)

// smoke holds what the steps learn from one another.
type smoke struct {
	opts    options
	api     *apiClient
	photo   photo
	created record
	ready   record
	id      string
}

// Each step returns a short detail for the progress line, or an error.

func (s *smoke) preparePhoto(context.Context) (string, error) {
	var err error
	if s.opts.photo != "" {
		s.photo, err = loadPhoto(s.opts.photo)
	} else {
		s.photo, err = generatePhoto()
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %dx%d %s, %d bytes", s.photo.filename, s.photo.width, s.photo.height, s.photo.contentType, len(s.photo.data)), nil
}

func (s *smoke) upload(ctx context.Context) (string, error) {
	r, err := s.api.create(ctx, s.photo, map[string]string{"caption": "smoke"})
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", s.api.base, err)
	}
	if r.ID == "" {
		return "", fmt.Errorf("POST %s: no id in %s", s.api.base, snippet(r.raw))
	}
	s.id, s.created = r.ID, r

	var problems []error
	if r.Status != "pending" {
		problems = append(problems, fmt.Errorf("status %q, want pending", r.Status))
	}
	// The API picks the staging key's extension, so only our own generated
	// JPEG has a fully predictable key; for a -photo check the shape.
	want := "staging/" + r.ID + ".jpg"
	if !s.photo.generated {
		want = "staging/" + r.ID + path.Ext(r.StagingKey)
	}
	if r.StagingKey != want || path.Ext(r.StagingKey) == "" {
		problems = append(problems, fmt.Errorf("stagingKey %q, want %q", r.StagingKey, want))
	}
	var got []int
	for _, d := range r.Derivatives {
		got = append(got, d.Width)
		if prefix := "derivatives/" + r.ID + "/"; !strings.HasPrefix(d.Key, prefix) {
			problems = append(problems, fmt.Errorf("derivative key %q outside %s", d.Key, prefix))
		}
	}
	if !sameInts(got, s.opts.widths) {
		problems = append(problems, fmt.Errorf("derivative widths %v, want %v (-widths)", got, s.opts.widths))
	}
	if err := errors.Join(problems...); err != nil {
		return "", fmt.Errorf("create response: %w\nbody: %s", err, snippet(r.raw))
	}
	return fmt.Sprintf("201 id=%s staging=%s", r.ID, r.StagingKey), nil
}

// waitReady polls GET /images/{id}. Transient failures (5xx, 429, network)
// are retried until the deadline because a cold start or a throttle is not
// what this step is testing; any other 4xx ends the wait at once.
func (s *smoke) waitReady(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.timeout)
	defer cancel()
	start := time.Now()
	delay := 500 * time.Millisecond
	var last error
	for polls := 1; ; polls++ {
		r, err := s.api.get(ctx, s.id)
		switch {
		case err == nil && r.Status == "ready":
			s.ready = r
			return fmt.Sprintf("ready after %s (%d polls)", since(start), polls), nil
		case err == nil && r.Status == "failed":
			return "", fmt.Errorf("status failed, failureReason %q\nbody: %s", r.Failure, snippet(r.raw))
		case err == nil:
			last = fmt.Errorf("status %q", r.Status)
		case ctx.Err() != nil:
			// The deadline hit mid-request; keep the last real answer, if any.
			if last == nil {
				last = err
			}
		case permanent(err):
			return "", fmt.Errorf("GET %s: %w", s.api.imageURL(s.id), err)
		default:
			last = err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("not ready after %s; last answer: %v", s.opts.timeout, last)
		case <-time.After(delay):
		}
		delay = min(delay*2, 3*time.Second)
	}
}

// verifyReady checks the ready record against what was uploaded, then
// downloads every derivative the way a browser would and checks its size.
func (s *smoke) verifyReady(ctx context.Context) (string, error) {
	r := s.ready
	var problems []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Errorf(format, args...))
		}
	}

	// EXIF orientation 5-8 swaps width and height, so a -photo may come back
	// rotated; the generated JPEG has no EXIF and must come back as drawn.
	rotated := r.Width == s.photo.height && r.Height == s.photo.width
	check(r.Width == s.photo.width && r.Height == s.photo.height || rotated && !s.photo.generated,
		"record is %dx%d, uploaded %dx%d", r.Width, r.Height, s.photo.width, s.photo.height)
	check(r.Filename == s.photo.filename, "filename %q, want %q", r.Filename, s.photo.filename)
	check(r.ContentType == s.photo.contentType, "contentType %q, want %q", r.ContentType, s.photo.contentType)
	check(r.Bytes == int64(len(s.photo.data)), "bytes %d, want %d", r.Bytes, len(s.photo.data))
	check(fieldIs(r.Fields, "caption", "smoke"), "fields %v, want caption=smoke", r.Fields)
	check(r.CreatedAt != "" && r.UpdatedAt != "", "createdAt/updatedAt missing")
	check(len(r.Derivatives) == len(s.opts.widths), "%d derivatives, want %d", len(r.Derivatives), len(s.opts.widths))
	if r.Width <= 0 || r.Height <= 0 {
		return "", errors.Join(append(problems, errors.New("record has no dimensions to check derivatives against"))...)
	}

	var sizes []string
	for _, d := range r.Derivatives {
		// The key is named after the requested width; the image itself is
		// never wider than the source (no upscaling).
		requested, ok := s.requestedWidth(d.Key)
		if !ok {
			problems = append(problems, fmt.Errorf("%s: key not named after a configured width", d.Key))
			continue
		}
		if d.URL == "" {
			problems = append(problems, fmt.Errorf("%s: no url", d.Key))
			continue
		}
		data, err := s.api.fetch(ctx, d.URL)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: GET presigned url: %w", d.Key, err))
			continue
		}
		img, format, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: decode: %w", d.Key, err))
			continue
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		wantW := min(requested, r.Width)
		wantH := (wantW*r.Height + r.Width/2) / r.Width
		check(w == wantW, "%s: width %d, want %d", d.Key, w, wantW)
		check(abs(h-wantH) <= 1, "%s: height %d, want %d±1 to keep %d:%d", d.Key, h, wantH, r.Width, r.Height)
		check(d.Width == w && d.Height == h, "%s: record says %dx%d, image is %dx%d", d.Key, d.Width, d.Height, w, h)
		check(d.Bytes == 0 || d.Bytes == int64(len(data)), "%s: record says %d bytes, downloaded %d", d.Key, d.Bytes, len(data))
		check(d.ContentType == "image/"+format, "%s: contentType %q but the image is %s", d.Key, d.ContentType, format)
		sizes = append(sizes, fmt.Sprintf("%dx%d", w, h))
	}
	if err := errors.Join(problems...); err != nil {
		return "", err
	}
	return strings.Join(sizes, " "), nil
}

// requestedWidth reads the width from a key "derivatives/<id>/<width>.<ext>"
// and reports whether it is one of the configured widths.
func (s *smoke) requestedWidth(key string) (int, bool) {
	name, ok := strings.CutPrefix(key, "derivatives/"+s.id+"/")
	if !ok {
		return 0, false
	}
	name, _, _ = strings.Cut(name, ".")
	for _, w := range s.opts.widths {
		if name == fmt.Sprint(w) {
			return w, true
		}
	}
	return 0, false
}

func (s *smoke) checkBucket(ctx context.Context) (string, error) {
	if s.opts.bucket == "" {
		return "skipped (no -bucket)", nil
	}
	b, err := newBucketChecker(ctx, s.opts)
	if err != nil {
		return "", err
	}
	if err := b.waitGone(ctx, s.created.StagingKey); err != nil {
		return "", err
	}
	detail := s.created.StagingKey + " gone"
	if s.opts.originals {
		key := "originals/" + s.id + path.Ext(s.created.StagingKey)
		if err := b.exists(ctx, key); err != nil {
			return "", err
		}
		detail += ", " + key + " present"
	}
	return detail, nil
}

func (s *smoke) deleteImage(ctx context.Context) (string, error) {
	if !s.opts.cleanup {
		return "skipped (-cleanup=false)", nil
	}
	if err := s.api.delete(ctx, s.id); err != nil {
		return "", fmt.Errorf("DELETE %s: %w", s.api.imageURL(s.id), err)
	}
	return "204 deleted " + s.id, nil
}

// permanent reports whether a failed poll is worth giving up on at once: a
// 4xx other than 429 (throttled) will not change by asking again.
func permanent(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.got >= 400 && se.got < 500 && se.got != http.StatusTooManyRequests
}

// fieldIs accepts a form field stored as a string or as a list of strings.
func fieldIs(fields map[string]any, name, want string) bool {
	switch v := fields[name].(type) {
	case string:
		return v == want
	case []any:
		return len(v) == 1 && v[0] == want
	}
	return false
}

func sameInts(a, b []int) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// checkCDN renders the image on demand through the CDN, then asks again and expects the CDN's cache to answer.
func (s *smoke) checkCDN(ctx context.Context) (string, error) {
	if s.opts.cdn == "" {
		return "skipped (no -cdn)", nil
	}
	url := s.opts.cdn + "/" + s.id + ".webp?d=320x240"
	var xcache []string
	for range 2 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", fmt.Errorf("GET %s: %w", url, err)
		}
		var body bytes.Buffer
		_, err = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil {
			return "", fmt.Errorf("GET %s: %w", url, err)
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/webp" {
			return "", fmt.Errorf("GET %s: %d %s: %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), snippet(body.Bytes()))
		}
		cfg, format, err := image.DecodeConfig(&body)
		if err != nil || format != "webp" || cfg.Width != 320 || cfg.Height != 240 {
			return "", fmt.Errorf("GET %s: decoded %s %dx%d (%v), want webp 320x240", url, format, cfg.Width, cfg.Height, err)
		}
		xcache = append(xcache, resp.Header.Get("X-Cache"))
	}
	if !strings.HasPrefix(xcache[1], "Hit") {
		return "", fmt.Errorf("GET %s twice: X-Cache %q then %q, want a Hit the second time", url, xcache[0], xcache[1])
	}
	return fmt.Sprintf("320x240 WebP; X-Cache %q then %q", xcache[0], xcache[1]), nil
}
