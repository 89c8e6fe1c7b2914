// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.
// (In this package that file is LICENSE-go.)

// This file is forked from the Go standard library's image/jpeg/huffman.go.
// The changes are the 64-bit bit accumulator with fillFast, which moves up
// to seven bytes per refill instead of one, the branch-free EXTEND in
// receiveExtend, the code-plus-magnitude table huffman.fast, and shift
// counts masked to tell the compiler they are below 64; the decoded values
// and errors are unchanged.

package jpegscale

import (
	"encoding/binary"
	"io"
	mathbits "math/bits"
)

// maxCodeLength is the maximum (inclusive) number of bits in a Huffman code.
const maxCodeLength = 16

// maxNCodes is the maximum (inclusive) number of codes in a Huffman tree.
const maxNCodes = 256

// lutSize is the log-2 size of the Huffman decoder's look-up table.
const lutSize = 8

// fastBits is the log-2 size of huffman.fast. Nine bits hold the code and
// magnitude bits of most coefficients of photos: short codes for small
// values are what Huffman optimisation gives them.
const fastBits = 9

// huffman is a Huffman decoder, specified in section C.
type huffman struct {
	// fast decodes a code and the magnitude bits after it in one look-up
	// of the next fastBits bits, for codes whose both fit: the low 8 bits
	// are the total bits used, bits 8-15 the zero run (AC tables only)
	// and the high 16 bits the coefficient difference (DC) or value (AC),
	// already sign-extended. 0 means the slower path must decode the
	// code: longer codes, EOB and ZRL, and large magnitudes.
	fast [1 << fastBits]int32
	// length is the number of codes in the tree.
	nCodes int32
	// lut is the look-up table for the next lutSize bits in the bit-stream.
	// The high 8 bits of the uint16 are the encoded value. The low 8 bits
	// are 1 plus the code length, or 0 if the value is too large to fit in
	// lutSize bits.
	lut [1 << lutSize]uint16
	// vals are the decoded values, sorted by their encoding.
	vals [maxNCodes]uint8
	// minCodes[i] is the minimum code of length i, or -1 if there are no
	// codes of that length.
	minCodes [maxCodeLength]int32
	// maxCodes[i] is the maximum code of length i, or -1 if there are no
	// codes of that length.
	maxCodes [maxCodeLength]int32
	// valsIndices[i] is the index into vals of minCodes[i].
	valsIndices [maxCodeLength]int32
}

// errShortHuffmanData means that an unexpected EOF occurred while decoding
// Huffman data.
//
// It and errMissingFF00 have type error rather than FormatError because the
// decoder meets them at every marker that ends a scan or restart interval,
// and converting a string-typed value to an interface allocates each time.
var errShortHuffmanData error = FormatError("short Huffman data")

// fillFast tops up d.bits from the bytes already buffered, several at a
// time, stopping before the first 0xff. Those are the only bytes that need
// care, as byte stuffing or a marker, and ensureNBits deals with them one at
// a time as the standard library does. fillFast never reads from d.r, so it
// cannot fail, and any whole bytes it takes beyond what a scan needs can
// only be non-0xff bytes before the next marker, which the marker loop in
// decode (or findRST) would skip as extraneous data anyway. Since such bytes
// cannot be given back, it clears nUnreadable.
func (d *decoder) fillFast() {
	i, j := d.bytes.i, d.bytes.j
	if j-i < 8 || d.bits.n > 56 {
		return
	}
	x := binary.BigEndian.Uint64(d.bytes.buf[i : i+8])
	// Find the first 0xff byte: y has a zero byte exactly where x has 0xff,
	// and the classic has-zero-byte trick marks it (and possibly bytes after
	// it, which do not matter because only the first one is used).
	y := ^x
	t := (y - 0x0101010101010101) & ^y & 0x8080808080808080
	k := int32(mathbits.LeadingZeros64(t) / 8)
	if room := (63 - d.bits.n) / 8; k > room {
		k = room
	}
	if k == 0 {
		return
	}
	d.bits.a = d.bits.a<<(8*uint(k)&63) | x>>((64-8*uint(k))&63)
	d.bits.n += 8 * k
	d.bytes.i = i + int(k)
	d.bytes.nUnreadable = 0
}

// ensureNBits reads bytes from the byte buffer to ensure that d.bits.n is at
// least n. For best performance (avoiding function calls inside hot loops),
// the caller is the one responsible for first checking that d.bits.n < n.
func (d *decoder) ensureNBits(n int32) error {
	d.fillFast()
	for d.bits.n < n {
		c, err := d.readByteStuffedByte()
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				return errShortHuffmanData
			}
			return err
		}
		d.bits.a = d.bits.a<<8 | uint64(c)
		d.bits.n += 8
	}
	return nil
}

// receiveExtend is the composition of RECEIVE and EXTEND, specified in section
// F.2.2.1.
func (d *decoder) receiveExtend(t uint8) (int32, error) {
	if d.bits.n < int32(t) {
		if err := d.ensureNBits(int32(t)); err != nil {
			return 0, err
		}
	}
	d.bits.n -= int32(t)
	s := int32(1) << (t & 31)
	x := int32(d.bits.a>>(uint8(d.bits.n)&63)) & (s - 1)
	// EXTEND: values below half the range are negative. The sign of a
	// coefficient is a coin toss, so a branch here mispredicts half the
	// time; neg is all ones exactly when x < s/2 (and 0 when t == 0).
	neg := (x - s>>1) >> 31
	x += neg & (((-1) << (t & 31)) + 1)
	return x, nil
}

// processDHT processes a Define Huffman Table marker, and initializes a huffman
// struct from its contents. Specified in section B.2.4.2.
func (d *decoder) processDHT(n int) error {
	for n > 0 {
		if n < 17 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(d.tmp[:17]); err != nil {
			return err
		}
		tc := d.tmp[0] >> 4
		if tc > maxTc {
			return FormatError("bad Tc value")
		}
		th := d.tmp[0] & 0x0f
		// The baseline th <= 1 restriction is specified in table B.5.
		if th > maxTh || (d.baseline && th > 1) {
			return FormatError("bad Th value")
		}
		h := &d.huff[tc][th]

		// Read nCodes and h.vals (and derive h.nCodes).
		// nCodes[i] is the number of codes with code length i.
		// h.nCodes is the total number of codes.
		h.nCodes = 0
		var nCodes [maxCodeLength]int32
		for i := range nCodes {
			nCodes[i] = int32(d.tmp[i+1])
			h.nCodes += nCodes[i]
		}
		if h.nCodes == 0 {
			return FormatError("Huffman table has zero length")
		}
		if h.nCodes > maxNCodes {
			return FormatError("Huffman table has excessive length")
		}
		n -= int(h.nCodes) + 17
		if n < 0 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(h.vals[:h.nCodes]); err != nil {
			return err
		}

		// Derive the look-up table.
		clear(h.lut[:])
		var x, code uint32
		for i := uint32(0); i < lutSize; i++ {
			code <<= 1
			for j := int32(0); j < nCodes[i]; j++ {
				// The codeLength is 1+i, so shift code by 8-(1+i) to
				// calculate the high bits for every 8-bit sequence
				// whose codeLength's high bits matches code.
				// The high 8 bits of lutValue are the encoded value.
				// The low 8 bits are 1 plus the codeLength.
				base := uint8(code << (7 - i))
				lutValue := uint16(h.vals[x])<<8 | uint16(2+i)
				for k := uint8(0); k < 1<<(7-i); k++ {
					h.lut[base|k] = lutValue
				}
				code++
				x++
			}
		}

		h.buildFast(tc)

		// Derive minCodes, maxCodes, and valsIndices.
		var c, index int32
		for i, n := range nCodes {
			if n == 0 {
				h.minCodes[i] = -1
				h.maxCodes[i] = -1
				h.valsIndices[i] = -1
			} else {
				h.minCodes[i] = c
				h.maxCodes[i] = c + n - 1
				h.valsIndices[i] = index
				c += n
				index += n
			}
			c <<= 1
		}
	}
	return nil
}

// buildFast fills h.fast for a table of class tc (dcTable or acTable)
// from h.lut, so that both decode exactly the same codes, even for the
// over-subscribed tables of corrupt files that no canonical code fits.
func (h *huffman) buildFast(tc uint8) {
	for idx := range h.fast {
		h.fast[idx] = 0
		v := h.lut[idx>>(fastBits-lutSize)]
		if v == 0 {
			continue
		}
		l, sym := uint32(v&0xff)-1, uint8(v>>8)
		run, size := uint32(0), uint32(sym)
		if tc == acTable {
			run, size = uint32(sym>>4), uint32(sym&0x0f)
			if size == 0 {
				continue // EOB, EOBn or ZRL
			}
		}
		if l+size > fastBits {
			continue
		}
		m := int32(idx>>(fastBits-l-size)) & (1<<size - 1)
		if size > 0 && m < 1<<(size-1) {
			m -= 1<<size - 1 // EXTEND, section F.2.2.1
		}
		h.fast[idx] = m<<16 | int32(run)<<8 | int32(l+size)
	}
}

// decodeFast is the common case of decodeHuffman, small enough to inline
// into the coefficient loops: a code of at most lutSize bits with the bits
// already at hand. It returns the decoded value, or -1 when the caller must
// call decodeHuffman, which is also what an uninitialized table (whose
// look-up table is all zero) gets.
func (d *decoder) decodeFast(h *huffman) int32 {
	n := d.bits.n
	if n < lutSize {
		return -1
	}
	v := h.lut[(d.bits.a>>(uint32(n-lutSize)&63))&0xff]
	if v == 0 {
		return -1
	}
	d.bits.n = n - (int32(v&0xff) - 1)
	return int32(v >> 8)
}

// decodeHuffman returns the next Huffman-coded value from the bit-stream,
// decoded according to h.
func (d *decoder) decodeHuffman(h *huffman) (uint8, error) {
	if h.nCodes == 0 {
		return 0, FormatError("uninitialized Huffman table")
	}

	if d.bits.n < 8 {
		d.fillFast()
	}
	if d.bits.n < 8 {
		if err := d.ensureNBits(8); err != nil {
			if err != errMissingFF00 && err != errShortHuffmanData {
				return 0, err
			}
			// There are no more bytes of data in this segment, but we may still
			// be able to read the next symbol out of the previously read bits.
			// First, undo the readByte that the ensureNBits call made.
			if d.bytes.nUnreadable != 0 {
				d.unreadByteStuffedByte()
			}
			goto slowPath
		}
	}
	if v := h.lut[(d.bits.a>>(uint32(d.bits.n-lutSize)&63))&0xff]; v != 0 {
		n := (v & 0xff) - 1
		d.bits.n -= int32(n)
		return uint8(v >> 8), nil
	}

slowPath:
	for i, code := 0, int32(0); i < maxCodeLength; i++ {
		if d.bits.n == 0 {
			if err := d.ensureNBits(1); err != nil {
				return 0, err
			}
		}
		d.bits.n--
		code |= int32(d.bits.a>>(uint32(d.bits.n)&63)) & 1
		if code <= h.maxCodes[i] {
			return h.vals[h.valsIndices[i]+code-h.minCodes[i]], nil
		}
		code <<= 1
	}
	return 0, FormatError("bad Huffman code")
}

func (d *decoder) decodeBit() (bool, error) {
	if d.bits.n == 0 {
		if err := d.ensureNBits(1); err != nil {
			return false, err
		}
	}
	d.bits.n--
	return d.bits.a>>(uint32(d.bits.n)&63)&1 != 0, nil
}

func (d *decoder) decodeBits(n int32) (uint32, error) {
	if d.bits.n < n {
		if err := d.ensureNBits(n); err != nil {
			return 0, err
		}
	}
	ret := uint32(d.bits.a >> (uint32(d.bits.n-n) & 63))
	ret &= (1 << uint32(n)) - 1
	d.bits.n -= n
	return ret, nil
}
