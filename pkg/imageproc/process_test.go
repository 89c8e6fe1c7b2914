package imageproc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// TestSizes checks the plan end to end: never wider than the upright source, the aspect ratio kept to within a
// pixel, and the derivatives returned in the configured order, each named by its configured width.
func TestSizes(t *testing.T) {
	tests := map[string]struct {
		w, h, orientation int
		widths            []int
		want              [][2]int
	}{
		"smaller than every width": {300, 200, 1, testWidths, [][2]int{{300, 200}, {300, 200}, {300, 200}}},
		"smaller than two widths":  {500, 300, 1, testWidths, [][2]int{{500, 300}, {500, 300}, {320, 192}}},
		"turned by EXIF":           {300, 500, 6, testWidths, [][2]int{{500, 300}, {500, 300}, {320, 192}}},
		"between widths":           {1000, 750, 1, testWidths, [][2]int{{1000, 750}, {640, 480}, {320, 240}}},
		"larger than every width":  {2100, 1400, 1, testWidths, [][2]int{{1920, 1280}, {640, 427}, {320, 213}}},
		"portrait":                 {900, 2000, 1, testWidths, [][2]int{{900, 2000}, {640, 1422}, {320, 711}}},
		"smallest first":           {2100, 1400, 1, []int{320, 1920, 640}, [][2]int{{320, 213}, {1920, 1280}, {640, 427}}},
		"a thin strip keeps 1 px":  {2000, 3, 1, []int{320}, [][2]int{{320, 1}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			data := withEXIF(encodeJPEG(t, scene(tc.w, tc.h), 90), tc.orientation, false)
			res := process(t, data, tc.widths...)
			for i, d := range res.Outputs {
				if d.Target.Width != tc.widths[i] {
					t.Errorf("derivative %d has target width %d, want %d", i, d.Target.Width, tc.widths[i])
				}
				if d.Width != tc.want[i][0] || d.Height != tc.want[i][1] {
					t.Errorf("derivative %d is %dx%d, want %dx%d", d.Target.Width, d.Width, d.Height,
						tc.want[i][0], tc.want[i][1])
				}
				decodeDerivative(t, d) // the encoded size must match the declared one
			}
		})
	}
}

// TestMetadataStripped feeds a JPEG with an EXIF block holding GPS coordinates and a PNG with text chunks, and
// walks the structure of every derivative: only JFIF may appear among JPEG application segments, and a PNG may
// carry nothing but pixel chunks.
func TestMetadataStripped(t *testing.T) {
	jpg := withEXIF(encodeJPEG(t, scene(800, 600), 90), 6, true)
	if !bytes.Contains(jpg, []byte("GPS")) && !bytes.Contains(jpg, []byte{0x25, 0x88}) {
		t.Fatal("the source does not carry the GPS IFD the test relies on")
	}
	for _, d := range process(t, jpg).Outputs {
		for _, seg := range jpegSegments(t, d.Data) {
			if seg.marker >= 0xE1 && seg.marker <= 0xEF || seg.marker == 0xFE ||
				seg.marker == 0xE0 && !bytes.HasPrefix(seg.body, []byte("JFIF\x00")) {
				t.Errorf("derivative %d carries segment FF%02X", d.Target.Width, seg.marker)
			}
		}
	}

	src := scene(400, 300)
	src.Pix[3] = 0 // one transparent pixel makes it RGBA
	pngData := withPNGChunk(t, encodePNG(t, src), "tEXt", []byte("GPS\x0048.8582N 2.2945E"))
	pngData = withPNGChunk(t, pngData, "eXIf", []byte("MM\x00*\x00\x00\x00\x08\x00\x00"))
	res := process(t, pngData)
	wantFormat(t, res, imagefile.PNG)
	allowed := map[string]bool{"IHDR": true, "PLTE": true, "tRNS": true, "IDAT": true, "IEND": true}
	for _, d := range res.Outputs {
		for _, typ := range pngChunks(t, d.Data) {
			if !allowed[typ] {
				t.Errorf("derivative %d carries chunk %s", d.Target.Width, typ)
			}
		}
	}
}

type jpegSegment struct {
	marker byte
	body   []byte
}

// jpegSegments lists the marker segments before the first scan.
func jpegSegments(t *testing.T, data []byte) []jpegSegment {
	t.Helper()
	var segs []jpegSegment
	for p := 2; p+4 <= len(data); {
		if data[p] != 0xFF {
			t.Fatalf("no marker at offset %d", p)
		}
		m := data[p+1]
		n := int(data[p+2])<<8 | int(data[p+3])
		if p+2+n > len(data) {
			t.Fatalf("segment FF%02X runs past the end", m)
		}
		segs = append(segs, jpegSegment{m, data[p+4 : p+2+n]})
		if m == 0xDA {
			return segs
		}
		p += 2 + n
	}
	t.Fatal("no scan")
	return nil
}

// withPNGChunk inserts a chunk after IHDR.
func withPNGChunk(t *testing.T, data []byte, typ string, body []byte) []byte {
	t.Helper()
	const afterIHDR = 8 + 12 + 13
	chunk := []byte{byte(len(body) >> 24), byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	chunk = append(chunk, typ...)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append([]byte{}, data[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, data[afterIHDR:]...)
}

// pngChunks lists the chunk types of a PNG.
func pngChunks(t *testing.T, data []byte) []string {
	t.Helper()
	var types []string
	for p := 8; p+8 <= len(data); {
		n := int(data[p])<<24 | int(data[p+1])<<16 | int(data[p+2])<<8 | int(data[p+3])
		types = append(types, string(data[p+4:p+8]))
		p += 12 + n
	}
	return types
}

// TestCorruptPixels damages the pixel data of files whose headers stay valid, so Inspect accepts them and only the
// decoder can tell: Process must then return ErrDecode, which the caller treats as a property of the image.
func TestCorruptPixels(t *testing.T) {
	jpg := encodeJPEG(t, scene(640, 480), 90)
	sos := bytes.Index(jpg, []byte{0xFF, 0xDA})
	badJPEG := append([]byte{}, jpg[:sos+14]...) // SOS header of a 3-component scan is 14 bytes
	for range 200 {
		badJPEG = append(badJPEG, 0xFF, 0x00) // all one bits: not a valid Huffman code
	}
	badJPEG = append(badJPEG, 0xFF, 0xD9)

	pngData := encodePNG(t, scene(64, 48))
	idat := bytes.Index(pngData, []byte("IDAT"))
	badPNG := append([]byte{}, pngData...)
	for i := idat + 6; i < idat+40; i++ {
		badPNG[i] ^= 0x5A
	}

	tests := map[string]struct {
		data   []byte
		widths []int
	}{
		"jpeg":         {badJPEG, testWidths},
		"jpeg reduced": {badJPEG, []int{100}},
		"png":          {badPNG, testWidths},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := imagefile.Inspect(tc.data, 0); err != nil {
				t.Fatalf("the header must stay valid: %v", err)
			}
			_, err := Process(context.Background(), tc.data, Request{Targets: Widths(tc.widths, 80)})
			if !errors.Is(err, ErrDecode) {
				t.Errorf("got %v, want ErrDecode", err)
			}
		})
	}
}

// TestPixelLimit checks that the header limit is applied before any decoding.
func TestPixelLimit(t *testing.T) {
	_, err := Process(context.Background(), encodeJPEG(t, image.NewGray(image.Rect(0, 0, 100, 100)), 80),
		Request{Targets: Widths(testWidths, 80), Limits: budget.Limits{MaxPixels: 9999}})
	if !errors.Is(err, imagefile.ErrTooManyPixels) {
		t.Errorf("got %v, want ErrTooManyPixels", err)
	}
}
