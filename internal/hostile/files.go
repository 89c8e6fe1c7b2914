package hostile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/imgpipe/imgpipe/internal/testimage"
)

// Tools are the external encoders that write what no Go package here does: progressive JPEG, lossless and lossy
// WebP at any size, HEIC and AVIF. A missing one is "".
type Tools struct {
	Convert string // ImageMagick's convert with lcms (testimage.ImageMagick), not /usr/local/bin/convert
	HeifEnc string // heif-enc, from libheif-examples
	AvifEnc string // avifenc, from libavif-bin
}

// FindTools looks the tools up.
func FindTools() Tools {
	var t Tools
	t.Convert, _ = testimage.ImageMagick()
	t.HeifEnc, _ = exec.LookPath("heif-enc")
	t.AvifEnc, _ = exec.LookPath("avifenc")
	return t
}

// MissingToolError is the error of a generator whose tool is missing.
type MissingToolError struct{ Tool, Package string }

func (e *MissingToolError) Error() string {
	return fmt.Sprintf("hostile: %s is missing (apt-get install %s; scripts/test-tools.sh)", e.Tool, e.Package)
}

// Magick renders pic at w x h and converts it with ImageMagick and args into a file of extension ext, in dir
// (which holds the uncompressed picture meanwhile: 150 MB at 50 MP).
func (t Tools) Magick(dir string, w, h int, pic Picture, ext string, args ...string) ([]byte, error) {
	if t.Convert == "" {
		return nil, &MissingToolError{"ImageMagick convert", "imagemagick"}
	}
	in, err := writeTemp(dir, "in-*.ppm", func(f *os.File) error { return PPM(f, w, h, pic) })
	if err != nil {
		return nil, err
	}
	defer os.Remove(in)
	return run(dir, ext, func(out string) *exec.Cmd {
		return exec.Command(t.Convert, append(append([]string{in}, args...), out)...)
	})
}

// HEIC encodes pic (opaque, 8-bit) with heif-enc at quality q and x265's fastest preset.
func (t Tools) HEIC(dir string, w, h int, pic Picture, q int) ([]byte, error) {
	if t.HeifEnc == "" {
		return nil, &MissingToolError{"heif-enc", "libheif-examples"}
	}
	in, err := writeTemp(dir, "in-*.png", func(f *os.File) error {
		return PNG{Width: w, Height: h, ColorType: 2, Depth: 8}.Encode(f, pic)
	})
	if err != nil {
		return nil, err
	}
	defer os.Remove(in)
	return run(dir, ".heic", func(out string) *exec.Cmd {
		return exec.Command(t.HeifEnc, "-q", strconv.Itoa(q), "-p", "preset=ultrafast", "-o", out, in)
	})
}

// AVIF encodes pic (opaque, 8-bit) with avifenc at its fastest speed. avifenc keeps a PNG's full chroma (4:4:4),
// the costliest layout to decode.
func (t Tools) AVIF(dir string, w, h int, pic Picture) ([]byte, error) {
	if t.AvifEnc == "" {
		return nil, &MissingToolError{"avifenc", "libavif-bin"}
	}
	in, err := writeTemp(dir, "in-*.png", func(f *os.File) error {
		return PNG{Width: w, Height: h, ColorType: 2, Depth: 8}.Encode(f, pic)
	})
	if err != nil {
		return nil, err
	}
	defer os.Remove(in)
	return run(dir, ".avif", func(out string) *exec.Cmd {
		return exec.Command(t.AvifEnc, "-s", "10", "-j", "2", "--min", "20", "--max", "40", in, out)
	})
}

func writeTemp(dir, pattern string, write func(*os.File) error) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func run(dir, ext string, cmd func(out string) *exec.Cmd) ([]byte, error) {
	out, err := writeTemp(dir, "out-*"+ext, func(*os.File) error { return nil })
	if err != nil {
		return nil, err
	}
	defer os.Remove(out)
	c := cmd(out)
	if msg, err := c.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", filepath.Base(c.Path), err, msg)
	}
	return os.ReadFile(out)
}

// JPEG encodes pic as a baseline 4:2:0 JPEG with image/jpeg.
func JPEG(w, h int, pic Picture, quality int) ([]byte, error) {
	var b bytes.Buffer
	err := jpeg.Encode(&b, YCbCr(w, h, pic), &jpeg.Options{Quality: quality})
	return b.Bytes(), err
}

// GIF writes a GIF whose logical screen is w x h and whose only frame covers frame, filled with pic's colours
// reduced to a 6x6x6 cube. A frame that does not cover the screen leaves the rest of it transparent.
func GIF(w, h int, frame image.Rectangle, pic Picture) ([]byte, error) {
	pal := make(color.Palette, 0, 216)
	for i := range 216 {
		pal = append(pal, color.RGBA{uint8(i / 36 * 51), uint8(i / 6 % 6 * 51), uint8(i % 6 * 51), 255})
	}
	m := image.NewPaletted(frame, pal)
	s := make([]uint16, 3)
	for y := frame.Min.Y; y < frame.Max.Y; y++ {
		row := m.Pix[m.PixOffset(frame.Min.X, y):]
		for x := frame.Min.X; x < frame.Max.X; x++ {
			pic.At(x, y, s)
			q := func(v uint16) int { return (int(v>>8) + 25) / 51 }
			row[x-frame.Min.X] = uint8(q(s[0])*36 + q(s[1])*6 + q(s[2]))
		}
	}
	var b bytes.Buffer
	err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{m}, Delay: []int{0},
		Config: image.Config{ColorModel: pal, Width: w, Height: h}})
	return b.Bytes(), err
}

// WithAPP1 inserts an APP1 segment with body (which should start "Exif\x00\x00") right after a JPEG's SOI.
func WithAPP1(jpg, body []byte) []byte {
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(body)+2))
	out := append(append([]byte{}, jpg[:2]...), append(seg, body...)...)
	return append(out, jpg[2:]...)
}

// SetJPEGSize rewrites the frame size in a JPEG's SOF segment, leaving everything else as it was: a header that
// declares any size over data that covers none of it.
func SetJPEGSize(jpg []byte, w, h int) ([]byte, error) {
	out := bytes.Clone(jpg)
	for p := 2; p+4 <= len(out) && out[p] == 0xFF; {
		m, n := out[p+1], int(binary.BigEndian.Uint16(out[p+2:]))
		if m >= 0xC0 && m <= 0xC2 {
			binary.BigEndian.PutUint16(out[p+5:], uint16(h))
			binary.BigEndian.PutUint16(out[p+7:], uint16(w))
			return out, nil
		}
		p += 2 + n
	}
	return nil, errors.New("hostile: no SOF segment before the first scan")
}

// ICCPChunk is a PNG iCCP chunk holding profile, deflated.
func ICCPChunk(profile []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(profile)
	zw.Close()
	return Chunk("iCCP", append([]byte("profile\x00\x00"), z.Bytes()...))
}

// CutIDAT returns a PNG whose image data stops after keep bytes of its first IDAT chunk (the chunk's length and
// CRC rewritten to match) and whose later IDAT chunks are dropped, IEND kept: a file every header check accepts
// and whose decoder allocates the whole frame before it finds the data missing.
func CutIDAT(p []byte, keep int) ([]byte, error) {
	out := append([]byte{}, p[:8]...)
	cut := false
	for q := 8; q+12 <= len(p); {
		n := int(binary.BigEndian.Uint32(p[q:]))
		typ := string(p[q+4 : q+8])
		if q+12+n > len(p) {
			return nil, errors.New("hostile: PNG chunk runs past the end")
		}
		switch {
		case typ == "IDAT" && !cut:
			out = append(out, Chunk("IDAT", p[q+8:q+8+min(keep, n)])...)
			cut = true
		case typ == "IDAT":
		default:
			out = append(out, p[q:q+12+n]...)
		}
		q += 12 + n
	}
	if !cut {
		return nil, errors.New("hostile: no IDAT chunk")
	}
	return out, nil
}
