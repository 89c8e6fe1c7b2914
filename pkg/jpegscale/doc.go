// Package jpegscale decodes baseline and progressive JPEG images at 1/1, 1/2,
// 1/4 or 1/8 of their size, doing the reduction in the DCT domain the way
// libjpeg's scaled decoding does.
//
// Resizing a 12-50 MP photo to a 320-1920 px derivative spends about half of
// its time decoding pixels that the resampler then throws away. Every 8x8
// block of a JPEG is stored as DCT coefficients, so a decoder can run a 4x4,
// 2x2 or 1x1 inverse DCT on the low-frequency corner of each block instead of
// the full 8x8 one. That skips most of the IDCT and memory traffic, allocates
// a frame 4, 16 or 64 times smaller, and gives a properly low-pass-filtered
// image. Entropy decoding still has to read every coefficient, so it sets
// the floor: scale 8 is only a little faster than scale 4.
//
// The decoder is a fork of the Go standard library's image/jpeg (see
// LICENSE-go). At scale 1 it returns the same pixels as image/jpeg.Decode.
// At every scale it returns the same image types: *image.Gray,
// *image.YCbCr, *image.CMYK, or *image.RGBA for Adobe RGB files. A
// *image.YCbCr keeps the file's chroma subsampling at every scale, so a
// 4:2:0 photo decoded at scale s has chroma at 1/(2s) of the original
// width. That is finer than the chroma of any 4:2:0 JPEG or WebP derivative
// made from a decode chosen by ScaleFor, whose width is at least the
// target's.
//
// Three departures from image/jpeg, none visible in the pixels of files
// both decode:
//
//   - progressive files keep their coefficients between scans as int16, and
//     at scale s>1 only the corner the reduced IDCT needs plus one
//     "nonzero" bit per other coefficient, so a 13 MP 4:2:2 progressive photo
//     needs about 57 MB of coefficients at scale 1 (image/jpeg: 107 MB) and
//     17 MB at scale 2;
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
// A typical caller reads the header first and picks the largest reduction
// that still leaves enough pixels for the target width:
//
//	cfg, err := jpegscale.DecodeConfig(bytes.NewReader(buf))
//	// handle err
//	img, err := jpegscale.Decode(bytes.NewReader(buf), jpegscale.ScaleFor(cfg.Width, 640))
package jpegscale
