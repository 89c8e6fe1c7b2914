package jpegenc

import (
	"errors"
	"image"
	"io"
	"runtime"
)

// Errors for frames the encoder cannot write.
var (
	// ErrSize is returned for an empty image or one wider or taller than 65535 pixels, the limit of SOF0.
	ErrSize = errors.New("jpegenc: image size out of range")
	// ErrPlanes is returned when an image's planes are too short, or its strides too small, for its rectangle:
	// image/jpeg would panic on such an image.
	ErrPlanes = errors.New("jpegenc: planes do not cover the image rectangle")
)

// Options are the encoding parameters.
type Options struct {
	// Quality is 1-100 on the libjpeg and image/jpeg scale: the same quantisation tables as image/jpeg at the same
	// number. Values outside are clamped, as image/jpeg clamps them (0 means 1, not a default).
	Quality int
	// Optimize builds Huffman tables for the image instead of using the spec's example tables, and codes the
	// padding blocks that lie wholly outside the image in two symbols, as libjpeg does: the same pixels in a
	// smaller file, for the cost of keeping the frame's symbols and counting them.
	Optimize bool
}

// Encode writes m as a baseline JPEG. *image.YCbCr and *image.Gray are encoded from their planes (EncodeYCbCr,
// EncodeGray); anything else is first converted to YCbCr 4:2:0 the way image/jpeg converts it (BT.601 full range,
// each chroma sample the rounded mean of a 2x2 block).
func Encode(w io.Writer, m image.Image, o Options) error {
	switch m := m.(type) {
	case *image.YCbCr:
		return EncodeYCbCr(w, m, o)
	case *image.Gray:
		return EncodeGray(w, m, o)
	}
	b := m.Bounds()
	if err := checkSize(b); err != nil {
		return err
	}
	return EncodeYCbCr(w, toYCbCr420(m), o)
}

// EncodeYCbCr writes m with its own chroma subsampling (4:2:0, 4:2:2, 4:4:4, 4:4:0, 4:1:1 or 4:1:0, all of which
// baseline JPEG expresses as sampling factors). 4:2:0 is what the pipeline produces and gives, at Optimize off,
// exactly image/jpeg's bytes after the JFIF header; image/jpeg turns every other subsampling into 4:2:0, so those
// are not comparable with it. A rectangle whose origin is not on the chroma grid (an odd Min in 4:2:0) has its chroma
// resampled onto the grid of the output first.
func EncodeYCbCr(w io.Writer, m *image.YCbCr, o Options) error {
	b := m.Bounds()
	if err := checkSize(b); err != nil {
		return err
	}
	planes, err := ycbcrPlanes(m)
	if err != nil {
		return err
	}
	return encode(w, planes, b.Dx(), b.Dy(), o)
}

// EncodeGray writes m as a one-component JPEG.
func EncodeGray(w io.Writer, m *image.Gray, o Options) error {
	b := m.Bounds()
	if err := checkSize(b); err != nil {
		return err
	}
	dx, dy := b.Dx(), b.Dy()
	if m.Stride < dx || m.PixOffset(b.Max.X-1, b.Max.Y-1) >= len(m.Pix) {
		return ErrPlanes
	}
	planes := []plane{{pix: m.Pix, off: m.PixOffset(b.Min.X, b.Min.Y), stride: m.Stride, w: dx, h: dy, hs: 1, vs: 1}}
	return encode(w, planes, dx, dy, o)
}

func checkSize(b image.Rectangle) error {
	if b.Dx() < 1 || b.Dy() < 1 || b.Dx() > 65535 || b.Dy() > 65535 {
		return ErrSize
	}
	return nil
}

// encode writes the file for planes (luma first) of a width x height frame, tokenising in as many parts,
// concurrently, as workers says. The whole file is built in memory and written with one Write: the pipeline wants
// the bytes anyway, and it spares a buffered writer's copies.
func encode(w io.Writer, planes []plane, width, height int, o Options) error {
	q := clampQuality(o.Quality)
	tables := scaledQuant(q)
	qz := [2]*quantizer{newQuantizer(&tables[0]), newQuantizer(&tables[1])}
	nq := 1
	for i := range planes {
		class := min(i, 1) // luma, then chroma
		planes[i].table = 2 * class
		planes[i].quantizer = qz[class]
		nq = class + 1
	}
	s := newScan(planes, width, height)
	s.dummy = o.Optimize
	blocks := 0
	for _, p := range planes {
		blocks += s.mcuW * s.mcuH * p.hs * p.vs
	}
	n := workers(blocks, s.mcuH)
	// A photo at quality 82 takes about 0.35 bits a pixel; start at twice that and let append grow the rest. The
	// first allocations are capped so that a huge frame's memory grows with what it really needs.
	buf := make([]byte, 0, 1024+min(width*height/10, 1<<22))
	buf = appendHeaders(buf, planes, width, height, tables[:nq])

	var specs [nTables]*spec
	var ct codeTable
	nt := 2 * nq // the DC and AC table of each class in use
	var parts []part
	if o.Optimize || n > 1 {
		// Photos take five to eight tokens a block at quality 82.
		parts = s.parts(n, min(8*blocks, 1<<22)/n, o.Optimize)
	}
	if o.Optimize {
		var freq [nTables * 256]int64
		for _, p := range parts {
			for i, c := range p.freq {
				freq[i] += c
			}
		}
		for i := range nt {
			sp := optimalSpec((*[256]int64)(freq[i*256 : (i+1)*256]))
			specs[i] = &sp
		}
	} else {
		for i := range nt {
			specs[i] = &standardSpecs[i]
		}
	}
	for i := range nt {
		ct.setTable(i, specs[i])
	}
	buf = appendDHT(buf, specs[:nt])
	buf = appendSOS(buf, len(planes))
	bw := newBitWriter(buf)
	if parts != nil {
		for _, p := range parts {
			write(&bw, &ct, p.toks)
		}
	} else {
		// One pass, one MCU row of tokens at a time.
		p := part{toks: make([]token, 0, 8*blocks/s.mcuH)}
		s.rows(&p, 0, s.mcuH, func(t []token) { write(&bw, &ct, t) })
	}
	for _, p := range parts {
		putTokens(p.toks)
	}
	buf = bw.flush()
	buf = append(buf, 0xff, 0xd9) // EOI
	_, err := w.Write(buf)
	return err
}

// blocksPerWorker is the least work worth a goroutine of its own: about a millisecond of tokenising.
const blocksPerWorker = 4096

// workers is how many parts to tokenise a frame of blocks in mcuRows MCU rows in: one per P the runtime has, as
// long as each gets blocksPerWorker blocks and an MCU row. On a 2-vCPU function the pipeline encodes its outputs
// side by side, and the largest takes most of the time; splitting it lets the other vCPU share it once the small
// ones are done. Writing the bits stays serial, as each code starts where the last one ended.
var workers = func(blocks, mcuRows int) int {
	return max(1, min(runtime.GOMAXPROCS(0), blocks/blocksPerWorker, mcuRows))
}
