package jpegenc

import (
	"bytes"
	"image"
	"testing"
)

var fuzzRatios = []image.YCbCrSubsampleRatio{
	image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
	image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
}

// FuzzEncode encodes frames of random size, origin, layout, quality and contents: image/jpeg must decode every
// file to the right size, Optimize must not change a pixel, and a 4:2:0 frame on the chroma grid must give
// image/jpeg's scan exactly.
//
//	go test -run '^$' -fuzz FuzzEncode -fuzztime 5m ./pkg/jpegenc/
func FuzzEncode(f *testing.F) {
	f.Add(uint16(1), uint16(1), byte(0), byte(82), byte(0), byte(0), []byte{0})
	f.Add(uint16(17), uint16(9), byte(0), byte(100), byte(2), byte(4), []byte{0, 255, 17, 3, 250})
	f.Add(uint16(33), uint16(7), byte(1), byte(1), byte(3), byte(1), []byte{128})
	f.Add(uint16(300), uint16(2), byte(6), byte(50), byte(1), byte(1), []byte{0xff, 0xff, 0, 0})
	f.Fuzz(func(t *testing.T, w, h uint16, kind, quality byte, mx, my byte, data []byte) {
		w, h = w%512+1, h%256+1
		if len(data) == 0 {
			data = []byte{0}
		}
		// Non-negative origins: image.NewYCbCr sizes chroma by truncating division, which leaves some rectangles
		// with negative coordinates without the chroma rows they need (an image no encoder can read).
		min := image.Pt(int(mx), int(my))
		r := image.Rectangle{Min: min, Max: min.Add(image.Pt(int(w), int(h)))}
		q := int(quality)%100 + 1
		// The planes repeat data, shifted on each repeat so that long planes do not just tile.
		fill := func(p []byte) {
			for i := range p {
				p[i] = data[i%len(data)] + byte(i/len(data)*int(data[0]|1))
			}
		}
		var m image.Image
		if int(kind)%(len(fuzzRatios)+1) == len(fuzzRatios) {
			g := image.NewGray(r)
			fill(g.Pix)
			m = g
		} else {
			c := image.NewYCbCr(r, fuzzRatios[int(kind)%(len(fuzzRatios)+1)])
			fill(c.Y)
			fill(c.Cb)
			fill(c.Cr)
			m = c
		}
		var plain, opt bytes.Buffer
		if err := Encode(&plain, m, Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		if err := Encode(&opt, m, Options{Quality: q, Optimize: true}); err != nil {
			t.Fatal(err)
		}
		dp, do := decodeT(t, plain.Bytes()), decodeT(t, opt.Bytes())
		if dp.Bounds().Size() != r.Size() || do.Bounds().Size() != r.Size() {
			t.Fatalf("decoded %v and %v, want %v", dp.Bounds(), do.Bounds(), r.Size())
		}
		if d := samePixels(dp, do); d != "" {
			t.Fatalf("Optimize changed the pixels: %s", d)
		}
		if c, ok := m.(*image.YCbCr); ok && c.SubsampleRatio == image.YCbCrSubsampleRatio420 && min.X%2 == 0 && min.Y%2 == 0 {
			if !bytes.Equal(parse(t, plain.Bytes()).scan, parse(t, stdlibT(t, m, q)).scan) {
				t.Fatalf("scan differs from image/jpeg's")
			}
		}
	})
}
