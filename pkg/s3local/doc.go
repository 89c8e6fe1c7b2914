// Package s3local is an S3-compatible server for local runs and tests that behaves like Amazon S3 where the
// pipeline depends on it: keys are opaque strings (no path aliasing), every request must carry a valid AWS
// Signature Version 4 (header or presigned query form, including aws-chunked streaming uploads), browser POST
// uploads are checked against their signed policy, conditional reads, writes and deletes are honoured, and each
// created object is reported to a callback once it is durably stored.
//
// Objects live under a data directory: a bbolt index (index.db) maps each bucket and key to its metadata and to
// an immutable blob file under blobs/, written once, fsynced and renamed into place before the index commits.
// Path tells where an object's bytes are; Options.Mirror also keeps files/<bucket>/<key>, a read-only view of
// the objects whose keys are plain relative paths, for people to browse.
//
// What it knowingly leaves out: versioning, ACLs and bucket policies (one static credential may do everything),
// object tagging, lifecycle, SSE, object lock, SigV2 and SigV4a, session tokens (any token is refused as
// InvalidToken), virtual-hosted-style addressing (clients must use path-style URLs), composite multipart checksums,
// and per-bucket CORS rules (Options.AllowedOrigins applies to all buckets).
package s3local
