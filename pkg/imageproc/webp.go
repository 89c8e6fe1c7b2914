package imageproc

import (
	"image"
	"io"

	"github.com/gen2brain/webp"
)

// WebPMethod is libwebp's speed/size trade-off, 0 (fastest) to 6 (sharp's default is 4). Measured by make bench
// on a 1920x1280 photo at quality 80 (2026-12-02): method 0 encodes in 280 ms, 2 in 490 ms for 29% fewer bytes at
// the same SSIM, 3 and 4 in 1300 ms for 32% fewer. A render is encoded once and then served from the cache and the
// CDN many times, so bytes count for more than the first request's time: 2 is the knee.
const WebPMethod = 2

// encodeWebP writes a lossy WebP. The encoder is libwebp in WebAssembly (github.com/gen2brain/webp, under wazero):
// CGO-free, compiled once per process (about a quarter of a second at the first encode). A 4:2:0 frame is handed
// over as YUV planes, libwebp's own layout, so no RGB conversion happens in between; anything else goes as NRGBA.
func encodeWebP(w io.Writer, img image.Image, quality int) error {
	if m, ok := img.(*image.YCbCr); ok && m.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		img = WebPFrame(m)
	}
	return webp.Encode(w, img, webp.Options{Quality: quality, Method: WebPMethod})
}

// WebPFrame copies a 4:2:0 frame into the single Y, Cb, Cr, A allocation, with rows exactly as wide as the
// picture, that the WebAssembly encoder reads as one buffer; alpha is opaque. It also maps the samples from JPEG's
// full range to the studio swing VP8 stores (luma 16-235, chroma 16-240 around 128): libwebp takes YUV planes as
// they are and every decoder expands them again, so full-range planes would come out with their contrast
// stretched by 255/219, shadows and highlights clipped (TestWebPKeepsLevels).
func WebPFrame(m *image.YCbCr) *image.NYCbCrA {
	b := m.Bounds()
	out := image.NewNYCbCrA(image.Rect(0, 0, b.Dx(), b.Dy()), image.YCbCrSubsampleRatio420)
	for y := 0; y < b.Dy(); y++ {
		studio(out.Y[y*out.YStride:][:b.Dx()], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):], &studioLuma)
	}
	cb, cr := chromaPlanes(m)
	for y := 0; y < cb.h; y++ {
		studio(out.Cb[y*out.CStride:][:cb.w], cb.pix[y*cb.stride:], &studioChroma)
		studio(out.Cr[y*out.CStride:][:cr.w], cr.pix[y*cr.stride:], &studioChroma)
	}
	for i := range out.A {
		out.A[i] = 0xff
	}
	return out
}

// studioLuma and studioChroma map full-range samples to studio swing, rounded.
var studioLuma, studioChroma = func() (l, c [256]uint8) {
	for v := range 256 {
		l[v] = uint8(16 + (v*219+127)/255)
		if d := (v - 128) * 224; d < 0 {
			c[v] = uint8(128 - (-d+127)/255)
		} else {
			c[v] = uint8(128 + (d+127)/255)
		}
	}
	return l, c
}()

func studio(dst, src []uint8, lut *[256]uint8) {
	for i, v := range src[:len(dst)] {
		dst[i] = lut[v]
	}
}
