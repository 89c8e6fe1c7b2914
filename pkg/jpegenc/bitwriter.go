package jpegenc

import "encoding/binary"

// A bitWriter appends entropy-coded bits to buf, MSB first, inserting the 0x00 stuffing byte after every 0xFF as
// the spec requires. Bits collect in a 64-bit accumulator and leave it eight bytes at a time: one branch per code
// instead of a loop per byte, and one test for 0xFF per word. write (scan.go) is its put, inlined by hand.
type bitWriter struct {
	buf  []byte
	acc  uint64 // the pending bits are its low 64-free bits; anything above them is stale and is shifted out
	free int    // bits still free in acc
}

func newBitWriter(buf []byte) bitWriter { return bitWriter{buf: buf, free: 64} }

// word writes a full accumulator.
func (w *bitWriter) word(a uint64) {
	// A byte of a is 0xFF exactly when the same byte of ^a is zero: the classic has-zero-byte test on ^a.
	if t := ^a; (t-0x0101010101010101)&^t&0x8080808080808080 == 0 {
		w.buf = binary.BigEndian.AppendUint64(w.buf, a)
		return
	}
	for s := 56; s >= 0; s -= 8 {
		b := byte(a >> s)
		w.buf = append(w.buf, b)
		if b == 0xff {
			w.buf = append(w.buf, 0)
		}
	}
}

// flush pads the pending bits with ones to a byte boundary, as image/jpeg and libjpeg do, and writes them.
func (w *bitWriter) flush() []byte {
	n := 64 - w.free
	if pad := (8 - n%8) % 8; pad > 0 {
		w.acc = w.acc<<pad | (1<<pad - 1)
		n += pad
	}
	for s := n - 8; s >= 0; s -= 8 {
		b := byte(w.acc >> s)
		w.buf = append(w.buf, b)
		if b == 0xff {
			w.buf = append(w.buf, 0)
		}
	}
	w.acc, w.free = 0, 64
	return w.buf
}
