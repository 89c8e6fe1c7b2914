package imagefile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/imgpipe/imgpipe/internal/testimage"
)

// fakeProfile stands in for an ICC profile: ICC extracts bytes and does not parse them.
func fakeProfile(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// jpegWithICC inserts the profile after SOI as APP2 chunks of at most size bytes, in the order given by seq
// (1-based chunk numbers; a number may repeat or be left out), each declaring count chunks.
func jpegWithICC(jpg, profile []byte, size int, seq []int, count int) []byte {
	var chunks [][]byte
	for len(profile) > 0 {
		n := min(size, len(profile))
		chunks = append(chunks, profile[:n])
		profile = profile[n:]
	}
	if seq == nil {
		for i := range chunks {
			seq = append(seq, i+1)
		}
	}
	if count == 0 {
		count = len(chunks)
	}
	out := append([]byte(nil), jpg[:2]...)
	for _, s := range seq {
		body := append([]byte("ICC_PROFILE\x00"), byte(s), byte(count))
		body = append(body, chunks[s-1]...)
		out = append(out, 0xFF, 0xE2, byte((len(body)+2)>>8), byte(len(body)+2))
		out = append(out, body...)
	}
	return append(out, jpg[2:]...)
}

// pngWithChunk inserts a chunk after IHDR, or after the first IDAT when late.
func pngWithChunk(png []byte, typ string, body []byte, late bool) []byte {
	at := 8 + 25 // signature, IHDR
	if late {
		i := bytes.Index(png, []byte("IDAT")) - 4
		at = i + 12 + int(binary.BigEndian.Uint32(png[i:]))
	}
	c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	c = append(c, typ...)
	c = append(c, body...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	out := append([]byte(nil), png[:at]...)
	out = append(out, c...)
	return append(out, png[at:]...)
}

func iccp(profile []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(profile)
	w.Close()
	return append([]byte("Display P3\x00\x00"), z.Bytes()...)
}

// webpWithICC wraps a simple WebP's image chunk in an extended file with a VP8X header and an ICCP chunk.
func webpWithICC(simple, profile []byte, flag bool) []byte {
	vp8x := make([]byte, 10)
	if flag {
		vp8x[0] = 0x20
	}
	vp8x[4], vp8x[7] = 0, 0 // 1x1 canvas (stored minus one)
	chunk := func(fourcc string, data []byte) []byte {
		c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	body := append([]byte("WEBP"), chunk("VP8X", vp8x)...)
	body = append(body, chunk("ICCP", profile)...)
	body = append(body, simple[12:]...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

func TestICC(t *testing.T) {
	jpg, png, webp := testimage.JPEG(16, 16), testimage.PNG(16, 16, false), testimage.WebP()
	prof := fakeProfile(1000)
	odd := fakeProfile(333)
	bomb := bytes.Repeat([]byte{0}, MaxICCSize+1)
	tests := map[string]struct {
		format Format
		data   []byte
		want   []byte
	}{
		"jpeg one chunk":        {JPEG, jpegWithICC(jpg, prof, 65519, nil, 0), prof},
		"jpeg four chunks":      {JPEG, jpegWithICC(jpg, prof, 256, nil, 0), prof},
		"jpeg chunks reordered": {JPEG, jpegWithICC(jpg, prof, 256, []int{3, 1, 4, 2}, 0), prof},
		"jpeg chunk missing":    {JPEG, jpegWithICC(jpg, prof, 256, []int{1, 2, 4}, 0), nil},
		"jpeg chunk repeated":   {JPEG, jpegWithICC(jpg, prof, 256, []int{1, 2, 2, 3, 4}, 0), nil},
		"jpeg count too high":   {JPEG, jpegWithICC(jpg, prof, 256, nil, 5), nil},
		"jpeg without profile":  {JPEG, jpg, nil},
		"jpeg truncated":        {JPEG, jpegWithICC(jpg, prof, 256, nil, 0)[:600], nil},
		"png iCCP":              {PNG, pngWithChunk(png, "iCCP", iccp(prof), false), prof},
		"png iCCP after IDAT":   {PNG, pngWithChunk(png, "iCCP", iccp(prof), true), nil},
		"png iCCP zlib bomb":    {PNG, pngWithChunk(png, "iCCP", iccp(bomb), false), nil},
		"png iCCP corrupt":      {PNG, pngWithChunk(png, "iCCP", []byte("x\x00\x00garbage"), false), nil},
		"png sRGB chunk":        {PNG, pngWithChunk(png, "sRGB", []byte{0}, false), nil},
		"png without profile":   {PNG, png, nil},
		"webp ICCP":             {WebP, webpWithICC(webp, prof, true), prof},
		"webp ICCP odd size":    {WebP, webpWithICC(webp, odd, true), odd},
		"webp flag not set":     {WebP, webpWithICC(webp, prof, false), nil},
		"webp simple":           {WebP, webp, nil},
		"gif":                   {GIF, testimage.GIF(4, 4), nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ICC(tc.format, tc.data); !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Errorf("got %d bytes, want %d", len(got), len(tc.want))
			}
		})
	}
}

// TestICCFilesStillDecode checks the test files themselves: a file with a profile inserted must still be an
// image Inspect accepts, or the extraction tests would be reading something no decoder produces.
func TestICCFilesStillDecode(t *testing.T) {
	prof := fakeProfile(1000)
	for name, data := range map[string][]byte{
		"jpeg": jpegWithICC(testimage.JPEG(16, 16), prof, 256, nil, 0),
		"png":  pngWithChunk(testimage.PNG(16, 16, false), "iCCP", iccp(prof), false),
		"webp": webpWithICC(testimage.WebP(), prof, true),
	} {
		if _, err := Inspect(data, 0); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzICC checks that no input makes extraction panic or return more than MaxICCSize bytes.
func FuzzICC(f *testing.F) {
	prof := fakeProfile(700)
	f.Add(jpegWithICC(testimage.JPEG(8, 8), prof, 200, nil, 0))
	f.Add(pngWithChunk(testimage.PNG(8, 8, false), "iCCP", iccp(prof), false))
	f.Add(webpWithICC(testimage.WebP(), prof, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{JPEG, PNG, WebP} {
			if got := ICC(format, data); len(got) > MaxICCSize {
				t.Fatalf("%s: %d bytes", format.Name, len(got))
			}
		}
	})
}
