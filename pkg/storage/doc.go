// Package storage is the pipeline's view of one S3 bucket: whole-object put, get, delete and presigned GET, with
// S3's many spellings of "no such key" folded into ErrNotFound so callers can tell "already gone" from a fault.
//
// The same code talks to AWS S3 and to S3-compatible servers (gofakes3 locally, MinIO in the end-to-end test):
// Config.Endpoint switches on path-style addressing and the checksum settings those servers need.
package storage
