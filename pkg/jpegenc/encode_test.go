package jpegenc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// sizes covers the edge cases of the MCU grid: a single pixel, sizes below, at and just above a block and an MCU,
// odd chroma, and strips as long as JPEG allows in one direction and one pixel in the other.
var sizes = []image.Point{
	{1, 1}, {7, 3}, {8, 8}, {17, 9}, {16, 16}, {15, 17}, {33, 31}, {64, 48}, {4000, 1}, {1, 4000}, {321, 213},
}

// The standard library's entropy-coded data and tables, given the same 4:2:0 frame: identical coefficients, so
// identical pixels for every decoder. Origins are varied too (even, as the chroma grid requires for an exact
// match; odd ones are tested below).
func TestMatchesStdlib420(t *testing.T) {
	for _, sz := range sizes {
		for _, min := range []image.Point{{0, 0}, {2, 4}, {10, 2}} {
			for _, q := range []int{1, 25, 50, 82, 100} {
				r := image.Rectangle{Min: min, Max: min.Add(sz)}
				t.Run(fmt.Sprintf("%v/q%d", r, q), func(t *testing.T) {
					m := photo(r, image.YCbCrSubsampleRatio420, uint64(sz.X*7+sz.Y))
					matchStdlib(t, m, q)
				})
			}
		}
	}
}

// matchStdlib checks that the scan and tables equal image/jpeg's, and that our file has the JFIF header and
// image/jpeg's decoder reads back exactly what it reads from its own file.
func matchStdlib(t *testing.T, m image.Image, q int) {
	t.Helper()
	ours, theirs := encodeT(t, m, Options{Quality: q}), stdlibT(t, m, q)
	so, st := parse(t, ours), parse(t, theirs)
	if !so.app0 {
		t.Errorf("no JFIF APP0")
	}
	if !bytes.Equal(so.dqt[0], st.dqt[0]) || (len(so.sampling) == 3 && !bytes.Equal(so.dqt[1], st.dqt[1])) {
		t.Errorf("quantisation tables differ:\n%v\n%v", so.dqt, st.dqt)
	}
	if !bytes.Equal(so.sampling, st.sampling) {
		t.Errorf("sampling factors %x, image/jpeg %x", so.sampling, st.sampling)
	}
	if !bytes.Equal(so.scan, st.scan) {
		t.Errorf("scan differs from image/jpeg's: %d vs %d bytes, first difference at %d", len(so.scan), len(st.scan), firstDiff(so.scan, st.scan))
	}
	if d := samePixels(decodeT(t, ours), decodeT(t, theirs)); d != "" {
		t.Errorf("decoded pixels differ from image/jpeg's: %s", d)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Every quality, on small frames of each kind: the tables' scaling and clamping at both ends of the scale.
func TestAllQualities(t *testing.T) {
	col := photo(image.Rect(0, 0, 23, 19), image.YCbCrSubsampleRatio420, 1)
	grey := greyPhoto(image.Rect(0, 0, 13, 21), 2)
	for q := 1; q <= 100; q++ {
		t.Run(fmt.Sprint(q), func(t *testing.T) {
			matchStdlib(t, col, q)
			matchStdlib(t, grey, q)
			for _, m := range []image.Image{col, grey} {
				plain, opt := encodeT(t, m, Options{Quality: q}), encodeT(t, m, Options{Quality: q, Optimize: true})
				if d := samePixels(decodeT(t, plain), decodeT(t, opt)); d != "" {
					t.Errorf("%T: Optimize changed the pixels: %s", m, d)
				}
			}
		})
	}
}

func greyPhoto(r image.Rectangle, seed uint64) *image.Gray {
	c := photo(r, image.YCbCrSubsampleRatio444, seed)
	return &image.Gray{Pix: c.Y, Stride: c.YStride, Rect: c.Rect}
}

func TestMatchesStdlibGray(t *testing.T) {
	for _, sz := range sizes {
		for _, min := range []image.Point{{0, 0}, {3, 5}} {
			r := image.Rectangle{Min: min, Max: min.Add(sz)}
			t.Run(r.String(), func(t *testing.T) {
				m := greyPhoto(r, uint64(sz.X+sz.Y))
				matchStdlib(t, m, 82)
				if s := parse(t, encodeT(t, m, Options{Quality: 82})); len(s.dqt) != 1 || len(s.sampling) != 1 {
					t.Errorf("grey file has %d quantisation tables, %d components; want 1 and 1", len(s.dqt), len(s.sampling))
				}
			})
		}
	}
}

// Optimize changes only the entropy coding: the same pixels, in fewer bytes.
func TestOptimize(t *testing.T) {
	ratios := map[string]image.YCbCrSubsampleRatio{
		"420": image.YCbCrSubsampleRatio420, "422": image.YCbCrSubsampleRatio422, "444": image.YCbCrSubsampleRatio444,
		"440": image.YCbCrSubsampleRatio440, "411": image.YCbCrSubsampleRatio411, "410": image.YCbCrSubsampleRatio410,
	}
	for name, ratio := range ratios {
		for _, sz := range sizes {
			for _, q := range []int{10, 82, 100} {
				t.Run(fmt.Sprintf("%s/%v/q%d", name, sz, q), func(t *testing.T) {
					m := photo(image.Rectangle{Max: sz}, ratio, 3)
					plain, opt := encodeT(t, m, Options{Quality: q}), encodeT(t, m, Options{Quality: q, Optimize: true})
					if d := samePixels(decodeT(t, plain), decodeT(t, opt)); d != "" {
						t.Fatalf("Optimize changed the pixels: %s", d)
					}
					// Fitted tables also list only the symbols used, so even a 1x1 frame shrinks (by most of the
					// 420 bytes of the spec's tables).
					if len(opt) >= len(plain) {
						t.Errorf("optimised %d bytes, standard tables %d", len(opt), len(plain))
					}
				})
			}
		}
	}
}

// Every subsampling is written with its own sampling factors, and decodes to the layout it came from and to
// pixels close to the source's.
func TestSubsamplings(t *testing.T) {
	cases := map[image.YCbCrSubsampleRatio]string{
		image.YCbCrSubsampleRatio444: "\x11\x11\x11", image.YCbCrSubsampleRatio422: "\x21\x11\x11",
		image.YCbCrSubsampleRatio420: "\x22\x11\x11", image.YCbCrSubsampleRatio440: "\x12\x11\x11",
		image.YCbCrSubsampleRatio411: "\x41\x11\x11", image.YCbCrSubsampleRatio410: "\x42\x11\x11",
	}
	for ratio, want := range cases {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%v/%v", ratio, sz), func(t *testing.T) {
				m := photo(image.Rectangle{Min: image.Pt(4, 2), Max: image.Pt(4, 2).Add(sz)}, ratio, 5)
				data := encodeT(t, m, Options{Quality: 100, Optimize: true})
				if got := string(parse(t, data).sampling); got != want {
					t.Fatalf("sampling %x, want %x", got, want)
				}
				d, ok := decodeT(t, data).(*image.YCbCr)
				if !ok || d.SubsampleRatio != ratio || d.Bounds().Size() != sz {
					t.Fatalf("decoded %T %v", d, d.Bounds())
				}
				if p := planePSNR(m, d); p < 38 {
					t.Errorf("PSNR %.1f dB against the source at quality 100", p)
				}
			})
		}
	}
}

// An origin off the chroma grid has its chroma resampled onto the output's grid, as image/jpeg resamples it: luma
// is coded identically, chroma within rounding of the padding at the right and bottom edges.
func TestOddOrigin(t *testing.T) {
	for _, min := range []image.Point{{1, 0}, {0, 1}, {3, 5}, {-3, -2}} {
		for _, sz := range sizes {
			r := image.Rectangle{Min: min, Max: min.Add(sz)}
			t.Run(r.String(), func(t *testing.T) {
				m := photo(r, image.YCbCrSubsampleRatio420, 9)
				ours, theirs := decodeT(t, encodeT(t, m, Options{Quality: 90})).(*image.YCbCr), decodeT(t, stdlibT(t, m, 90)).(*image.YCbCr)
				if !bytes.Equal(ours.Y, theirs.Y) {
					t.Errorf("luma differs from image/jpeg's")
				}
				// An 8x8 frame's chroma block is half padding, so there the padding's difference shows most.
				if p := planePSNR(ours, theirs); p < 40 {
					t.Errorf("PSNR %.1f dB against image/jpeg's decode", p)
				}
			})
		}
	}
}

// Types without planes are converted as image/jpeg converts them: for a frame of whole MCUs the files' scans are
// identical; at other sizes only the padding of the edge MCUs differs, so the pixels are within rounding.
func TestOtherTypes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range []image.Point{{32, 48}, {17, 9}, {1, 1}, {30, 2}} {
		rgba := image.NewRGBA(image.Rectangle{Min: image.Pt(1, 3), Max: image.Pt(1, 3).Add(sz)})
		for i := range rgba.Pix {
			rgba.Pix[i] = byte(rng.Uint32()>>28) + byte(i/4%64)
			if i%4 == 3 {
				rgba.Pix[i] = 255
			}
		}
		nrgba := image.NewNRGBA(rgba.Rect)
		copy(nrgba.Pix, rgba.Pix)
		translucent := image.NewNRGBA(rgba.Rect)
		copy(translucent.Pix, rgba.Pix)
		for i := 3; i < len(translucent.Pix); i += 4 {
			translucent.Pix[i] = byte(rng.Uint32())
		}
		cmyk := image.NewCMYK(rgba.Rect)
		copy(cmyk.Pix, rgba.Pix)
		for name, m := range map[string]image.Image{"rgba": rgba, "nrgba": nrgba, "translucent": translucent, "cmyk": cmyk} {
			t.Run(fmt.Sprintf("%s/%v", name, sz), func(t *testing.T) {
				if sz.X%16 == 0 && sz.Y%16 == 0 {
					matchStdlib(t, m, 82)
					return
				}
				ours, theirs := decodeT(t, encodeT(t, m, Options{Quality: 82})).(*image.YCbCr), decodeT(t, stdlibT(t, m, 82)).(*image.YCbCr)
				if !bytes.Equal(ours.Y, theirs.Y) {
					t.Errorf("luma differs from image/jpeg's")
				}
				if p := planePSNR(ours, theirs); p < 45 {
					t.Errorf("PSNR %.1f dB against image/jpeg's decode", p)
				}
			})
		}
	}
}

func TestErrors(t *testing.T) {
	short := image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio420)
	short.Cr = short.Cr[:10]
	narrow := image.NewGray(image.Rect(0, 0, 16, 16))
	narrow.Stride = 8
	cases := map[string]struct {
		m    image.Image
		want error
	}{
		"empty":       {image.NewYCbCr(image.Rect(0, 0, 0, 5), image.YCbCrSubsampleRatio420), ErrSize},
		"empty gray":  {image.NewGray(image.Rect(3, 3, 3, 3)), ErrSize},
		"too wide":    {image.NewGray(image.Rect(0, 0, 65536, 1)), ErrSize},
		"too tall":    {&image.RGBA{Rect: image.Rect(0, 0, 1, 65536)}, ErrSize},
		"short plane": {short, ErrPlanes},
		"stride":      {narrow, ErrPlanes},
		"ratio":       {&image.YCbCr{SubsampleRatio: 99, Rect: image.Rect(0, 0, 1, 1), Y: []byte{0}, Cb: []byte{0}, Cr: []byte{0}, YStride: 1, CStride: 1}, ErrPlanes},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, c.m, Options{Quality: 82}); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes for a failed encode", buf.Len())
			}
		})
	}
	// The largest width JPEG can hold is written.
	m := image.NewGray(image.Rect(0, 0, 65535, 1))
	for i := range m.Pix {
		m.Pix[i] = byte(i)
	}
	if d := decodeT(t, encodeT(t, m, Options{Quality: 50, Optimize: true})); d.Bounds().Dx() != 65535 {
		t.Errorf("decoded width %d", d.Bounds().Dx())
	}
	t.Run("65535x3 4:2:0", func(t *testing.T) {
		matchStdlib(t, photo(image.Rect(0, 0, 65535, 3), image.YCbCrSubsampleRatio420, 1), 82)
	})
}

// Pure noise at quality 100 is the worst case for the coder: every coefficient non-zero, the longest codes, and
// 0xFF bytes to stuff everywhere.
func TestNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := noise(image.Rect(0, 0, 67, 45), image.YCbCrSubsampleRatio420, rng)
	matchStdlib(t, m, 100)
	matchStdlib(t, m, 1)
	plain, opt := encodeT(t, m, Options{Quality: 100}), encodeT(t, m, Options{Quality: 100, Optimize: true})
	if d := samePixels(decodeT(t, plain), decodeT(t, opt)); d != "" {
		t.Errorf("Optimize changed the pixels: %s", d)
	}
	// A flat frame is the other extreme: one DC symbol and EOB only, tables of a single code each.
	flat := image.NewGray(image.Rect(0, 0, 40, 40))
	for i := range flat.Pix {
		flat.Pix[i] = 200
	}
	d := decodeT(t, encodeT(t, flat, Options{Quality: 82, Optimize: true})).(*image.Gray)
	if d.GrayAt(39, 39) != (color.Gray{200}) {
		t.Errorf("flat frame decodes to %v", d.GrayAt(39, 39))
	}
}

// With Optimize, a block wholly outside its plane is two symbols, DC difference 0 and EOB, as libjpeg codes it;
// without, it is image/jpeg's repeated edge pixels.
func TestDummyBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	m := noise(image.Rect(0, 0, 16, 8), image.YCbCrSubsampleRatio420, rng) // luma blocks 2 and 3 are below the frame
	for _, dummy := range []bool{false, true} {
		planes, err := ycbcrPlanes(m)
		if err != nil {
			t.Fatal(err)
		}
		tables := scaledQuant(90)
		for i := range planes {
			planes[i].table = 2 * min(i, 1)
			planes[i].quantizer = newQuantizer(&tables[min(i, 1)])
		}
		s := newScan(planes, 16, 8)
		s.dummy = dummy
		toks := s.parts(1, 0, false)[0].toks
		// Split the tokens into blocks: a DC token, then AC tokens up to EOB or the 63rd coefficient.
		var blocks [][]token
		for i := 0; i < len(toks); {
			start, k := i, 0
			i++
			for k < 63 && i < len(toks) {
				sym := toks[i] >> 16 & 0xff
				i++
				if sym == 0 {
					break
				}
				k += int(sym>>4) + 1
			}
			blocks = append(blocks, toks[start:i])
		}
		if len(blocks) != 6 {
			t.Fatalf("%d blocks, want 6", len(blocks))
		}
		for b := 2; b <= 3; b++ {
			isDummy := len(blocks[b]) == 2 && blocks[b][0] == tableLumaDC<<24 && blocks[b][1] == tableLumaAC<<24
			if isDummy != dummy {
				t.Errorf("dummy=%v: block %d is %x", dummy, b, blocks[b])
			}
		}
	}
}

// Tokenising in parts, concurrently, gives the same file as one pass, whatever the number of parts: the DC
// predictions across the seams are recoded. Sizes where parts get a single MCU row, or unequal ones, included.
func TestPartsSameFile(t *testing.T) {
	defer func(w func(int, int) int) { workers = w }(workers)
	frames := map[string]image.Image{
		"420":  photo(image.Rect(0, 0, 333, 211), image.YCbCrSubsampleRatio420, 4),
		"444":  photo(image.Rect(2, 2, 90, 47), image.YCbCrSubsampleRatio444, 5),
		"410":  photo(image.Rect(0, 0, 77, 30), image.YCbCrSubsampleRatio410, 6),
		"gray": greyPhoto(image.Rect(0, 0, 45, 61), 7),
	}
	for name, m := range frames {
		for _, opt := range []bool{false, true} {
			workers = func(int, int) int { return 1 }
			want := encodeT(t, m, Options{Quality: 75, Optimize: opt})
			for n := 2; n <= 9; n++ {
				workers = func(_, rows int) int { return min(n, rows) }
				if got := encodeT(t, m, Options{Quality: 75, Optimize: opt}); !bytes.Equal(got, want) {
					t.Errorf("%s optimize=%v: %d parts give a different file (%d vs %d bytes)", name, opt, n, len(got), len(want))
				}
			}
		}
	}
}
