package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// env reads variables through getenv and remembers every problem.
type env struct {
	getenv func(string) string
	errs   []error
}

func (e *env) str(name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

func (e *env) int64(name string, def, min, max int64) int64 {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < min || n > max {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want an integer from %d to %d", name, v, min, max))
		return def
	}
	return n
}

func (e *env) bool(name string, def bool) bool {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want true or false", name, v))
		return def
	}
	return b
}

func (e *env) duration(name string, def time.Duration) time.Duration {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a positive duration such as 1h", name, v))
		return def
	}
	return d
}

// widths parses a comma-separated list of distinct positive widths.
func (e *env) widths(name, def string) []int {
	raw := e.str(name, def)
	var out []int
	seen := map[int]bool{}
	for _, f := range strings.Split(raw, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 16384 || seen[n] {
			e.errs = append(e.errs, fmt.Errorf("%s=%q: want distinct widths from 1 to 16384, comma-separated", name, raw))
			return nil
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}

func (e *env) list(name string) []string {
	var out []string
	for _, f := range strings.Split(e.getenv(name), ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// authMode reads AUTH_MODE (name): cognito (the default), jwt or none.
func (e *env) authMode(name string) string {
	m := strings.ToLower(e.str(name, "cognito"))
	if m != "cognito" && m != "jwt" && m != "none" {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want cognito, jwt or none", name, m))
	}
	return m
}

// sizes parses a comma-separated list of WxH sizes; 0 on one side leaves it free, never on both.
func (e *env) sizes(name, def string) [][2]int {
	raw := e.str(name, def)
	var out [][2]int
	for _, f := range strings.Split(raw, ",") {
		w, h, ok := strings.Cut(strings.TrimSpace(f), "x")
		wn, err1 := strconv.Atoi(w)
		hn, err2 := strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || wn < 0 || hn < 0 || wn > 16384 || hn > 16384 || wn+hn == 0 {
			e.errs = append(e.errs, fmt.Errorf("%s=%q: want sizes such as 640x0,100x100, comma-separated", name, raw))
			return nil
		}
		out = append(out, [2]int{wn, hn})
	}
	return out
}

// alsoWebP reads FORMATS (name): jpeg (the default), or jpeg,webp for a WebP next to each derivative.
func (e *env) alsoWebP(name string) bool {
	formats, webp := e.list(name), false
	for _, f := range formats {
		switch strings.ToLower(f) {
		case "jpeg", "jpg":
		case "webp":
			webp = true
		default:
			e.errs = append(e.errs, fmt.Errorf("%s=%q: want jpeg, or jpeg,webp", name, strings.Join(formats, ",")))
		}
	}
	if len(formats) > 0 && !slices.ContainsFunc(formats, func(f string) bool { return strings.EqualFold(f, "jpeg") || strings.EqualFold(f, "jpg") }) {
		e.errs = append(e.errs, fmt.Errorf("%s must include jpeg: the derivatives every client reads (PNG for a photo with transparency)", name))
	}
	return webp
}
