// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.
// (In this package that file is LICENSE-go.)

// This file is forked from the Go standard library's image/jpeg/scan.go.
// The changes are: the scaled image allocation in makeImg; the block loop
// split into decodeBlock, decodeSequential and decodeProgressive, with fast
// paths that decode a Huffman code and its magnitude in one look-up; the
// progressive scans (progressiveDC, processAC) writing straight into the
// compact coefficient store of coeffs.go, with AC refinement in refine.go;
// the spec-conforming restart count of processNonInterleaved; the
// Options.Check calls; and the reduced IDCTs in reconstructBlock and
// reconstructProgressiveImage.

package jpegscale

import (
	"errors"
	"image"
	"sync"
)

// makeImg allocates and initializes the destination image. The backing
// planes cover whole MCUs at bs pixels per block, so every block can be
// stored without bounds checks; the returned sub-image is ceil(W*N/8) x
// ceil(H*N/8).
func (d *decoder) makeImg(mxx, myy int) {
	bs := d.bs
	w, h := scaledSize(d.width, bs), scaledSize(d.height, bs)
	if d.nComp == 1 {
		m := image.NewGray(image.Rect(0, 0, bs*mxx, bs*myy))
		d.img1 = m.SubImage(image.Rect(0, 0, w, h)).(*image.Gray)
		return
	}

	h0 := d.comp[0].h
	v0 := d.comp[0].v
	hRatio := h0 / d.comp[1].h
	vRatio := v0 / d.comp[1].v
	var subsampleRatio image.YCbCrSubsampleRatio
	switch hRatio<<4 | vRatio {
	case 0x11:
		subsampleRatio = image.YCbCrSubsampleRatio444
	case 0x12:
		subsampleRatio = image.YCbCrSubsampleRatio440
	case 0x21:
		subsampleRatio = image.YCbCrSubsampleRatio422
	case 0x22:
		subsampleRatio = image.YCbCrSubsampleRatio420
	case 0x41:
		subsampleRatio = image.YCbCrSubsampleRatio411
	case 0x42:
		subsampleRatio = image.YCbCrSubsampleRatio410
	default:
		panic("unreachable")
	}
	m := image.NewYCbCr(image.Rect(0, 0, bs*h0*mxx, bs*v0*myy), subsampleRatio)
	d.img3 = m.SubImage(image.Rect(0, 0, w, h)).(*image.YCbCr)

	if d.nComp == 4 {
		h3, v3 := d.comp[3].h, d.comp[3].v
		d.blackPix = make([]byte, bs*h3*mxx*bs*v3*myy)
		d.blackStride = bs * h3 * mxx
	}
}

// Specified in section B.2.3.
func (d *decoder) processSOS(n int) error {
	if d.nComp == 0 {
		return FormatError("missing SOF marker")
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return FormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return FormatError("SOS length inconsistent with number of components")
	}
	var scan [maxComponents]struct {
		compIndex uint8
		td        uint8 // DC table selector.
		ta        uint8 // AC table selector.
	}
	totalHV := 0
	for i := 0; i < nComp; i++ {
		cs := d.tmp[1+2*i] // Component selector.
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return FormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		// Section B.2.3 states that "the value of Cs_j shall be different from
		// the values of Cs_1 through Cs_(j-1)". Since we have previously
		// verified that a frame's component identifiers (C_i values in section
		// B.2.2) are unique, it suffices to check that the implicit indexes
		// into d.comp are unique.
		for j := 0; j < i; j++ {
			if scan[i].compIndex == scan[j].compIndex {
				return FormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v

		// The baseline t <= 1 restriction is specified in table B.3.
		scan[i].td = d.tmp[2+2*i] >> 4
		if t := scan[i].td; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Td value")
		}
		scan[i].ta = d.tmp[2+2*i] & 0x0f
		if t := scan[i].ta; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Ta value")
		}
	}
	// Section B.2.3 states that if there is more than one component then the
	// total H*V values in a scan must be <= 10.
	if d.nComp > 1 && totalHV > 10 {
		return FormatError("total sampling factors too large")
	}

	// zigStart and zigEnd are the spectral selection bounds.
	// ah and al are the successive approximation high and low values.
	// The spec calls these values Ss, Se, Ah and Al.
	//
	// For progressive JPEGs, these are the two more-or-less independent
	// aspects of progression. Spectral selection progression is when not
	// all of a block's 64 DCT coefficients are transmitted in one pass.
	// For example, three passes could transmit coefficient 0 (the DC
	// component), coefficients 1-5, and coefficients 6-63, in zig-zag
	// order. Successive approximation is when not all of the bits of a
	// band of coefficients are transmitted in one pass. For example,
	// three passes could transmit the 6 most significant bits, followed
	// by the second-least significant bit, followed by the least
	// significant bit.
	//
	// For sequential JPEGs, these parameters are hard-coded to 0/63/0/0, as
	// per table B.3.
	zigStart, zigEnd, ah, al := int32(0), int32(blockSize-1), uint32(0), uint32(0)
	if d.progressive {
		zigStart = int32(d.tmp[1+2*nComp])
		zigEnd = int32(d.tmp[2+2*nComp])
		ah = uint32(d.tmp[3+2*nComp] >> 4)
		al = uint32(d.tmp[3+2*nComp] & 0x0f)
		if (zigStart == 0 && zigEnd != 0) || zigStart > zigEnd || blockSize <= zigEnd {
			return FormatError("bad spectral selection bounds")
		}
		if zigStart != 0 && nComp != 1 {
			return FormatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return FormatError("bad successive approximation values")
		}
	}

	// mxx and myy are the number of MCUs (Minimum Coded Units) in the image.
	h0, v0 := d.comp[0].h, d.comp[0].v // The h and v values from the Y components.
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	if d.img1 == nil && d.img3 == nil {
		d.makeImg(mxx, myy)
	}
	if d.progressive {
		for i := 0; i < nComp; i++ {
			compIndex := scan[i].compIndex
			if !d.progCoeffs[compIndex].allocated() {
				d.progCoeffs[compIndex].alloc(mxx*myy*d.comp[compIndex].h*d.comp[compIndex].v, d.cbs)
			}
		}
	}

	d.bits = bits{}
	if nComp == 1 {
		sc := scan[0]
		return d.processNonInterleaved(int(sc.compIndex), sc.td, sc.ta, mxx, myy, zigStart, zigEnd, ah, al)
	}
	mcu, expectedRST := 0, uint8(rst0Marker)
	var (
		// b is the decoded coefficients, in natural (not zig-zag) order.
		b  block
		dc [maxComponents]int32
		// bx and by are the location of the current block, in units of 8x8
		// blocks: the third block in the first row has (bx, by) = (2, 0).
		bx, by int
	)
	for my := 0; my < myy; my++ {
		if my%checkRows == 0 && my > 0 {
			if err := d.checkpoint(); err != nil {
				return err
			}
		}
		for mx := 0; mx < mxx; mx++ {
			for i := 0; i < nComp; i++ {
				compIndex := scan[i].compIndex
				hi := d.comp[compIndex].h
				vi := d.comp[compIndex].v
				// j counts the component's blocks in the MCU; (bx, by)
				// follow it without a division per block.
				for j, jx, jy := 0, 0, 0; j < hi*vi; j, jx = j+1, jx+1 {
					if jx == hi {
						jx, jy = 0, jy+1
					}
					// The blocks are traversed one MCU at a time. For 4:2:0 chroma
					// subsampling, there are four Y 8x8 blocks in every 16x16 MCU.
					//
					// For a sequential 32x16 pixel image, the Y blocks visiting order is:
					//	0 1 4 5
					//	2 3 6 7
					//
					// Non-interleaved scans (those with nComp == 1) are handled by
					// processNonInterleaved.
					bx = hi*mx + jx
					by = vi*my + jy
					if d.progressive {
						// An interleaved progressive scan is a DC scan.
						if err := d.progressiveDC(&d.progCoeffs[compIndex], by*mxx*hi+bx, d.cbs*d.cbs, &dc[compIndex], &d.huff[dcTable][scan[i].td], ah, al); err != nil {
							return err
						}
						continue
					}
					if err := d.decodeBlock(&b, int(compIndex), bx, by, mxx*hi, &dc[compIndex], scan[i].td, scan[i].ta, zigStart, zigEnd, ah, al); err != nil {
						return err
					}
				} // for j
			} // for i
			mcu++
			if d.ri > 0 && mcu%d.ri == 0 && mcu < mxx*myy {
				if err := d.restart(&expectedRST); err != nil {
					return err
				}
				// Reset the DC components, as per section F.2.1.3.1.
				dc = [maxComponents]int32{}
			}
		} // for mx
	} // for my

	return nil
}

// progressiveDC decodes the DC coefficient of block blk of cs in a
// progressive DC scan (section G.1.2.1): the first pass, a difference
// scaled by 2^al, or a refinement, one bit ORed in. nn is the number of
// coefficients the store keeps per block. It is what decodeProgressive and
// refineDC do for such a block, without a progBlock.
func (d *decoder) progressiveDC(cs *coefStore, blk, nn int, dc *int32, h *huffman, ah, al uint32) error {
	i := blk * nn
	var v int32
	if ah == 0 {
		delta, err := d.decodeDC(h)
		if err != nil {
			return err
		}
		*dc += delta
		v = *dc << al
	} else {
		bit, err := d.decodeBit()
		if err != nil || !bit {
			return err
		}
		v = int32(cs.low[i]) | 1<<al
	}
	cs.low[i] = sat16(v)
	if v != 0 {
		cs.nz[blk] |= 1
	} else {
		cs.nz[blk] &^= 1
	}
	return nil
}

// processNonInterleaved decodes a scan of the single component ci. Per
// section A.2.2 its blocks come left to right, top to bottom:
//
//	0 1 2 3
//	4 5 6 7
//
// and there is no data for any blocks that are inside the image at the MCU
// level but outside the image at the pixel level. For example, a 24x16 pixel
// 4:2:0 image consists of two 16x16 MCUs, but a non-interleaved Y scan
// holds only 6 blocks:
//
//	0 1 2
//	3 4 5
//
// Per section 4.8.2 each block is its own MCU, so a restart interval counts
// blocks. This is where the fork departs from the standard library, which
// counts the blocks of a whole interleaved MCU (4 for 4:2:0 luma) and so
// fails on, for example, cjpeg -progressive -restart output. For components
// without subsampling the two counts agree.
func (d *decoder) processNonInterleaved(ci int, td, ta uint8, mxx, myy int, zigStart, zigEnd int32, ah, al uint32) error {
	hi, vi := d.comp[ci].h, d.comp[ci].v
	stride := mxx * hi
	bw := min(stride, (d.width+7)/8)
	bh := min(myy*vi, (d.height+7)/8)
	total := bw * bh
	if d.ri > 0 && hi*vi > 1 {
		d.specRestart = true
	}
	if d.progressive && zigStart > 0 {
		return d.processAC(ci, ta, stride, bw, bh, zigStart, zigEnd, ah, al)
	}
	var (
		b           block
		dc          int32
		n           int
		expectedRST = uint8(rst0Marker)
	)
	for by := 0; by < bh; by++ {
		if by%checkRows == 0 && by > 0 {
			if err := d.checkpoint(); err != nil {
				return err
			}
		}
		for bx := 0; bx < bw; bx++ {
			if err := d.decodeBlock(&b, ci, bx, by, stride, &dc, td, ta, zigStart, zigEnd, ah, al); err != nil {
				return err
			}
			n++
			if d.ri > 0 && n%d.ri == 0 && n < total {
				if err := d.restart(&expectedRST); err != nil {
					return err
				}
				dc = 0
			}
		}
	}
	return nil
}

// processAC is processNonInterleaved for the AC scans of a progressive
// file, which are most of its scans and most of its blocks. It walks the
// coefficient store directly instead of calling decodeBlock per block, and
// in a first AC scan it steps over an end-of-band run, which sends nothing
// for its blocks (section G.1.2.2), in one move rather than block by block.
// Those runs cover most blocks of the high-frequency scans. A run never
// crosses a restart boundary, since a restart ends it.
func (d *decoder) processAC(ci int, ta uint8, stride, bw, bh int, zigStart, zigEnd int32, ah, al uint32) error {
	var (
		cs     = &d.progCoeffs[ci]
		bs     = d.cbs
		nn     = bs * bs
		pos    = &lowIndex[bs]
		corner = cornerMask[bs]
		// band has the bits zigStart..zigEnd of a nonzero bitmap.
		band        = ^uint64(0) >> (uint(63-zigEnd) & 63) &^ (1<<(uint(zigStart)&63) - 1)
		h           = &d.huff[acTable][ta]
		n           int
		total       = bw * bh
		expectedRST = uint8(rst0Marker)
	)
	for by := 0; by < bh; by++ {
		if by%checkRows == 0 && by > 0 {
			if err := d.checkpoint(); err != nil {
				return err
			}
		}
		for bx := 0; bx < bw; {
			if ah == 0 && d.eobRun > 0 {
				k := min(int(d.eobRun), bw-bx)
				if d.ri > 0 {
					k = min(k, d.ri-n%d.ri)
				}
				d.eobRun -= uint16(k)
				bx += k
				n += k
			} else {
				blk := by*stride + bx
				if ah != 0 && d.eobRun > 0 && cs.nz[blk]&band == 0 {
					// In an end-of-band run of a refinement scan, a block
					// with no nonzero coefficient in the band takes no
					// correction bits: nothing to read or change.
					d.eobRun--
				} else {
					pb := progBlock{low: cs.low[blk*nn : blk*nn+nn : blk*nn+nn], pos: pos, nz: &cs.nz[blk], corner: corner}
					var err error
					if ah != 0 {
						err = d.refineAC(&pb, h, zigStart, zigEnd, 1<<al)
					} else {
						err = d.decodeProgressive(&pb, nil, nil, h, zigStart, zigEnd, al)
					}
					if err != nil {
						return err
					}
				}
				bx++
				n++
			}
			if d.ri > 0 && n%d.ri == 0 && n < total {
				if err := d.restart(&expectedRST); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// restart consumes the RSTn marker that ends a restart interval and resets
// the entropy decoder. The caller resets its DC predictors.
func (d *decoder) restart(expectedRST *uint8) error {
	// For well-formed input, the RST[0-7] restart marker follows
	// immediately. For corrupt input, call findRST to try to
	// resynchronize.
	if err := d.readFull(d.tmp[:2]); err != nil {
		return err
	} else if d.tmp[0] != 0xff || d.tmp[1] != *expectedRST {
		if err := d.findRST(*expectedRST); err != nil {
			return err
		}
	}
	*expectedRST++
	if *expectedRST == rst7Marker+1 {
		*expectedRST = rst0Marker
	}
	// Reset the Huffman decoder.
	d.bits = bits{}
	// Reset the progressive decoder state, as per section G.1.2.2.
	d.eobRun = 0
	return nil
}

// decodeBlock decodes the block at (bx, by) of component ci, whose blocks
// are stride to a row. A sequential block is reconstructed at once; a
// progressive one is decoded straight into the saved coefficients. At that
// point we could call reconstructBlock to show early stages of a
// progressive image (the whole point of progressive encoding), but Decode
// does not return until the entire image is decoded, so that waits for
// reconstructProgressiveImage after all of the SOS markers are processed.
func (d *decoder) decodeBlock(b *block, ci, bx, by, stride int, dc *int32, td, ta uint8, zigStart, zigEnd int32, ah, al uint32) error {
	if !d.progressive {
		// A reduced IDCT reads only the bs x bs corner, so only the corner
		// needs clearing; whatever decodeSequential writes elsewhere is
		// never read.
		if bs := d.bs; bs == 8 {
			*b = block{}
		} else {
			for r := 0; r < bs; r++ {
				clear(b[8*r : 8*r+bs])
			}
		}
		// At full size the coefficients are dequantized as they are
		// decoded, which touches only the nonzero ones; the reduced IDCTs
		// dequantize the corner themselves.
		qt := &unitQuant
		if d.bs == 8 {
			qt = &d.quant[d.comp[ci].tq]
		}
		if err := d.decodeSequential(b, qt, dc, &d.huff[dcTable][td], &d.huff[acTable][ta]); err != nil {
			return err
		}
		return d.reconstructBlock(b, bx, by, ci)
	}
	if ah == 0 && zigStart > 0 && d.eobRun > 0 {
		// Inside an end-of-band run a first AC pass sends nothing for the
		// block (section G.1.2.2), and these runs cover most blocks of the
		// high-frequency scans, so skip the rest of the call chain.
		d.eobRun--
		return nil
	}
	pb := d.progCoeffs[ci].view(by*stride+bx, d.cbs)
	if ah != 0 {
		// processAC takes the AC scans, so this is a DC refinement.
		return d.refineDC(&pb, 1<<al)
	}
	return d.decodeProgressive(&pb, dc, &d.huff[dcTable][td], &d.huff[acTable][ta], zigStart, zigEnd, al)
}

// unitQuant is the quantization table that leaves coefficients as they
// are, for decodeSequential at reduced scales.
var unitQuant = func() (t block) {
	for i := range t {
		t[i] = 1
	}
	return t
}()

// decodeSequential decodes one block of a sequential (baseline or extended)
// scan into b, multiplied by the natural-order quantization table qt, as specified in sections F.2.2.1 and F.2.2.2. It is the
// standard library's loop with the progressive parameters fixed at
// Ss=0, Se=63, Al=0, including its handling of EOB runs, which only a
// corrupt sequential file contains.
func (d *decoder) decodeSequential(b, qt *block, dc *int32, dcHuff, acHuff *huffman) error {
	dcDelta, err := d.decodeDC(dcHuff)
	if err != nil {
		return err
	}
	*dc += dcDelta
	b[0] = *dc * qt[0]

	zig := int32(1)
	if d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	for ; zig < blockSize; zig++ {
		// Fast path: when the accumulator holds enough bits for the longest
		// look-up-table code (8) plus the longest AC magnitude (15), decode
		// the symbol and its magnitude inline. This is exactly what
		// decodeHuffman and receiveExtend do when they need no input, minus
		// two calls per coefficient. Rarer cases (long codes, EOB, ZRL, a
		// nearly empty accumulator) take the general path below.
		if d.bits.n < 23 {
			d.fillFast()
		}
		if n := d.bits.n; n >= 23 {
			// Fastest path: code and magnitude in one look-up.
			if e := acHuff.fast[(d.bits.a>>(uint32(n-fastBits)&63))&(1<<fastBits-1)]; e != 0 {
				if z := zig + (e>>8)&0xff; z < blockSize {
					zig = z
					d.bits.n = n - e&0xff
					k := unzig[zig] & (blockSize - 1)
					b[k] = e >> 16 * qt[k]
					continue
				}
			}
			if v := acHuff.lut[(d.bits.a>>(uint32(n-lutSize)&63))&0xff]; v != 0 {
				value := uint8(v >> 8)
				if val1 := value & 0x0f; val1 != 0 {
					n -= int32(v&0xff) - 1
					zig += int32(value >> 4)
					if zig >= blockSize {
						d.bits.n = n
						break
					}
					n -= int32(val1)
					s := int32(1) << (val1 & 31)
					x := int32(d.bits.a>>(uint32(n)&63)) & (s - 1)
					x += (x - s>>1) >> 31 & ((-1 << (val1 & 31)) + 1)
					k := unzig[zig] & (blockSize - 1)
					b[k] = x * qt[k]
					d.bits.n = n
					continue
				}
				switch value {
				case 0x00:
					// End of block: an EOB run of 1 that this block uses up.
					d.bits.n = n - (int32(v&0xff) - 1)
					return nil
				case 0xf0:
					// ZRL: sixteen zeros.
					d.bits.n = n - (int32(v&0xff) - 1)
					zig += 0x0f
					continue
				}
			}
		}
		value, err := d.decodeHuffman(acHuff)
		if err != nil {
			return err
		}
		val0 := value >> 4
		val1 := value & 0x0f
		if val1 != 0 {
			zig += int32(val0)
			if zig >= blockSize {
				break
			}
			ac, err := d.receiveExtend(val1)
			if err != nil {
				return err
			}
			k := unzig[zig]
			b[k] = ac * qt[k]
		} else {
			if val0 != 0x0f {
				d.eobRun = uint16(1 << val0)
				if val0 != 0 {
					bits, err := d.decodeBits(int32(val0))
					if err != nil {
						return err
					}
					d.eobRun |= uint16(bits)
				}
				d.eobRun--
				break
			}
			zig += 0x0f
		}
	}
	return nil
}

// decodeDC decodes a DC difference: a Huffman-coded size and that many
// magnitude bits (section F.2.2.1), in one look-up when both are short.
func (d *decoder) decodeDC(h *huffman) (int32, error) {
	if d.bits.n < 16 {
		d.fillFast()
	}
	if n := d.bits.n; n >= fastBits {
		if e := h.fast[(d.bits.a>>(uint32(n-fastBits)&63))&(1<<fastBits-1)]; e != 0 {
			d.bits.n = n - e&0xff
			return e >> 16, nil
		}
	}
	value, err := d.decodeHuffman(h)
	if err != nil {
		return 0, err
	}
	if value > 16 {
		return 0, UnsupportedError("excessive DC component")
	}
	return d.receiveExtend(value)
}

// decodeProgressive decodes the first pass (Ah=0) of one block of a
// progressive scan into pb, as specified in sections G.1.2.1 and G.1.2.2.
func (d *decoder) decodeProgressive(pb *progBlock, dc *int32, dcHuff, acHuff *huffman, zigStart, zigEnd int32, al uint32) error {
	zig := zigStart
	if zig == 0 {
		zig++
		// Decode the DC coefficient, as specified in section F.2.2.1.
		dcDelta, err := d.decodeDC(dcHuff)
		if err != nil {
			return err
		}
		*dc += dcDelta
		pb.set(0, *dc<<al)
	}

	if zig <= zigEnd && d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	// Decode the AC coefficients, as specified in section F.2.2.2.
	for ; zig <= zigEnd; zig++ {
		if d.bits.n < 16 {
			d.fillFast()
		}
		if n := d.bits.n; n >= fastBits {
			if e := acHuff.fast[(d.bits.a>>(uint32(n-fastBits)&63))&(1<<fastBits-1)]; e != 0 {
				if z := zig + (e>>8)&0xff; z <= zigEnd {
					zig = z
					d.bits.n = n - e&0xff
					pb.set(zig, e>>16<<al)
					continue
				}
			}
		}
		value := uint8(0)
		if v := d.decodeFast(acHuff); v >= 0 {
			value = uint8(v)
		} else {
			var err error
			if value, err = d.decodeHuffman(acHuff); err != nil {
				return err
			}
		}
		val0 := value >> 4
		val1 := value & 0x0f
		if val1 != 0 {
			zig += int32(val0)
			if zig > zigEnd {
				break
			}
			ac, err := d.receiveExtend(val1)
			if err != nil {
				return err
			}
			pb.set(zig, ac<<al)
		} else {
			if val0 != 0x0f {
				d.eobRun = uint16(1 << val0)
				if val0 != 0 {
					bits, err := d.decodeBits(int32(val0))
					if err != nil {
						return err
					}
					d.eobRun |= uint16(bits)
				}
				d.eobRun--
				break
			}
			zig += 0x0f
		}
	}
	return nil
}

// refineDC decodes a DC successive approximation refinement bit (section
// G.1.2.1): one bit per block, ORed into the DC coefficient. AC
// refinement is refineAC's.
func (d *decoder) refineDC(b *progBlock, delta int32) error {
	bit, err := d.decodeBit()
	if err != nil {
		return err
	}
	if bit {
		b.orDC(delta)
	}
	return nil
}

func (d *decoder) reconstructProgressiveImage() error {
	if d.workers <= 1 {
		for i := 0; i < d.nComp; i++ {
			if err := d.reconstructRows(i, 0, 1, true); err != nil {
				return err
			}
		}
		return nil
	}
	// Every block is independent now that all scans are in, so workers
	// goroutines each take every workers-th block row of each component.
	// They write disjoint rows of the planes. Options.Check is called only
	// before they start: this last pass is bounded, one IDCT per block.
	if err := d.checkpoint(); err != nil {
		return err
	}
	errs := make([]error, d.workers)
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < d.nComp && errs[w] == nil; i++ {
				errs[w] = d.reconstructRows(i, w, d.workers, false)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// reconstructRows runs the inverse DCT of block rows first, first+step,
// first+2*step... of component i from the coefficient store into the
// image, calling Options.Check every few rows if check is set.
func (d *decoder) reconstructRows(i, first, step int, check bool) error {
	if !d.progCoeffs[i].allocated() {
		return nil
	}
	// The h0, mxx, by and bx variables have the same meaning as in the
	// processSOS method.
	h0 := d.comp[0].h
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	v := 8 * d.comp[0].v / d.comp[i].v
	h := 8 * d.comp[0].h / d.comp[i].h
	stride := mxx * d.comp[i].h
	qt := &d.quant[d.comp[i].tq]
	cs, bs, cbs := &d.progCoeffs[i], d.bs, d.cbs
	nn := cbs * cbs
	var (
		b      block
		corner [blockSize]int16
	)
	for by := first; by*v < d.height; by += step {
		if check && by%checkRows == 0 {
			if err := d.checkpoint(); err != nil {
				return err
			}
		}
		for bx := 0; bx*h < d.width; bx++ {
			dst, dstStride, err := d.blockPixels(bx, by, i)
			if err != nil {
				return err
			}
			blk := by*stride + bx
			low := cs.low[blk*nn : blk*nn+nn]
			if cbs > bs {
				// The test-only full store: cut out the corner.
				for r := 0; r < bs; r++ {
					copy(corner[r*bs:r*bs+bs], low[r*cbs:])
				}
				low = corner[:bs*bs]
			}
			if bs < 8 {
				idctCorner(low, qt, bs, dst, dstStride)
				continue
			}
			cs.dequantize(&b, blk, qt)
			storeIDCT(&b, dst, dstStride)
		}
	}
	return nil
}

// reconstructBlock runs the inverse DCT of the sequential block b and
// stores the pixels: at full size the standard library's 8x8 IDCT of b,
// which decodeSequential has dequantized, or at N/8 a reduced IDCT that
// dequantizes the block's NxN low-frequency corner, turns it into an NxN
// square and reads nothing else.
func (d *decoder) reconstructBlock(b *block, bx, by, compIndex int) error {
	dst, stride, err := d.blockPixels(bx, by, compIndex)
	if err != nil {
		return err
	}
	if d.bs < 8 {
		idctReduced(b, &d.quant[d.comp[compIndex].tq], d.bs, dst, stride)
		return nil
	}
	storeIDCT(b, dst, stride)
	return nil
}

// blockPixels returns where the pixels of block (bx, by) of a component
// go: the start of its bs x bs square and the plane's stride.
func (d *decoder) blockPixels(bx, by, compIndex int) ([]byte, int, error) {
	bs := d.bs
	if d.nComp == 1 {
		return d.img1.Pix[bs*(by*d.img1.Stride+bx):], d.img1.Stride, nil
	}
	switch compIndex {
	case 0:
		return d.img3.Y[bs*(by*d.img3.YStride+bx):], d.img3.YStride, nil
	case 1:
		return d.img3.Cb[bs*(by*d.img3.CStride+bx):], d.img3.CStride, nil
	case 2:
		return d.img3.Cr[bs*(by*d.img3.CStride+bx):], d.img3.CStride, nil
	case 3:
		return d.blackPix[bs*(by*d.blackStride+bx):], d.blackStride, nil
	}
	return nil, 0, UnsupportedError("too many components")
}

// storeIDCT performs the standard library's 8x8 inverse DCT of the
// dequantized block b and stores it to dst.
func storeIDCT(b *block, dst []byte, stride int) {
	idct(b)
	// Level shift by +128, clip to [0, 255], and write to dst. The idct
	// output is far from the int32 limits, so adding 128 first cannot wrap.
	for y := 0; y < 8; y++ {
		row := (*[8]byte)(dst[y*stride:])
		src := (*[8]int32)(b[8*y:])
		row[0] = clampByte(src[0] + 128)
		row[1] = clampByte(src[1] + 128)
		row[2] = clampByte(src[2] + 128)
		row[3] = clampByte(src[3] + 128)
		row[4] = clampByte(src[4] + 128)
		row[5] = clampByte(src[5] + 128)
		row[6] = clampByte(src[6] + 128)
		row[7] = clampByte(src[7] + 128)
	}
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
//
// This is similar to libjpeg's jdmarker.c's next_marker function.
// https://github.com/libjpeg-turbo/libjpeg-turbo/blob/2dfe6c0fe9e18671105e94f7cbf044d4a1d157e6/jdmarker.c#L892-L935
//
// Precondition: d.tmp[:2] holds the next two bytes of JPEG-encoded input
// (input in the d.readFull sense).
func (d *decoder) findRST(expectedRST uint8) error {
	for {
		// i is the index such that, at the bottom of the loop, we read 2-i
		// bytes into d.tmp[i:2], maintaining the invariant that d.tmp[:2]
		// holds the next two bytes of JPEG-encoded input. It is either 0 or 1,
		// so that each iteration advances by 1 or 2 bytes (or returns).
		i := 0

		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				// libjpeg's jdmarker.c's jpeg_resync_to_restart does something
				// fancy here, treating RST markers within two (modulo 8) of
				// expectedRST differently from RST markers that are 'more
				// distant'. Until we see evidence that recovering from such
				// cases is frequent enough to be worth the complexity, we take
				// a simpler approach for now. Any marker that's not 0x00, 0xff
				// or expectedRST is a fatal FormatError.
				return FormatError("bad RST marker")
			}

		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}

		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}
