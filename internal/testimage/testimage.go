// Package testimage makes small images in code for tests, so the repository carries no binary fixtures, plus the
// multipart bodies an upload client would send.
package testimage

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/textproto"
	"sort"
)

// Pattern returns a w x h image with gradients and a bright corner block, so that orientation and scaling
// mistakes change the pixels measurably.
func Pattern(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{R: uint8(255 * x / max(1, w-1)), G: uint8(255 * y / max(1, h-1)), B: 96, A: 255}
			if x < w/4 && y < h/4 {
				c = color.NRGBA{R: 250, G: 250, B: 250, A: 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// JPEG encodes Pattern(w, h) as a JPEG.
func JPEG(w, h int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, Pattern(w, h), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// PNG encodes Pattern(w, h) as a PNG; with alpha, the right half is half transparent.
func PNG(w, h int, alpha bool) []byte {
	img := Pattern(w, h)
	if alpha {
		for y := 0; y < h; y++ {
			for x := w / 2; x < w; x++ {
				img.Pix[img.PixOffset(x, y)+3] = 128
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// GIF encodes Pattern(w, h) as a single-frame GIF.
func GIF(w, h int) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, Pattern(w, h), nil); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// WebP returns a real 1x1 lossy WebP (no encoder exists in Go's standard library or x/image).
func WebP() []byte {
	b, _ := base64.StdEncoding.DecodeString("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
	return b
}

// ExifTIFF is a minimal big-endian TIFF-structured EXIF block whose IFD0 holds only orientation o.
func ExifTIFF(o int) []byte {
	return []byte{'M', 'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at offset 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, // Orientation, SHORT, count 1, value
		0, 0, 0, 0} // no next IFD
}

// WithOrientation inserts an EXIF APP1 segment carrying orientation o right after the SOI marker of a JPEG.
func WithOrientation(jpg []byte, o int) []byte {
	seg := append([]byte("Exif\x00\x00"), ExifTIFF(o)...)
	app1 := append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	return append(out, jpg[2:]...)
}

// PNGWithOrientation inserts an eXIf chunk carrying orientation o after the IHDR chunk of a PNG.
func PNGWithOrientation(p []byte, o int) []byte {
	const ihdrEnd = 8 + 12 + 13
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, pngChunk("eXIf", ExifTIFF(o))...)
	return append(out, p[ihdrEnd:]...)
}

func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// WebPWithOrientation wraps WebP's 1x1 lossy bitstream in an extended (VP8X) file with an EXIF chunk carrying
// orientation o, as cameras and phones write it.
func WebPWithOrientation(o int) []byte {
	vp8 := WebP()[12:]                                                             // the "VP8 " chunk
	vp8x := []byte("VP8X\x0a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00") // EXIF flag, 1x1 canvas
	exif := append([]byte("EXIF"), binary.LittleEndian.AppendUint32(nil, uint32(len(ExifTIFF(o))))...)
	exif = append(exif, ExifTIFF(o)...)
	body := append(append(append([]byte("WEBP"), vp8x...), vp8...), exif...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// Part is one multipart part.
type Part struct {
	Field, Filename, ContentType string
	Data                         []byte
}

// Multipart builds a multipart/form-data body and returns it with its Content-Type.
func Multipart(parts ...Part) (body []byte, contentType string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.Field)
		if p.Filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.Filename)
		}
		h.Set("Content-Disposition", disp)
		if p.ContentType != "" {
			h.Set("Content-Type", p.ContentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			panic(err)
		}
		pw.Write(p.Data)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// BlankPNG encodes a uniform w x h grey PNG: a large pixel count in a few kilobytes, like a decompression bomb.
func BlankPNG(w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// NoisyJPEG encodes a w x h picture of hashed noise over gradients at quality 95: photo-sized data (several MB at
// 12 MP), for tests of upload paths that depend on size.
func NoisyJPEG(w, h int) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			v := uint32(x)*2654435761 ^ uint32(y)*2246822519
			img.Y[y*img.YStride+x] = uint8(40 + 140*x/w + int((v^v>>15)%60))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(90+i%70), uint8(120+i%40)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// ScanBomb returns a w x h grayscale progressive JPEG of scans AC
// refinement scans that carry no data: each is a few end-of-band runs of
// 32767 blocks, about 12 bytes for 12 MP. Nothing before them made any
// coefficient nonzero, so no block takes a correction bit. It is the
// many-scans attack in its cheapest form: the decoder still walks every
// block of the frame once per scan.
func ScanBomb(w, h, scans int) []byte {
	var b bytes.Buffer
	seg := func(marker byte, body ...byte) {
		b.Write([]byte{0xff, marker, byte((len(body) + 2) >> 8), byte(len(body) + 2)})
		b.Write(body)
	}
	b.Write([]byte{0xff, 0xd8})
	seg(0xdb, append([]byte{0x00}, bytes.Repeat([]byte{1}, 64)...)...) // DQT 0: all ones
	seg(0xc2, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 1, 1, 0x11, 0)
	// AC table 0 with one code, "0", for EOB14: a run of 2^14 plus 14 bits.
	seg(0xc4, append([]byte{0x10, 1}, append(make([]byte, 15), 0xe0)...)...)
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	// Each run is "0" then 14 one bits (a run of 32767), so two runs make
	// 30 bits; whole bytes of ones need byte stuffing.
	var bits []byte
	for covered := 0; covered < blocks; covered += 32767 {
		bits = append(bits, 0)
		for range 14 {
			bits = append(bits, 1)
		}
	}
	for len(bits)%8 != 0 {
		bits = append(bits, 1)
	}
	var data []byte
	for i := 0; i < len(bits); i += 8 {
		c := byte(0)
		for _, bit := range bits[i : i+8] {
			c = c<<1 | bit
		}
		data = append(data, c)
		if c == 0xff {
			data = append(data, 0)
		}
	}
	for range scans {
		seg(0xda, 1, 1, 0x00, 1, 63, 0x10) // component 1, Ss=1, Se=63, Ah=1, Al=0
		b.Write(data)
	}
	b.Write([]byte{0xff, 0xd9})
	return b.Bytes()
}

// PostForm is a browser-based POST to S3 as a presigned POST asks for it: every field (in a fixed order), then the
// file last, which S3 requires. It returns the body and its Content-Type.
func PostForm(fields map[string]string, filename string, file []byte) (body []byte, contentType string) {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]Part, 0, len(fields)+1)
	for _, k := range names {
		parts = append(parts, Part{Field: k, Data: []byte(fields[k])})
	}
	return Multipart(append(parts, Part{Field: "file", Filename: filename, Data: file})...)
}
