// Package imageproc turns the bytes of a photo into its derivatives: decode once, resize to each configured width
// without ever upscaling, apply the EXIF orientation, and encode with no metadata.
//
// It does no I/O, so it is the code path that both the resize function and the benchmark (cmd/bench) run. Every
// error it returns is a property of the image itself (corrupt, unsupported, too large), so the caller can quarantine
// the photo instead of retrying it.
//
// Speed and memory come from doing less, not from cleverer arithmetic:
//
//   - a JPEG is decoded at the largest DCT reduction that still covers the largest derivative (pkg/jpegscale), so a
//     12 MP photo for a 1920 px output decodes to 3 MP and the full-size frame never exists;
//   - YCbCr and grey frames are resized plane by plane in fixed point, straight to 4:2:0, and handed to the JPEG
//     encoder as YCbCr: no frame is ever converted to RGBA;
//   - the derivatives are a cascade, largest first, each resized from the previous one;
//   - orientation is applied to the small outputs, and the outputs are encoded concurrently.
//
// Sources with alpha, and the rarer pixel layouts (CMYK, 16-bit, paletted), take imaging's resampler instead, which
// weights colour by alpha; they are a small share of uploads and are not what the benchmark measures.
package imageproc
