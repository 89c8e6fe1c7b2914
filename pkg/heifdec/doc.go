// Package heifdec decodes HEIC (HEVC in HEIF) and AVIF (AV1 in HEIF) photos without cgo: libheif with libde265,
// and libavif with libaom, compiled to WebAssembly and run by wazero, through github.com/gen2brain/heic and
// github.com/gen2brain/avif. Only the functions that decode link it; the upload function checks these files
// with imagefile.Inspect, which reads the container and decodes nothing.
//
// Decode returns what imagefile.Info describes, so a caller treats these formats like JPEG: the coded pixels
// cropped to the clean aperture (clap), irot and imir not applied; Info.Orientation, the EXIF orientation those
// transforms amount to, is applied afterwards, on the small outputs. libavif leaves the transforms to its caller
// anyway; libheif applies them, so the HEIC path renames the transform properties in a copy of the file before
// libheif sees it (see rewrite.go).
//
// The decoded image types:
//   - HEIC without alpha: *image.YCbCr (4:2:0, 4:2:2 or 4:4:4, 8-bit; 10-bit files are reduced to 8 by libheif)
//     when the samples are BT.601 full range, which is how Go's YCbCr is defined; *image.NRGBA when the nclx box
//     says another matrix or limited range; *image.Gray for monochrome files.
//   - HEIC with alpha: *image.NRGBA, or *image.RGBA when a 'prem' reference says the colour is premultiplied.
//   - AVIF: *image.RGBA (8-bit; alpha premultiplied, as Go's RGBA is) or *image.RGBA64 (10 and 12-bit). libavif
//     applies the matrix and range itself.
//
// Every image has its origin at (0, 0) and owns its memory: nothing points into the WebAssembly module's memory.
//
// The WebAssembly modules are compiled on first use, once per process (see Init).
package heifdec
