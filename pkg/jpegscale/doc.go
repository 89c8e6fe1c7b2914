// Package jpegscale decodes baseline and progressive JPEG images at N/8 of
// their size, N = 1..8, doing the reduction in the DCT domain the way
// libjpeg's scaled decoding (jpeg_idct_NxN) does.
//
// Resizing a 12-50 MP photo to a 320-1920 px derivative spends about half of
// its time decoding pixels that the resampler then throws away. Every 8x8
// block of a JPEG is stored as DCT coefficients, so a decoder can run an
// NxN inverse DCT on the low-frequency NxN corner of each block instead of
// the full 8x8 one. That skips most of the IDCT and memory traffic,
// allocates a frame (8/N)^2 times smaller, and gives a properly
// low-pass-filtered image. With eight scales rather than four, the
// smallest decode that still covers a target width is never more than
// 8/7 of it wide: a 5312 px photo for a 1920 px derivative decodes at 3/8
// (1992 px) rather than 1/2 (2656 px), a 3264 px one at 5/8 (2040 px)
// rather than full size. Entropy decoding still has to read every
// coefficient, so it sets the floor.
//
// The decoder is a fork of the Go standard library's image/jpeg (see
// LICENSE-go). At 8/8 it returns the same pixels as image/jpeg.Decode. At
// every scale it returns the same image types: *image.Gray,
// *image.YCbCr, *image.CMYK, or *image.RGBA for Adobe RGB files. A
// *image.YCbCr keeps the file's chroma subsampling at every scale, so a
// 4:2:0 photo decoded at N/8 has chroma at N/16 of the original width.
// That is finer than the chroma of any 4:2:0 JPEG or WebP derivative made
// from a decode chosen by ScaleNFor, whose width is at least the target's.
//
// # Hostile input
//
// A JPEG header of a few hundred bytes can announce 65535 x 65535 pixels,
// and a few megabytes of empty progressive scans can keep a decoder busy
// for minutes. Cost reads only the header and returns what a decode will
// allocate, so a caller can refuse a file before paying for it;
// Options.MaxScans (default DefaultMaxScans) bounds the number of scans,
// failing with ErrTooManyScans; Options.Check lets a context deadline stop
// a decode in progress.
//
// # Departures from image/jpeg
//
// None is visible in the pixels of files both decode:
//
//   - progressive files keep their coefficients between scans as int16, and
//     at N/8 < 1 only the NxN corner the reduced IDCT needs plus one
//     "nonzero" bit per other coefficient, so a 13 MP 4:2:2 progressive photo
//     needs about 57 MB of coefficients at 8/8 (image/jpeg: 107 MB) and
//     17 MB at 4/8;
//   - input that ends early gives io.ErrUnexpectedEOF wherever it ends,
//     where image/jpeg returns FormatError("short Huffman data") inside
//     entropy-coded data;
//   - in a non-interleaved scan (every AC scan of a progressive file) a
//     restart interval counts single blocks, as section 4.8.2 of T.81 says,
//     so progressive files with chroma subsampling and restart markers
//     decode; image/jpeg counts whole interleaved MCUs and rejects them.
//
// Like image/jpeg it does not support arithmetic coding, lossless or
// hierarchical JPEG, 12-bit samples, or the DNL marker.
//
// A typical caller reads the header first, checks the cost and picks the
// smallest scale that still leaves enough pixels for the target width:
//
//	cfg, err := jpegscale.DecodeConfig(bytes.NewReader(buf))
//	// handle err
//	n := jpegscale.ScaleNFor(cfg.Width, 1920)
//	est, err := jpegscale.Cost(buf, n)
//	// handle err; refuse the file if est.Bytes is over budget
//	img, err := jpegscale.DecodeWith(bytes.NewReader(buf), jpegscale.Options{Scale: n, Check: ctx.Err})
//
// Decode and ScaleFor, the 1/1, 1/2, 1/4 and 1/8 API that came first, are
// kept as thin wrappers.
package jpegscale
