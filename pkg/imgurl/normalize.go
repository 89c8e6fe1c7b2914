package imgurl

import (
	"net/url"
	"sort"
	"strings"
)

// Query parameters the origin reads. Every other parameter is dropped by Normalize.
const (
	ParamSize      = "d"   // WxH in pixels; 0 on one side keeps the aspect ratio, 0x0 is the original size
	ParamFit       = "fit" // cover (default), inside or contain; meaningful only when both sides are set
	ParamQuality   = "q"   // encoder quality
	ParamFormat    = "f"   // jpeg, png, webp or auto
	ParamExpires   = "exp" // expiry of a signed URL, unix seconds
	ParamSignature = "sig" // signature over the canonical d, fit, q, exp and the path
)

// Values of f that Normalize writes when the client names no format; FormatAuto lets the origin pick JPEG, or PNG
// for a source with alpha.
const (
	FormatWebP = "webp"
	FormatAuto = "auto"
)

// DefaultFit is the fit that applies when none is given, so Normalize drops it.
const DefaultFit = "cover"

// Normalize returns the canonical raw query string (without "?") for a request to the serve function, or "" when
// no parameter is left. path is the request path as sent, percent-encoded (r.URL.EscapedPath(), or the uri of a
// CloudFront Functions event); query is the parsed query (r.URL.Query()); accept is every Accept header value
// joined with "," (strings.Join(r.Header.Values("Accept"), ",")).
//
// The rules, which deploy/cloudfront/normalize.js implements identically:
//   - Only d, fit, q, f, exp and sig are kept, each with its first value.
//   - d matching [0-9]{1,5}x[0-9]{1,5} loses its leading zeros, and 0x0 (the original size) is dropped; any other
//     value is kept verbatim for the origin to refuse.
//   - fit is matched case-insensitively: cover (the default) is dropped, inside and contain are kept lower-cased,
//     any other value is kept verbatim. With d absent, 0x0 or zero on one side, fit means nothing and is dropped.
//   - q matching [0-9]{1,3} loses its leading zeros; any other value is kept verbatim.
//   - f is matched case-insensitively against jpeg, png, webp and auto (jpg means jpeg) and kept lower-cased; any
//     other value is kept verbatim. Without f, a path outside /src/ whose last segment ends in .jpg, .jpeg, .png,
//     .webp or .avif (any case) takes its format from the extension and gets no f; any other request gets f=webp
//     when Accept lists image/webp (see Accepts), else f=auto.
//   - exp and sig are kept verbatim.
//   - The parameters are sorted by name and their values percent-encoded per RFC 3986: every byte but the
//     unreserved A-Z a-z 0-9 - . _ ~ becomes %XX with upper-case hex.
//
// Case-insensitive matching is ASCII-only on purpose: JavaScript's toLowerCase and Go's unicode tables disagree on
// a few characters (U+212A KELVIN SIGN folds to k in Go), and the two implementations must never disagree.
func Normalize(path string, query url.Values, accept string) string {
	var out []param
	keep := func(name, value string) { out = append(out, param{name, value}) }

	box := boxAbsent
	if d, ok := first(query, ParamSize); ok {
		if w, h, ok := parseSize(d); ok {
			switch {
			case w == "0" && h == "0":
				// The original size is the default; box stays absent.
			case w == "0" || h == "0":
				box = boxOneSide
				keep(ParamSize, w+"x"+h)
			default:
				box = boxFull
				keep(ParamSize, w+"x"+h)
			}
		} else {
			// The origin refuses the request. fit is still normalised as for a full box, so a bad fit is reported
			// alongside the bad d rather than hidden by it.
			box = boxInvalid
			keep(ParamSize, d)
		}
	}

	if fit, ok := first(query, ParamFit); ok && (box == boxFull || box == boxInvalid) {
		switch lower := asciiLower(fit); lower {
		case DefaultFit:
		case "inside", "contain":
			keep(ParamFit, lower)
		default:
			keep(ParamFit, fit)
		}
	}

	if q, ok := first(query, ParamQuality); ok {
		if isDigits(q, 1, 3) {
			q = trimZeros(q)
		}
		keep(ParamQuality, q)
	}

	if f, ok := first(query, ParamFormat); ok {
		switch lower := asciiLower(f); lower {
		case "jpeg", "png", FormatWebP, FormatAuto:
			keep(ParamFormat, lower)
		case "jpg":
			keep(ParamFormat, "jpeg")
		default:
			keep(ParamFormat, f)
		}
	} else if !formatInPath(path) {
		if Accepts(accept, "image/webp") {
			keep(ParamFormat, FormatWebP)
		} else {
			keep(ParamFormat, FormatAuto)
		}
	}

	for _, name := range []string{ParamExpires, ParamSignature} {
		if v, ok := first(query, name); ok {
			keep(name, v)
		}
	}

	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	var b strings.Builder
	for i, p := range out {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		escape(&b, p.value)
	}
	return b.String()
}

type param struct{ name, value string }

// box classifies d for the fit rule.
type box int

const (
	boxAbsent  box = iota // no d, or 0x0
	boxOneSide            // one side zero: the other follows the aspect ratio, so there is nothing to fit
	boxFull               // both sides set
	boxInvalid            // not WxH; the origin answers 400
)

// first returns the first value of name, as a repeated parameter keeps its first value.
func first(query url.Values, name string) (string, bool) {
	if vs := query[name]; len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// parseSize splits d=WxH into its sides without leading zeros. Five digits a side is plenty for any image and
// keeps the check free of overflow.
func parseSize(d string) (w, h string, ok bool) {
	w, h, found := strings.Cut(d, "x")
	if !found || !isDigits(w, 1, 5) || !isDigits(h, 1, 5) {
		return "", "", false
	}
	return trimZeros(w), trimZeros(h), true
}

// isDigits reports whether s is between min and max ASCII digits.
func isDigits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// trimZeros drops the leading zeros of a digit string, keeping one digit.
func trimZeros(s string) string {
	if t := strings.TrimLeft(s, "0"); t != "" {
		return t
	}
	return "0"
}

// formatInPath reports whether the path names the output format by its extension. Paths under /src/ address a
// source image, whose extension says what was uploaded rather than what to deliver. The path is percent-decoded
// first, so that /a.%70ng is a PNG like /a.png; a malformed escape leaves it as sent.
func formatInPath(path string) bool {
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	if strings.HasPrefix(path, "/src/") {
		return false
	}
	seg := path[strings.LastIndexByte(path, '/')+1:]
	dot := strings.LastIndexByte(seg, '.')
	if dot < 0 {
		return false
	}
	switch asciiLower(seg[dot+1:]) {
	case "jpg", "jpeg", "png", "webp", "avif":
		return true
	}
	return false
}

// Accepts reports whether an Accept header value lists mediaType (for example "image/webp") by name with a
// non-zero weight. Wildcards (image/*, */*) do not count: browsers send them for every image request whether or
// not they decode a format, and those that decode WebP name it. A range with a malformed weight counts for
// nothing, and an explicit q=0 for mediaType anywhere in the header wins over another entry that accepts it, so
// that an ambiguous header never earns a format the client might not decode. Matching is case-insensitive.
func Accepts(accept, mediaType string) bool {
	want := asciiLower(mediaType)
	accepted := false
	for _, r := range strings.Split(accept, ",") {
		typ, params, _ := strings.Cut(r, ";")
		if asciiLower(trimOWS(typ)) != want {
			continue
		}
		switch weight(params) {
		case weightZero:
			return false
		case weightPositive:
			accepted = true
		}
	}
	return accepted
}

type qWeight int

const (
	weightPositive qWeight = iota
	weightZero
	weightInvalid
)

// weight reads the q parameter of a media range (RFC 9110 section 12.4.2: "0" [ "." 0*3DIGIT ] or
// "1" [ "." 0*3("0") ]); without one the weight is 1. Only the first q counts.
func weight(params string) qWeight {
	for _, p := range strings.Split(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		if asciiLower(trimOWS(name)) != "q" {
			continue
		}
		value = trimOWS(value)
		whole, frac, _ := strings.Cut(value, ".")
		if !isDigits(frac, 0, 3) {
			return weightInvalid
		}
		switch {
		case whole == "0" && strings.Trim(frac, "0") == "":
			return weightZero
		case whole == "0":
			return weightPositive
		case whole == "1" && strings.Trim(frac, "0") == "":
			return weightPositive
		default:
			return weightInvalid
		}
	}
	return weightPositive
}

// trimOWS trims the optional whitespace (space and tab) that HTTP allows around list items and parameters.
func trimOWS(s string) string { return strings.Trim(s, " \t") }

// asciiLower lower-cases ASCII letters only; see Normalize for why not strings.ToLower.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// escape writes s percent-encoded per RFC 3986, keeping only unreserved bytes. url.QueryEscape would write a space
// as "+" and leaves the choice of other reserved bytes to Go; this spelling is the one the CloudFront Function
// produces with plain byte arithmetic.
func escape(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}
