// Package imgurl holds the URL grammar of the on-demand delivery function ("serve"):
// https://images.example.com/<id>.webp?d=320x240 and its variants.
//
// # Normalisation
//
// CloudFront caches each distinct cache key once, and the key includes the query string. Left alone, requests that
// mean the same image would each cost an origin call and a cache entry: ?d=320x240&q=80 and ?q=80&d=320x240,
// ?d=0320x0240, ?d=320x240&fit=cover (cover is the default), ?d=320x240&utm_source=mail, and every distinct Accept
// header a browser sends. Normalize maps all of them to one canonical query string: only the parameters the origin
// reads, each once, in their shortest spelling, defaults dropped, sorted by name, and percent-encoded one way. The
// format a browser can take is decided once, at the edge, from Accept, and written into the query as f=webp or
// f=auto, so that Accept itself never enters the cache key and one entry serves every browser of a kind.
//
// The same rules run twice in production and must agree byte for byte: in a CloudFront Function
// (deploy/cloudfront/normalize.js, JavaScript, because Lambda@Edge cannot run Go) that rewrites each viewer request
// before the cache lookup, and in Go, in the local CDN of `make run` and in the origin, which may re-apply them
// (Normalize is idempotent: a canonical query normalises to itself). Both implementations run the shared vectors in
// testdata/normalize.json; see normalize_test.go.
//
// Normalisation does not validate: a value the origin will refuse (d=abc, fit=stretch) is kept verbatim, so that the
// origin answers 400 naming it, and the signature is checked by the origin over the canonical d, fit, q, exp and the
// path, so a signed URL stays valid however the client spelled it.
package imgurl
