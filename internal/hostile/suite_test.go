package hostile

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/testimage"
)

// input is one file of the hostile suite and what the resize function must make of it.
type input struct {
	name string
	make generator
	// want is the derivative job's outcome: "ready", or the code of the 4xx error it must be refused with.
	want string
	// upright, when set, is the upright size the derivatives must have been made from (EXIF cases).
	upright image.Point
	// check, when set, looks at the derivative job's outputs.
	check func(t *testing.T, outs []ReportedOutput)
	// slow inputs take 10-40 s each to make and process on two busy cores; -short skips them.
	slow bool
}

func slow(in input) input {
	in.slow = true
	return in
}

// worst is an input of format f at the largest 3:2 size the budget admits (50 MP when the budget is not what
// binds), and over is one 2% beyond it in pixels, which must be refused before decoding.
func worst(f format) input {
	return input{name: f.name + " at the largest admitted size", want: "ready",
		make: func(g gen) ([]byte, error) { return largestFile(g, f) }}
}

func over(f format) input {
	return input{name: f.name + " 2% over the largest admitted size", want: "over_budget",
		make: func(g gen) ([]byte, error) { return overFile(g, f) }}
}

func at(f format, w, h int, want string) input {
	return input{name: fmt.Sprintf("%s %dx%d", f.name, w, h), want: want, make: func(g gen) ([]byte, error) {
		return f.make(g, w, h)
	}}
}

func fixed(name, want string, mk func() ([]byte, error)) input {
	return input{name: name, want: want, make: func(gen) ([]byte, error) { return mk() }}
}

// hostileInputs are the suite: each input at the worst size the limits admit, or just past them.
func hostileInputs() []input {
	rgbaStrip := func(w, h int, pic Picture, chunks ...[]byte) func() ([]byte, error) {
		return func() ([]byte, error) {
			return PNGBytes(PNG{Width: w, Height: h, ColorType: 6, Depth: 8, Chunks: chunks}, pic)
		}
	}
	in := []input{
		// 194 KB that once took 5 GB: refused by MAX_SIDE from the header.
		fixed("PNG RGBA strip 50000000x1", "too_wide", rgbaStrip(50_000_000, 1, Uniform{0, 40000, 65535, 65535})),
		fixed("PNG RGBA strip 20000x2500", "ready", rgbaStrip(20000, 2500, smooth(20000, 2500))),
		// Turned upright, the strip is 2500 wide and 20000 tall, and the 1920 px derivative 1920x15360: its
		// outputs, not its decode, are over the budget.
		fixed("PNG RGBA strip 20000x2500, eXIf orientation 6", "over_budget",
			rgbaStrip(20000, 2500, smooth(20000, 2500), Chunk("eXIf", testimage.ExifTIFF(6)))),
		slow(at(baselineJPEG, 2500, 20000, "ready")), // a 1920x15360 derivative
		at(png16, W50, H50, "ready"),
		at(png8i, W50, H50, "ready"),
		worst(png16i),
		at(png16i, W50, H50, "over_budget"),
		slow(worst(png16P3)),
		at(progressiveJPEG, W50, H50, "ready"),
		slow(at(progressiveCMYK, W50, H50, "ready")),
		fixed("PNG 50 MP RGBA, image data cut to 64 KB, IEND kept", "corrupt", func() ([]byte, error) {
			p, err := PNGBytes(PNG{Width: W50, Height: H50, ColorType: 6, Depth: 8}, smooth(W50, H50))
			if err != nil {
				return nil, err
			}
			return CutIDAT(p, 64<<10)
		}),
		fixed("PNG with a 64 MB zlib-bomb iCCP profile", "ready", func() ([]byte, error) {
			return PNGWithChunk(testimage.PNG(640, 480, false), ICCPChunk(make([]byte, 64<<20))), nil
		}),
		fixed("JPEG scan bomb 50 MP, 40000 empty scans", "too_many_scans", func() ([]byte, error) {
			return testimage.ScanBomb(W50, H50, 40000), nil
		}),
		fixed("JPEG scan bomb 50 MP, 1000 empty scans", "ready", func() ([]byte, error) {
			return testimage.ScanBomb(W50, H50, 1000), nil
		}),
		{name: "GIF 50 MP screen, 6000x3500 frame offset to (2000,1500)", want: "ready",
			make: func(gen) ([]byte, error) {
				return GIF(W50, H50, image.Rect(2000, 1500, 8000, 5000), Uniform{200 << 8, 30 << 8, 30 << 8, 65535})
			},
			check: checkOffsetGIF},
		fixed("GIF frame of 16000x16000 on a 100x100 screen", "corrupt", func() ([]byte, error) {
			g, err := GIF(100, 100, image.Rect(0, 0, 100, 100), Uniform{})
			if err != nil {
				return nil, err
			}
			// The logical screen, which is what the header check reads, stays 100x100.
			return setGIFFrameSize(g, 16000, 16000)
		}),
		slow(worst(webpLossless)),
		fixed("WebP 100x100 canvas over a 16383x16383 lossless bitstream", "corrupt", func() ([]byte, error) {
			return webpCanvasMismatch(100, 100, 16383, 16383), nil
		}),
		slow(worst(heic)),
		slow(over(heic)),
		slow(worst(avif)),
		slow(over(avif)),
		fixed("JPEG header 65535x65535", "too_many_pixels", func() ([]byte, error) {
			return SetJPEGSize(testimage.JPEG(64, 64), 65535, 65535)
		}),
		fixed("PNG header 2147483647x1", "too_many_pixels", func() ([]byte, error) {
			p := testimage.PNG(64, 64, false)
			return setPNGSize(p, 1<<31-1, 1), nil
		}),
		fixed("JPEG cut off in its scan", "truncated", func() ([]byte, error) {
			j := testimage.JPEG(640, 480)
			return j[:len(j)*2/3], nil
		}),
		fixed("PNG without IEND", "truncated", func() ([]byte, error) {
			p := testimage.PNG(640, 480, true)
			return p[:len(p)-12], nil
		}),
	}
	// Hostile EXIF on a 640x480 photo, in each container that carries it.
	jpg := testimage.JPEG(640, 480)
	for _, e := range HostileEXIFs() {
		up := image.Pt(640, 480)
		if e.Orientation >= 5 {
			up = image.Pt(480, 640)
		}
		in = append(in, input{name: "JPEG EXIF " + e.Name, want: "ready", upright: up,
			make: func(gen) ([]byte, error) {
				return WithAPP1(jpg, append([]byte("Exif\x00\x00"), e.TIFF...)), nil
			}})
		if strings.Contains(e.Name, "loop") || strings.Contains(e.Name, "5400") || strings.Contains(e.Name, "65535") {
			in = append(in, input{name: "PNG eXIf " + e.Name, want: "ready", upright: up,
				make: func(gen) ([]byte, error) {
					return PNGWithChunk(testimage.PNG(640, 480, true), Chunk("eXIf", e.TIFF)), nil
				}},
				input{name: "WebP EXIF " + e.Name, want: "ready", upright: image.Pt(1, 1),
					make: func(gen) ([]byte, error) {
						return WebPWithEXIF(testimage.WebP(), 1, 1, e.TIFF), nil
					}})
		}
	}
	return in
}

// setGIFFrameSize rewrites the size of a GIF's first image descriptor.
func setGIFFrameSize(g []byte, w, h int) ([]byte, error) {
	out := bytes.Clone(g)
	p := 13
	if out[10]&0x80 != 0 {
		p += 3 << (out[10]&7 + 1)
	}
	for p < len(out) && out[p] == 0x21 { // extensions: introducer, label, sub-blocks
		p += 2
		for p < len(out) && out[p] != 0 {
			p += int(out[p]) + 1
		}
		p++
	}
	if p+9 > len(out) || out[p] != 0x2C {
		return nil, fmt.Errorf("hostile: no image descriptor at %d", p)
	}
	binary.LittleEndian.PutUint16(out[p+5:], uint16(w))
	binary.LittleEndian.PutUint16(out[p+7:], uint16(h))
	return out, nil
}

// setPNGSize rewrites the size in a PNG's IHDR and its CRC.
func setPNGSize(p []byte, w, h uint32) []byte {
	out := bytes.Clone(p)
	binary.BigEndian.PutUint32(out[16:], w)
	binary.BigEndian.PutUint32(out[20:], h)
	ihdr := Chunk("IHDR", out[16:29])
	copy(out[8:], ihdr)
	return out
}

// webpCanvasMismatch is an extended WebP whose canvas (what the header check reads) is cw x ch and whose lossless
// bitstream declares w x h: a decoder that trusted the bitstream would allocate 4*w*h bytes.
func webpCanvasMismatch(cw, ch, w, h int) []byte {
	le := binary.LittleEndian
	vp8x := append([]byte("VP8X\x0a\x00\x00\x00\x00\x00\x00\x00"), byte(cw-1), byte((cw-1)>>8), byte((cw-1)>>16),
		byte(ch-1), byte((ch-1)>>8), byte((ch-1)>>16))
	bits := uint32(w-1) | uint32(h-1)<<14
	vp8l := append([]byte{0x2f}, le.AppendUint32(nil, bits)...)
	vp8l = append(vp8l, make([]byte, 64)...)
	chunk := append(append([]byte("VP8L"), le.AppendUint32(nil, uint32(len(vp8l)))...), vp8l...)
	body := append(append([]byte("WEBP"), vp8x...), chunk...)
	return append(append([]byte("RIFF"), le.AppendUint32(nil, uint32(len(body)))...), body...)
}

// checkOffsetGIF: the frame of the offset GIF sits where it was placed on its screen, and the rest of the
// screen, transparent, is white in the JPEG derivative, rather than the frame stretched over the whole output.
func checkOffsetGIF(t *testing.T, outs []ReportedOutput) {
	o := outs[len(outs)-1] // 320 px wide
	img, err := jpeg.Decode(bytes.NewReader(o.Data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	at := func(fx, fy float64) color.RGBA {
		r, g, bl, _ := img.At(int(fx*float64(b.Dx())), int(fy*float64(b.Dy()))).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
	}
	near := func(c, want color.RGBA) bool {
		d := func(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }
		return d(c.R, want.R) < 24 && d(c.G, want.G) < 24 && d(c.B, want.B) < 24
	}
	frame := color.RGBA{204, 51, 51, 255} // the 6x6x6 cube's colour for (200, 30, 30)
	white := color.RGBA{255, 255, 255, 255}
	// The frame spans x 2000-8000 of 8660 (0.23-0.92) and y 1500-5000 of 5773 (0.26-0.87).
	for _, p := range []struct {
		fx, fy float64
		want   color.RGBA
	}{{0.5, 0.5, frame}, {0.3, 0.35, frame}, {0.85, 0.8, frame}, {0.1, 0.1, white}, {0.1, 0.9, white},
		{0.5, 0.1, white}, {0.97, 0.5, white}} {
		if c := at(p.fx, p.fy); !near(c, p.want) {
			t.Errorf("the derivative at (%.2f, %.2f) is %v, want %v", p.fx, p.fy, c, p.want)
		}
	}
}

// row is one line of the suite's table.
type row struct {
	input, request string
	bytes          int
	res            Result
}

// TestHostileSuite runs every hostile input through the resize function's job and a serve-style render, each in a
// child process under GOMEMLIMIT=900MiB, with a 1024 MB function's limits and its 60 s deadline. Each must end
// ready (every output decodes at its planned size) or refused with a 4xx error, the one it is meant to get; a
// refusal that the header decides must come before anything is decoded; and the child's peak RSS (VmHWM) must stay
// under 1 GiB. The table of outcomes is logged (go test -v). About 2 minutes on two idle cores, 3.5 on two busy
// ones; -short skips the slowest inputs (HEIC, AVIF, lossless WebP, CMYK, the P3 PNG and the tall JPEG).
func TestHostileSuite(t *testing.T) {
	var rows []row
	start := time.Now()
	inputs := hostileInputs()
	for i, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			if in.slow && testing.Short() {
				t.Skip("slow to make and process; run without -short")
			}
			if i+1 < len(inputs) && !(inputs[i+1].slow && testing.Short()) { // make the next file while this one is processed
				next := inputs[i+1]
				go files.make(next.name, next.make)
			}
			path, data := files.get(t, in.name, in.make)
			for _, req := range []Request{Derivatives, Serve} {
				res := runInput(t, in, req, path, data)
				rows = append(rows, row{in.name, string(req), len(data), res})
			}
		})
	}
	t.Logf("suite: %d runs in %v\n%s", len(rows), time.Since(start).Round(time.Second), suiteTable(rows))
}

// runInput runs one input for one request in a child and checks what came back.
func runInput(t *testing.T, in input, req Request, path string, data []byte) Result {
	t.Helper()
	refusal, err := Admitted(data, req)
	if err != nil {
		t.Fatal(err)
	}
	want := in.want
	switch {
	case req == Derivatives && refusal != nil && refusal.Code != want:
		t.Errorf("%s: the header check refuses it with %s (%s), want %s", req, refusal.Code, refusal.Message, want)
	case refusal != nil:
		want = refusal.Code
	case req == Serve && !isDecodeRefusal(want):
		want = "ready" // the budget refuses a render as it refuses derivatives: from the header
	}
	res, err := Run(context.Background(), Spec{Input: path, Request: req, KeepData: in.check != nil && req == Derivatives},
		3*FunctionTimeout)
	if err != nil {
		t.Fatalf("%s: %v", req, err)
	}
	got := string(res.Outcome)
	if res.Outcome == Refused {
		got = res.Code
	}
	t.Logf("%s: %s, %s, peak RSS %d MiB (%d before Process), Process %v, child %v", req, got, res.Source,
		res.PeakRSS>>20, res.StartRSS>>20, res.Elapsed.Round(time.Millisecond), res.Wall.Round(time.Millisecond))
	if got != want {
		t.Errorf("%s: outcome %s (%s), want %s", req, got, res.Error, want)
	}
	if res.PeakRSS >= HardLimit {
		t.Errorf("%s: peak RSS %d MiB, over the %d MiB limit", req, res.PeakRSS>>20, HardLimit>>20)
	}
	if res.Elapsed >= FunctionTimeout {
		t.Errorf("%s: Process took %v, past the function's %v", req, res.Elapsed, FunctionTimeout)
	}
	// Refused from the header: nothing was decoded, so Process added next to nothing to the resident size.
	if refusal != nil && res.PeakRSS-res.StartRSS > 32<<20 {
		t.Errorf("%s: refused from the header, yet the peak RSS grew by %d MiB during Process", req,
			(res.PeakRSS-res.StartRSS)>>20)
	}
	if res.Outcome == Ready && req == Derivatives {
		if in.upright != (image.Point{}) {
			if o := res.Outputs[0]; o.Width != min(in.upright.X, Widths[0]) {
				t.Errorf("the first derivative is %dx%d; an upright source of %v gives %d px", o.Width, o.Height,
					in.upright, min(in.upright.X, Widths[0]))
			}
		}
		if in.check != nil {
			in.check(t, res.Outputs)
		}
	}
	return res
}

// isDecodeRefusal reports whether code is a refusal that only decoding can find.
func isDecodeRefusal(code string) bool { return code == "corrupt" || code == "undecodable" }

func suiteTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| input | bytes | request | outcome | peak RSS MiB | allocated / estimate MiB | Process s | child s |\n" +
		"|---|--:|---|---|--:|--:|--:|--:|\n")
	for _, r := range rows {
		out := string(r.res.Outcome)
		if r.res.Outcome == Refused {
			out = fmt.Sprintf("%d %s", r.res.Status, r.res.Code)
		}
		alloc := "-"
		if r.res.Estimate > 0 {
			alloc = fmt.Sprintf("%d / %d", r.res.Allocated>>20, r.res.Estimate>>20)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %d | %s | %.2f | %.2f |\n", r.input, r.bytes, r.request, out,
			r.res.PeakRSS>>20, alloc, r.res.Elapsed.Seconds(), r.res.Wall.Seconds())
	}
	return b.String()
}
