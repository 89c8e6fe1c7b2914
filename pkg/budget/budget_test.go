package budget

import (
	"errors"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

func TestCheck(t *testing.T) {
	l := Limits{MaxPixels: 50_000_000, MaxSide: DefaultMaxSide, Memory: ForMemory(1024)}
	jpeg := imagefile.Info{Format: imagefile.JPEG, Width: 8660, Height: 5773, Orientation: 1, Depth: 8, Channels: 3,
		ChromaH: 2, ChromaV: 2, Scans: 1}
	png16 := imagefile.Info{Format: imagefile.PNG, Width: 8660, Height: 5773, Orientation: 1, Depth: 16, Channels: 4,
		Interlaced: true, ChromaH: 1, ChromaV: 1}
	cases := []struct {
		name string
		info imagefile.Info
		err  error
		msg  string
	}{
		{"50 MP baseline JPEG", jpeg, nil, ""},
		{"50 MP progressive 4:4:4 JPEG", func() imagefile.Info {
			i := jpeg
			i.Progressive, i.ChromaH, i.ChromaV, i.Scans = true, 1, 1, 10
			return i
		}(), nil, ""},
		{"50 MP 8-bit PNG", func() imagefile.Info { i := png16; i.Depth, i.Interlaced = 8, false; return i }(), nil, ""},
		{"50 MP 16-bit interlaced PNG", png16, ErrOverBudget, "16-bit interlaced png needs about"},
		{"strip", imagefile.Info{Format: imagefile.PNG, Width: 50_000_000, Height: 1, Depth: 8, Channels: 4, Orientation: 1}, ErrTooWide, "no side may exceed 20000"},
		{"scan bomb", func() imagefile.Info { i := jpeg; i.Progressive, i.Scans = true, 40000; return i }(), ErrTooManyScan, "40000 progressive scans"},
		{"over the pixel limit", imagefile.Info{Format: imagefile.JPEG, Width: 10000, Height: 10000, Orientation: 1}, imagefile.ErrTooManyPixels, "100.0 MP"},
		{"12 MP AVIF", imagefile.Info{Format: imagefile.AVIF, Width: 4032, Height: 3024, Orientation: 1}, ErrOverBudget, "avif needs about"},
		{"12 MP HEIC", imagefile.Info{Format: imagefile.HEIC, Width: 4032, Height: 3024, Orientation: 1}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			min, outs := Derivatives(c.info, []int{1920, 640, 320}, false)
			cost, err := l.Check(c.info, 4<<20, min, outs)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v (cost %v)", err, c.err, cost)
			}
			if c.err != nil {
				p := publicerr.From(err)
				if p == nil || p.Status != 422 || !strings.Contains(strings.ToLower(p.Message), strings.ToLower(c.msg)) {
					t.Fatalf("public error %+v, want 422 saying %q", p, c.msg)
				}
			}
		})
	}
}

func TestForMemory(t *testing.T) {
	for mb, want := range map[int]int64{1024: 648, 2048: 1416, 512: 264, 128: 64} {
		if got := ForMemory(mb) >> 20; got != want {
			t.Errorf("ForMemory(%d) = %d MB, want %d", mb, got, want)
		}
	}
}

func TestDerivativesNeverUpscale(t *testing.T) {
	info := imagefile.Info{Format: imagefile.PNG, Width: 800, Height: 600, Orientation: 6, HasAlpha: true}
	min, outs := Derivatives(info, []int{1920, 640, 320}, true)
	if min != 600 || len(outs) != 6 || outs[0] != (Output{600, 800, imagefile.PNG}) || outs[1].Format != imagefile.WebP ||
		outs[4] != (Output{320, 427, imagefile.PNG}) {
		t.Fatalf("min %d, %+v", min, outs)
	}
}
