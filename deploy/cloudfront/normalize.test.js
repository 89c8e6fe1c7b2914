// Tests of the CloudFront Function in normalize.js against the vectors Go's pkg/imgurl runs too. Run with
// `node --test deploy/cloudfront/normalize.test.js`; `go test ./pkg/imgurl/` runs it as well (TestCloudFrontFunction).
//
// The function is loaded unchanged: its source is read and evaluated in a fresh V8 context, which has the ES
// built-ins only, so a stray require(), process or Buffer (none of which CloudFront Functions provide) fails here.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const SOURCE_FILE = path.join(__dirname, 'normalize.js');
const VECTORS_FILE = path.join(__dirname, '..', '..', 'pkg', 'imgurl', 'testdata', 'normalize.json');
const source = fs.readFileSync(SOURCE_FILE, 'utf8');
const vectors = JSON.parse(fs.readFileSync(VECTORS_FILE, 'utf8'));

// CloudFront Functions quota: the function code is at most 10 KB.
const MAX_FUNCTION_BYTES = 10 * 1024;

function loadHandler() {
  const context = vm.createContext({});
  vm.runInContext(source, context, { filename: SOURCE_FILE });
  assert.equal(typeof context.handler, 'function', 'normalize.js must declare function handler(event)');
  return context.handler;
}
const handler = loadHandler();

// encode percent-encodes a string per RFC 3986 (UTF-8, unreserved characters kept), the way a careful client
// writes a query; vectors give decoded values, as url.Values holds them.
function encode(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

// rawQuery is the query string a viewer sends for a vector.
function rawQuery(v) {
  if (v.raw !== undefined) return v.raw;
  const items = [];
  for (const name of Object.keys(v.query)) {
    for (const value of v.query[name]) items.push(encode(name) + '=' + encode(value));
  }
  return items.join('&');
}

// querystringObject is CloudFront's parsed form of a raw query: one field per name, the first value in value and
// all of them in multiValue when the name repeats, names and values as sent (still percent-encoded).
function querystringObject(raw) {
  const qs = {};
  for (const item of raw.split('&')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? '' : item.slice(eq + 1);
    if (!Object.prototype.hasOwnProperty.call(qs, name)) {
      qs[name] = { value };
    } else {
      if (!qs[name].multiValue) qs[name].multiValue = [{ value: qs[name].value }];
      qs[name].multiValue.push({ value });
    }
  }
  return qs;
}

// event builds a viewer-request event. withRaw adds the rawQueryString() helper of runtime 2.0; without it the
// function must read the querystring object, as it does under the console's test tool.
function event(uri, raw, accept, withRaw) {
  const request = {
    method: 'GET',
    uri,
    querystring: querystringObject(raw),
    headers: { host: { value: 'images.example.com' } },
    cookies: {},
  };
  if (accept !== '') request.headers.accept = { value: accept };
  if (withRaw) request.rawQueryString = () => raw;
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'EDFDVBD6EXAMPLE', requestId: 'test' },
    viewer: { ip: '198.51.100.11' },
    request,
  };
}

// cacheQuery serialises the returned querystring object the way CloudFront builds the query string from it:
// each field in property order as name=value, every multiValue entry when there is one, joined by '&'.
function cacheQuery(qs) {
  if (typeof qs === 'string') return qs;
  const items = [];
  for (const name of Object.keys(qs)) {
    const field = qs[name];
    const values = field.multiValue ? field.multiValue.map((m) => m.value) : [field.value];
    for (const value of values) items.push(name + '=' + value);
  }
  return items.join('&');
}

// run returns the cache query for one request and checks the invariants that make it independent of how
// CloudFront orders and escapes: a plain object, keys sorted, no multiValue, nothing left to encode.
function run(uri, raw, accept, withRaw) {
  const ev = event(uri, raw, accept, withRaw);
  const req = handler(ev);
  assert.equal(req, ev.request, 'handler returns the request');
  assert.equal(req.uri, uri, 'the path is unchanged');
  assert.equal(req.headers.accept, undefined, 'the Accept header is removed');
  assert.equal(req.headers.host.value, 'images.example.com', 'other headers are kept');
  const qs = req.querystring;
  assert.equal(typeof qs, 'object');
  const names = Object.keys(qs);
  assert.deepEqual(names, [...names].sort(), 'querystring keys are in sorted order');
  for (const name of names) {
    assert.equal(qs[name].multiValue, undefined, `${name} has no multiValue`);
    assert.match(qs[name].value, /^(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})*$/, `${name} is fully percent-encoded`);
  }
  return cacheQuery(qs);
}

test('vectors loaded', () => {
  assert.ok(Array.isArray(vectors) && vectors.length > 0, `${VECTORS_FILE} has vectors`);
});

for (const v of vectors) {
  test(`vector: ${v.name}`, () => {
    const raw = rawQuery(v);
    assert.equal(run(v.path, raw, v.accept, true), v.want, `rawQueryString() ${JSON.stringify(raw)}`);
    assert.equal(run(v.path, raw, v.accept, false), v.want, `querystring object of ${JSON.stringify(raw)}`);
    // The origin may normalise again what CloudFront forwards; it must get the same string back.
    assert.equal(run(v.path, v.want, '', true), v.want, 'idempotent');
  });
}

// IMGURL_EXTRA_VECTORS names a file of further vectors, with Go's answers, that TestCloudFrontFunction generates
// at random; they run as one test so that a failure lists only the first few differences.
if (process.env.IMGURL_EXTRA_VECTORS) {
  test('random vectors from Go', () => {
    const extra = JSON.parse(fs.readFileSync(process.env.IMGURL_EXTRA_VECTORS, 'utf8'));
    assert.ok(extra.length > 0, 'the extra vectors file is not empty');
    const failures = [];
    for (const v of extra) {
      for (const withRaw of [true, false]) {
        const got = run(v.path, v.raw, v.accept, withRaw);
        if (got !== v.want && failures.length < 10) failures.push({ ...v, withRaw, got });
      }
    }
    assert.deepEqual(failures, [], 'the CloudFront Function and Go disagree');
    console.log(`random vectors: ${extra.length}`);
  });
}

test('several Accept headers are joined', () => {
  const ev = event('/7f3a', '', '', true);
  ev.request.headers.accept = {
    value: 'image/avif',
    multiValue: [{ value: 'image/avif' }, { value: 'image/webp' }],
  };
  assert.equal(cacheQuery(handler(ev).querystring), 'f=webp');
});

test('the querystring object is used when rawQueryString() is empty under the console', () => {
  const ev = event('/7f3a.png', 'q=080', '', true);
  ev.request.rawQueryString = () => '';
  assert.equal(cacheQuery(handler(ev).querystring), 'q=80');
});

test('a lone surrogate, which UTF-8 input cannot produce, becomes U+FFFD instead of throwing', () => {
  assert.equal(run('/7f3a.png', 'sig=a\ud800b', '', true), 'sig=a%EF%BF%BDb');
});

test('an empty query stays empty', () => {
  assert.equal(run('/7f3a.png', '', '', true), '');
  assert.equal(run('/7f3a.png', '', '', false), '');
});

test('source fits the CloudFront Functions runtime', () => {
  const bytes = Buffer.byteLength(source, 'utf8');
  assert.ok(bytes <= MAX_FUNCTION_BYTES, `normalize.js is ${bytes} bytes, over the ${MAX_FUNCTION_BYTES} byte limit`);
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  assert.match(code, /^function handler\(event\) \{/m, 'a top-level function handler(event)');
  // Syntax outside the runtime 2.0 feature list, and Node-only names.
  const forbidden = {
    'require()': /\brequire\s*\(/,
    'import': /\bimport\b/,
    'export': /\bexport\b/,
    'module': /\bmodule\b/,
    'process': /\bprocess\b/,
    'Buffer': /\bBuffer\b/,
    'for...of': /\bfor\s*\([^)]*\bof\b/,
    'class': /\bclass\b/,
    'optional chaining': /\?\./,
    'nullish coalescing': /\?\?/,
    'spread or rest': /\.\.\./,
    'regular expression literal': /[=(,:]\s*\/[^/*]/,
  };
  for (const [what, re] of Object.entries(forbidden)) {
    assert.doesNotMatch(code, re, `normalize.js uses ${what}`);
  }
});
