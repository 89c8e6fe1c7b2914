// Package serve is the on-demand delivery function: https://images.example.com/<id>.webp?d=320x240 renders the
// archived original of a catalogued, ready image at the size and format asked, and answers the bytes. It is an
// http.Handler that runs in two places: behind a Lambda Function URL with response streaming (raw bytes, no 6 MB
// cap), which is CloudFront's origin, and behind the REST API as GET /images/{id}/content (a buffered, base64
// binary response, for which a result over the payload limit answers 302 to a presigned URL of the stored render).
//
// The URL grammar, the normalisation the edge applies and the signatures are package imgurl's. Here:
//
//   - Abuse control: a size must be on the allow-list (ALLOWED_SIZES) or the URL must carry a valid HMAC-SHA256
//     signature, optionally expiring; a signed URL may ask any size up to MAX_RESULT_PIXELS. Anything else is a
//     400 that lists the allowed sizes.
//   - The render cache: each render is stored in S3 under CACHE_PREFIX, named by everything that changes its bytes,
//     so a CloudFront miss after eviction costs an S3 read, not a render, and requests that differ only in
//     parameter order, defaults or an Accept that negotiates to the same format share one entry.
//   - Responses: Content-Type and Content-Length, Cache-Control public for a year (immutable) for renders, a strong
//     ETag and 304 on If-None-Match, Vary: Accept when the format was negotiated here. Errors are JSON and cached
//     for a minute at most.
//   - Sources: catalogued images by id (their archived original), and, when SOURCE_PREFIX is set, any object under
//     it by key (/src/<key>). Never staging/, failed/ or the cache itself; "..", encoded slashes and keys outside
//     the allowed prefixes are refused.
package serve
