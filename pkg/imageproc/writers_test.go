package imageproc

import (
	"encoding/binary"
	"image"
	"slices"
	"testing"
)

// The standard library cannot write WebP or CMYK JPEG, so the tests carry two minimal encoders. Each handles only
// the images the tests need, and the files they write are checked by decoding them with the real decoders.

// bitWriter packs bits least-significant first.
type bitWriter struct {
	buf []byte
	acc uint64
	n   uint
}

func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.n > 0 {
		w.buf = append(w.buf, byte(w.acc))
	}
	return w.buf
}

// encodeWebPLossless writes img as a VP8L (lossless) WebP with the alpha flag set. It uses no transforms and one
// "simple" prefix code per channel, which can hold at most two symbols, so each channel of img may take at most two
// values.
func encodeWebPLossless(t *testing.T, img *image.NRGBA) []byte {
	t.Helper()
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var symbols [4][]byte // per channel in VP8L order: green, red, blue, alpha
	order := [4]int{1, 0, 2, 3}
	for c, off := range order {
		for i := off; i < len(img.Pix); i += 4 {
			if !slices.Contains(symbols[c], img.Pix[i]) {
				symbols[c] = append(symbols[c], img.Pix[i])
			}
		}
		if len(symbols[c]) > 2 {
			t.Fatalf("channel %d has %d values; this writer supports 2", off, len(symbols[c]))
		}
	}
	var bw bitWriter
	bw.write(0x2f, 8)
	bw.write(uint64(w-1), 14)
	bw.write(uint64(h-1), 14)
	bw.write(1, 1) // alpha is used
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	for _, s := range symbols {
		bw.write(1, 1) // simple code
		bw.write(uint64(len(s)-1), 1)
		bw.write(1, 1) // first symbol takes 8 bits
		for _, v := range s {
			bw.write(uint64(v), 8)
		}
	}
	bw.write(1, 1) // distance code: simple, one symbol, 1-bit symbol 0; never read
	bw.write(0, 1)
	bw.write(0, 1)
	bw.write(0, 1)
	for i := 0; i < len(img.Pix); i += 4 {
		for c, off := range order {
			if len(symbols[c]) == 2 {
				bw.write(uint64(slices.Index(symbols[c], img.Pix[i+off])), 1)
			}
		}
	}
	payload := bw.bytes()
	if len(payload)%2 == 1 {
		payload = append(payload, 0)
	}
	le := binary.LittleEndian
	out := le.AppendUint32([]byte("RIFF"), uint32(4+8+len(payload)))
	out = append(out, "WEBPVP8L"...)
	out = le.AppendUint32(out, uint32(len(bw.buf)))
	return append(out, payload...)
}

// encodeCMYKJPEG writes a baseline 4-component Adobe JPEG, as Photoshop exports for print, in which every 8x8
// block is flat: block (bx, by) of channel c has value ink(bx, by)[c]. Flat blocks need DC coefficients only, so
// the whole entropy coder is a DC table with 4-bit codes and an AC table that holds end-of-block alone.
func encodeCMYKJPEG(blocksW, blocksH int, ink func(bx, by int) [4]uint8) []byte {
	be := binary.BigEndian
	seg := func(out []byte, marker byte, body []byte) []byte {
		out = append(out, 0xFF, marker)
		out = be.AppendUint16(out, uint16(len(body)+2))
		return append(out, body...)
	}
	out := []byte{0xFF, 0xD8}
	out = seg(out, 0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x00")) // transform 0: stored as CMYK
	dqt := make([]byte, 65)                                           // table 0, all quantisers 1
	for i := 1; i < 65; i++ {
		dqt[i] = 1
	}
	out = seg(out, 0xDB, dqt)
	sof := []byte{8}
	sof = be.AppendUint16(sof, uint16(8*blocksH))
	sof = be.AppendUint16(sof, uint16(8*blocksW))
	sof = append(sof, 4)
	for id := byte(1); id <= 4; id++ {
		sof = append(sof, id, 0x11, 0)
	}
	out = seg(out, 0xC0, sof)
	dc := append([]byte{0x00, 0, 0, 0, 12}, make([]byte, 12)...) // 12 codes of length 4 (code = category)
	out = seg(out, 0xC4, append(dc, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))
	ac := append([]byte{0x10, 1}, make([]byte, 15)...) // one code of length 1: end of block
	out = seg(out, 0xC4, append(ac, 0x00))
	out = seg(out, 0xDA, []byte{4, 1, 0, 2, 0, 3, 0, 4, 0, 0, 63, 0})

	var bits []bool
	put := func(v, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	var pred [4]int
	for by := range blocksH {
		for bx := range blocksW {
			v := ink(bx, by)
			for c := range 4 {
				dcv := 8 * (int(v[c]) - 128) // a flat block's DC coefficient at quantiser 1
				diff := dcv - pred[c]
				pred[c] = dcv
				cat, mag := 0, diff
				if diff < 0 {
					mag = -diff
				}
				for mag>>cat != 0 {
					cat++
				}
				put(cat, 4)
				if diff < 0 {
					diff += 1<<cat - 1
				}
				put(diff, cat)
				put(0, 1) // end of block
			}
		}
	}
	for len(bits)%8 != 0 {
		bits = append(bits, true)
	}
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for j := range 8 {
			if bits[i+j] {
				b |= 0x80 >> j
			}
		}
		out = append(out, b)
		if b == 0xFF {
			out = append(out, 0x00)
		}
	}
	return append(out, 0xFF, 0xD9)
}
