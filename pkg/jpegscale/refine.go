// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.
// (In this package that file is LICENSE-go.)

// This file reworks the AC refinement of the Go standard library's
// image/jpeg/scan.go (refine and refineNonZeroes) around coefStore's
// nonzero bitmap; the bits read and the coefficients produced are the same.

package jpegscale

import mathbits "math/bits"

// refineAC decodes one block of an AC successive-approximation refinement
// scan over zig-zag indexes zigStart..zigEnd (sections G.1.2.2 and
// G.1.2.3). Each Huffman symbol says how many not-yet-nonzero coefficients
// to skip before one that becomes +-delta; every already nonzero
// coefficient passed on the way, and every one after the block's end of
// band, takes one correction bit that adds delta to its magnitude.
//
// Refinement scans are a third to a half of a progressive photo's
// decoding time, so the block's nonzero bitmap is kept in a register,
// symbols with their sign bit come from the one-look-up table, and
// correction bits are taken from the accumulator many at a time.
func (d *decoder) refineAC(b *progBlock, h *huffman, zigStart, zigEnd, delta int32) error {
	nz := *b.nz
	zig := zigStart
	if d.eobRun == 0 {
		for zig <= zigEnd {
			// Decode the next symbol: run r and the new coefficient's value
			// z, which is zero for ZRL (r = 15 with no new coefficient).
			var r, z int32
			if d.bits.n < 16 {
				d.fillFast()
			}
			fast := false
			if n := d.bits.n; n >= fastBits {
				// A size-1 symbol and its sign bit; the value is then
				// +-1, and other sizes are invalid in a refinement scan.
				if e := h.fast[(d.bits.a>>(uint32(n-fastBits)&63))&(1<<fastBits-1)]; e != 0 && uint32(e>>16+1) <= 2 {
					d.bits.n = n - e&0xff
					r, z = (e>>8)&0xff, (e>>16)*delta
					fast = true
				}
			}
			if !fast {
				// An end of band (or ZRL) is not in h.fast, but its code
				// usually fits the 8-bit table.
				var value uint8
				if v := d.decodeFast(h); v >= 0 {
					value = uint8(v)
				} else {
					var err error
					if value, err = d.decodeHuffman(h); err != nil {
						return err
					}
				}
				r = int32(value >> 4)
				switch value & 0x0f {
				case 0:
					if r != 0x0f {
						// End of band: this block and the next eobRun-1
						// take only correction bits from here on.
						d.eobRun = uint16(1 << r)
						if r != 0 {
							bits, err := d.decodeBits(r)
							if err != nil {
								return err
							}
							d.eobRun |= uint16(bits)
						}
						goto endOfBand
					}
				case 1:
					bit, err := d.decodeBit()
					if err != nil {
						return err
					}
					z = delta
					if !bit {
						z = -z
					}
				default:
					return FormatError("unexpected Huffman code")
				}
			}

			// Find where the symbol's coefficient goes: the zero
			// coefficient after the r that it skips. band has bits
			// zig..zigEnd; the shift counts are below 64, and masking them
			// says so to the compiler, which otherwise adds code for Go's
			// over-wide shifts.
			band := ^uint64(0) >> (uint(63-zigEnd) & 63) &^ (1<<(uint(zig)&63) - 1)
			zeros := ^nz & band
			for ; r > 0 && zeros != 0; r-- {
				zeros &= zeros - 1
			}
			if zeros == 0 {
				return FormatError("too many coefficients")
			}
			stop := int32(mathbits.TrailingZeros64(zeros))
			if m := nz & band & (1<<(uint(stop)&63) - 1); m != 0 {
				if err := d.correct(b, m, delta); err != nil {
					return err
				}
			}
			if z != 0 {
				nz |= 1 << (uint(stop) & 63)
				if i := b.pos[stop&(blockSize-1)]; i >= 0 {
					b.low[i] = int16(z)
				}
			}
			zig = stop + 1
		}
		*b.nz = nz
		return nil
	}
	// An end-of-band run covers this block: only correction bits.
endOfBand:
	*b.nz = nz
	d.eobRun--
	if zig > zigEnd {
		return nil
	}
	band := ^uint64(0) >> (uint(63-zigEnd) & 63) &^ (1<<(uint(zig)&63) - 1)
	if m := nz & band; m != 0 {
		return d.correct(b, m, delta)
	}
	return nil
}

// correct reads one correction bit for each coefficient in m, a set of
// nonzero coefficients by zig-zag index, in zig-zag order, and moves those
// whose bit is 1 one step of delta away from zero. Coefficients outside
// the corner that the scale keeps only need their bits consumed, so at
// reduced scales most bits cost no per-coefficient work. Bits come from
// the accumulator up to 32 at a time.
func (d *decoder) correct(b *progBlock, m uint64, delta int32) error {
	for m != 0 {
		chunk, k := m, int32(mathbits.OnesCount64(m))
		if k > 32 {
			// More than 32 nonzero coefficients: take the first 32.
			chunk, k = 0, 32
			for x, i := m, 0; i < 32; i++ {
				low := x & -x
				chunk |= low
				x ^= low
			}
		}
		m &^= chunk
		if d.bits.n < k {
			if err := d.ensureNBits(k); err != nil {
				return err
			}
		}
		d.bits.n -= k
		// The bit of the rank-i coefficient of chunk is bit 31-i of corr.
		corr := uint32(d.bits.a>>(uint32(d.bits.n)&63)) << (32 - uint32(k))
		for c := chunk & b.corner; c != 0; c &= c - 1 {
			zig := mathbits.TrailingZeros64(c)
			rank := mathbits.OnesCount64(chunk & (1<<uint(zig) - 1))
			if corr<<uint(rank)&(1<<31) != 0 {
				b.refine(int32(zig), delta)
			}
		}
	}
	return nil
}
