// CloudFront Function (cloudfront-js-2.0), viewer request of the image behaviour. It rewrites the query into the
// canonical form of Normalize in pkg/imgurl/normalize.go, byte for byte (the rules are in its doc comment), and
// moves the format decision from Accept into f, so the cache key holds only what the origin reads, spelled one way.
// Both halves run pkg/imgurl/testdata/normalize.json (normalize.test.js here, normalize_test.go in Go).
//
// Values are byte strings (one char per byte) because Go decodes %FF to a byte no JS string API round-trips, and
// no regular expression is used: the runtime's engine is not V8's ('$' before a final newline would differ).
// The new querystring object has its keys in sorted order and values of unreserved characters and %XX only, so
// the query CloudFront rebuilds from it (name=value joined by '&', values as given) is the Go string.
// The cache policy must key on all query strings (or these six names) and on no Accept header.

var NAMES = ['d', 'exp', 'f', 'fit', 'q', 'sig'];
var HEX = '0123456789ABCDEF';

function handler(event) {
  var request = event.request;
  var params = normalize(decodePath(request.uri), firstValues(queryPairs(request)), acceptHeader(request.headers));
  var qs = {};
  for (var i = 0; i < params.length; i++) {
    qs[params[i][0]] = { value: params[i][1] };
  }
  request.querystring = qs;
  // The decision is in f now; the origin must not negotiate again.
  if (request.headers) delete request.headers.accept;
  return request;
}

// normalize returns [name, escaped value] pairs sorted by name; see Normalize in pkg/imgurl/normalize.go.
function normalize(path, first, accept) {
  var out = [];
  var box = 'absent';
  var d = first.d;
  if (d !== undefined) {
    var x = d.indexOf('x');
    var w = x < 0 ? '' : d.slice(0, x), h = x < 0 ? '' : d.slice(x + 1);
    if (isDigits(w, 1, 5) && isDigits(h, 1, 5)) {
      w = trimZeros(w);
      h = trimZeros(h);
      if (w !== '0' || h !== '0') {
        box = w === '0' || h === '0' ? 'oneSide' : 'full';
        out.push(['d', w + 'x' + h]);
      }
    } else {
      box = 'invalid';
      out.push(['d', d]);
    }
  }
  var fit = first.fit;
  if (fit !== undefined && (box === 'full' || box === 'invalid')) {
    var fl = lower(fit);
    if (fl === 'inside' || fl === 'contain') {
      out.push(['fit', fl]);
    } else if (fl !== 'cover') {
      out.push(['fit', fit]);
    }
  }
  var q = first.q;
  if (q !== undefined) {
    out.push(['q', isDigits(q, 1, 3) ? trimZeros(q) : q]);
  }
  var f = first.f;
  if (f !== undefined) {
    var ff = lower(f);
    out.push(['f', ff === 'jpg' ? 'jpeg' : (ff === 'jpeg' || ff === 'png' || ff === 'webp' || ff === 'auto') ? ff : f]);
  } else if (!formatInPath(path)) {
    out.push(['f', acceptsWebP(accept) ? 'webp' : 'auto']);
  }
  if (first.exp !== undefined) out.push(['exp', first.exp]);
  if (first.sig !== undefined) out.push(['sig', first.sig]);

  out.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
  for (var i = 0; i < out.length; i++) {
    out[i][1] = pctEncode(out[i][1]);
  }
  return out;
}

// queryPairs returns [name, value] byte-string pairs in request order, parsed as Go's url.ParseQuery does.
// rawQueryString() is the query as sent; the console's test tool returns '' from it, hence the object fallback.
function queryPairs(request) {
  var pairs = [];
  var raw = typeof request.rawQueryString === 'function' ? request.rawQueryString() : undefined;
  var obj = request.querystring || {};
  if (typeof raw === 'string' && (raw !== '' || Object.keys(obj).length === 0)) {
    var items = raw.split('&');
    if (items.length > 10000) return pairs; // url.ParseQuery refuses more than 10000 parameters.
    for (var i = 0; i < items.length; i++) {
      if (items[i] === '') continue;
      var eq = items[i].indexOf('=');
      addPair(pairs, eq < 0 ? items[i] : items[i].slice(0, eq), eq < 0 ? '' : items[i].slice(eq + 1));
    }
    return pairs;
  }
  // The object's names and values are as the viewer sent them, percent-encoded.
  for (var name in obj) {
    var field = obj[name];
    var values = field.multiValue ? field.multiValue : [field];
    for (var j = 0; j < values.length; j++) {
      addPair(pairs, name, values[j].value);
    }
  }
  return pairs;
}

function addPair(pairs, name, value) {
  if ((name + value).indexOf(';') >= 0) return;
  var k = pctDecode(name, true), v = pctDecode(value, true);
  if (k !== null && v !== null) pairs.push([k, v]);
}

// firstValues keeps the first value of each recognised name.
function firstValues(pairs) {
  var first = {};
  for (var i = 0; i < pairs.length; i++) {
    var k = pairs[i][0];
    if (NAMES.indexOf(k) >= 0 && first[k] === undefined) first[k] = pairs[i][1];
  }
  return first;
}

// acceptHeader joins every Accept header with ',', as Go's strings.Join(r.Header.Values("Accept"), ",").
function acceptHeader(headers) {
  var h = headers && headers.accept;
  if (!h) return '';
  if (!h.multiValue) return h.value;
  var vs = [];
  for (var i = 0; i < h.multiValue.length; i++) vs.push(h.multiValue[i].value);
  return vs.join(',');
}

// acceptsWebP is Accepts(accept, "image/webp"): named explicitly with a non-zero weight; wildcards do not count,
// a malformed weight counts for nothing, and a q=0 anywhere wins.
function acceptsWebP(accept) {
  var ok = false;
  var ranges = accept.split(',');
  for (var i = 0; i < ranges.length; i++) {
    var parts = ranges[i].split(';');
    if (lower(trimOWS(parts[0])) !== 'image/webp') continue;
    var w = weight(parts);
    if (w === 0) return false;
    if (w === 1) ok = true;
  }
  return ok;
}

// weight returns 1 for a positive weight, 0 for q=0 and -1 for a malformed one (RFC 9110 section 12.4.2).
function weight(parts) {
  for (var i = 1; i < parts.length; i++) {
    var eq = parts[i].indexOf('=');
    if (lower(trimOWS(eq < 0 ? parts[i] : parts[i].slice(0, eq))) !== 'q') continue;
    var value = trimOWS(eq < 0 ? '' : parts[i].slice(eq + 1));
    var dot = value.indexOf('.');
    var whole = dot < 0 ? value : value.slice(0, dot), frac = dot < 0 ? '' : value.slice(dot + 1);
    if (!isDigits(frac, 0, 3)) return -1;
    var zeroFrac = trimZeros(frac + '0') === '0';
    if (whole === '0') return zeroFrac ? 0 : 1;
    return whole === '1' && zeroFrac ? 1 : -1;
  }
  return 1;
}

// formatInPath reports whether the last segment of a path outside /src/ ends in an image extension.
function formatInPath(path) {
  if (path.slice(0, 5) === '/src/') return false;
  var seg = path.slice(path.lastIndexOf('/') + 1);
  var dot = seg.lastIndexOf('.');
  if (dot < 0) return false;
  var ext = lower(seg.slice(dot + 1));
  return ext === 'jpg' || ext === 'jpeg' || ext === 'png' || ext === 'webp' || ext === 'avif';
}

// decodePath percent-decodes the path as url.PathUnescape does ('+' stays), or returns it as sent if malformed.
function decodePath(uri) {
  var p = pctDecode(uri, false);
  return p === null ? uri : p;
}

// pctDecode decodes %XX escapes (and '+' to a space when plus is set) into a byte string, encoding any other
// non-ASCII character as UTF-8; it returns null on a malformed escape, as Go's url.QueryUnescape fails.
function pctDecode(s, plus) {
  var out = '';
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    if (c === 37) {
      var hi = hexValue(s.charCodeAt(i + 1)), lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return null;
      out += String.fromCharCode(hi * 16 + lo);
      i += 2;
    } else if (c === 43 && plus) {
      out += ' ';
    } else if (c < 128) {
      out += s.charAt(i);
    } else {
      // A surrogate pair is one character; a lone surrogate cannot come from UTF-8 input and becomes U+FFFD.
      var n = c >= 0xD800 && c < 0xDC00 && s.charCodeAt(i + 1) >= 0xDC00 && s.charCodeAt(i + 1) < 0xE000 ? 2 : 1;
      out += utf8(s.slice(i, i + n));
      i += n - 1;
    }
  }
  return out;
}

function utf8(ch) {
  var e;
  try {
    e = encodeURIComponent(ch);
  } catch (err) {
    e = '%EF%BF%BD';
  }
  var out = '';
  for (var i = 0; i < e.length; i += 3) {
    out += String.fromCharCode(hexValue(e.charCodeAt(i + 1)) * 16 + hexValue(e.charCodeAt(i + 2)));
  }
  return out;
}

function hexValue(c) {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

// pctEncode percent-encodes a byte string per RFC 3986, keeping only unreserved characters.
function pctEncode(b) {
  var out = '';
  for (var i = 0; i < b.length; i++) {
    var c = b.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126) {
      out += b.charAt(i);
    } else {
      out += '%' + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    }
  }
  return out;
}

function isDigits(s, min, max) {
  if (s.length < min || s.length > max) return false;
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function trimZeros(s) {
  var i = 0;
  while (i < s.length - 1 && s.charAt(i) === '0') i++;
  return s.slice(i);
}

// lower lower-cases ASCII letters only, as Go's asciiLower: toLowerCase folds more than Go does and differently.
function lower(s) {
  var out = '';
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s.charAt(i);
  }
  return out;
}

function trimOWS(s) {
  var i = 0, j = s.length;
  while (i < j && (s.charAt(i) === ' ' || s.charAt(i) === '\t')) i++;
  while (j > i && (s.charAt(j - 1) === ' ' || s.charAt(j - 1) === '\t')) j--;
  return s.slice(i, j);
}
