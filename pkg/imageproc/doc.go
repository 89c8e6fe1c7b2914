// Package imageproc turns the bytes of a photo into its derivatives: decode once, resize to each configured width
// without ever upscaling, apply the EXIF orientation, and encode with no metadata.
//
// It does no I/O, so it is the code path that both the resize function and the benchmark run. Every error it
// returns is a property of the image itself (corrupt, unsupported, too large), so the caller can quarantine the
// photo instead of retrying it.
package imageproc
