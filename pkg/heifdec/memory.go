package heifdec

import (
	"image"
	"image/draw"
)

// The wrappers hand back slices of the WebAssembly module's linear memory and free that buffer on return
// (gen2brain/heic v0.4.5 always, gen2brain/avif v0.4.4 for 8-bit output). free() is dlmalloc's: when it files
// the block in a tree bin it writes six 32-bit words (fd, bk, two children, parent, index) over the first 24
// bytes, and its footer can land on the last 4. A 256x192 HEIC shows it: Y[0:24] came back as allocator
// pointers. The returned image also keeps the whole module memory (input copy, codec buffers) alive.
//
// owned copies the pixels into memory of their own, so the module's memory is garbage at once, and rebuilds
// the at most 24 leading and 4 trailing bytes from the row next to them. Whether or not free() clobbered them
// this time, the result is the same, so the output does not depend on the allocator's state; the cost is that
// the first few samples of the first row and the last of the last row are their neighbours' values.
const (
	clobberedHead = 24
	clobberedTail = 4
)

func owned(img image.Image) image.Image {
	switch m := img.(type) {
	case *image.YCbCr:
		// One block holds Y, Cb and Cr in that order: its head is in Y, its tail in Cr.
		c := *m
		c.Y, c.Cb, c.Cr = repairHead(clone(m.Y), m.YStride), clone(m.Cb), repairTail(clone(m.Cr), m.CStride)
		return &c
	case *image.Gray:
		return &image.Gray{Pix: repairTail(repairHead(clone(m.Pix), m.Stride), m.Stride), Stride: m.Stride, Rect: m.Rect}
	case *image.RGBA:
		return &image.RGBA{Pix: repairTail(repairHead(clone(m.Pix), m.Stride), m.Stride), Stride: m.Stride, Rect: m.Rect}
	case *image.NRGBA:
		return &image.NRGBA{Pix: repairTail(repairHead(clone(m.Pix), m.Stride), m.Stride), Stride: m.Stride, Rect: m.Rect}
	}
	return img // RGBA64: the avif wrapper has already copied it, byte-swapping
}

func clone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

func repairHead(b []byte, stride int) []byte {
	for i := 0; i < clobberedHead && i+stride < len(b); i++ {
		b[i] = b[i+stride]
	}
	return b
}

func repairTail(b []byte, stride int) []byte {
	for i := max(len(b)-clobberedTail, 0); i < len(b); i++ {
		if i >= stride {
			b[i] = b[i-stride]
		}
	}
	return b
}

// crop returns r of img as an image whose origin is (0, 0), without copying when the layout allows.
func crop(img image.Image, r image.Rectangle) image.Image {
	if r == img.Bounds() {
		return img
	}
	size := image.Rectangle{Max: r.Size()}
	switch m := img.(type) {
	case *image.YCbCr:
		if chromaAligned(m.SubsampleRatio, r.Min) {
			c := *m
			c.Y = m.Y[m.YOffset(r.Min.X, r.Min.Y)-m.YOffset(0, 0):]
			off := m.COffset(r.Min.X, r.Min.Y) - m.COffset(0, 0)
			c.Cb, c.Cr, c.Rect = m.Cb[off:], m.Cr[off:], size
			return &c
		}
	case *image.Gray:
		return &image.Gray{Pix: m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], Stride: m.Stride, Rect: size}
	case *image.RGBA:
		return &image.RGBA{Pix: m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], Stride: m.Stride, Rect: size}
	case *image.NRGBA:
		return &image.NRGBA{Pix: m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], Stride: m.Stride, Rect: size}
	case *image.RGBA64:
		return &image.RGBA64{Pix: m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], Stride: m.Stride, Rect: size}
	}
	// A YCbCr crop that starts between chroma samples: no re-slicing keeps the chroma phase.
	out := image.NewNRGBA(size)
	draw.Draw(out, size, img, r.Min, draw.Src)
	return out
}

func chromaAligned(s image.YCbCrSubsampleRatio, p image.Point) bool {
	switch s {
	case image.YCbCrSubsampleRatio444:
		return true
	case image.YCbCrSubsampleRatio422:
		return p.X%2 == 0
	case image.YCbCrSubsampleRatio420:
		return p.X%2 == 0 && p.Y%2 == 0
	}
	return false
}
