package budget

import "github.com/imgpipe/imgpipe/pkg/imagefile"

// Costs of the decoders without a closed form here, measured (TestEstimateBoundsProcess in package imageproc
// holds them): libheif with libde265, and libaom, run in WebAssembly, whose linear memory holds the coded
// picture, the decoded planes at the codec's bit depth and their conversion, and grows by copying. Measured
// totals: HEIC 18, 70 and 241 MB at 0.5, 1.9 and 7.7 MP; AVIF 60, 167 and 573 MB.
const (
	heicFixed, heicBytesPerPixel = 24 << 20, 34
	avifFixed, avifBytesPerPixel = 32 << 20, 72
	// webpLosslessBytesPerPixel covers x/image/webp's lossless decoder: the ARGB pixels, the transforms' copies
	// and the NRGBA result.
	webpLosslessBytesPerPixel = 12
	// webpEncoderBytes is the WebP encoder's WebAssembly memory, allocated once and kept (at imageproc.WebPMethod 2;
	// method 0 needed 48 MB).
	webpEncoderBytes = 64 << 20
	// fixedBytes covers the decoders' tables and state and the allocator's rounding of large buffers.
	fixedBytes = 1 << 20
)

// Estimate is the Cost of decoding a file of dataLen bytes described by info for an upright width of minWidth,
// and resizing and encoding it into outputs.
func Estimate(info imagefile.Info, dataLen int, minWidth int, outputs []Output) Cost {
	c := Cost{Source: int64(dataLen), Scale: 8}
	w, h := int64(info.Width), int64(info.Height)
	pixels := w * h
	fw, fh := w, h // the decoded frame
	switch info.Format {
	case imagefile.JPEG:
		c.Scale = scaleN(info, minWidth)
		c.Decode, fw, fh = jpegDecode(info, c.Scale)
	case imagefile.PNG:
		out := pngOutputBytes(info)
		c.Decode = pixels*out + 2*(w*int64(max(info.Channels, 1))*int64(info.Depth)/8+1)
		if info.Interlaced {
			c.Decode += pixels * out // every pass is an image of its own before it is merged
		}
	case imagefile.GIF:
		c.Decode = pixels * (1 + 4) // the paletted frame, and the canvas it is composed on
	case imagefile.WebP:
		switch {
		case info.Lossless:
			c.Decode = pixels * webpLosslessBytesPerPixel
		case info.HasAlpha:
			// YCbCr 4:2:0 with an alpha plane, whose lossless decode is as costly as a lossless picture's.
			c.Decode = pixels * webpLosslessBytesPerPixel
		default:
			c.Decode = pixels * 2 // YCbCr 4:2:0, and the decoder's macroblock rows
		}
	case imagefile.HEIC:
		c.Decode = heicFixed + pixels*heicBytesPerPixel
	case imagefile.AVIF:
		c.Decode = avifFixed + pixels*avifBytesPerPixel
	default:
		c.Decode = pixels * 8
	}
	if info.Profile {
		c.Colour = fw * fh * 4 // a converted copy (gray and NRGBA frames are converted in place)
	}
	// The resampler, from the decoded frame to the largest output: a box shrink when the ratio is over 4
	// (imageproc's shrinkFactors), then the first separable pass, each at most 4 bytes a pixel (NRGBA; planes take
	// less). A cascade step's intermediate is at most the output it starts from, counted below.
	var big Output
	for _, o := range outputs {
		if o.Width*o.Height > big.Width*big.Height {
			big = o
		}
	}
	if big.Width > 0 {
		ow, oh := int64(big.Width), int64(big.Height)
		if info.Orientation >= 5 && info.Orientation <= 8 {
			ow, oh = oh, ow // resized in the stored orientation
		}
		kx, ky := max(1, fw/ow/2), max(1, fh/oh/2)
		bw, bh := (fw+kx-1)/kx, (fh+ky-1)/ky
		if kx*ky > 1 {
			c.Resize += 4 * bw * bh
		}
		c.Resize += 4 * max(ow*bh, bw*oh)
	}
	// Each output is held resized (4 bytes a pixel at most) and as the next step's intermediate, again when it is
	// turned upright or padded, and encoded.
	webp := false
	for _, o := range outputs {
		per := int64(4 + 4)
		if info.Orientation >= 2 && info.Orientation <= 8 {
			per += 4
		}
		switch o.Format {
		case imagefile.WebP:
			per += 6 // the encoder's YUV copy and its output
			webp = true
		case imagefile.PNG:
			per += 8 // a padded copy, the filter rows and the compressed output
		default:
			per += 6 // a padded copy and the output
		}
		c.Resize += per * int64(o.Width) * int64(o.Height)
	}
	if webp {
		c.Resize += webpEncoderBytes
	}
	c.Bytes = c.Source + c.Decode + c.Colour + c.Resize + fixedBytes
	return c
}

// pngOutputBytes is the bytes per pixel of the image image/png returns.
func pngOutputBytes(info imagefile.Info) int64 {
	deep := info.Depth == 16
	switch info.Channels {
	case 1: // gray, or palette
		if deep {
			return 2
		}
		return 1
	case 0:
		return 8
	}
	if deep {
		return 8
	}
	return 4
}

// JPEGHeadroom is the fraction (1/JPEGHeadroom) by which a JPEG's N/8 decode exceeds the width it is for, so that
// the resampler always does the last step (imageproc.JPEGScale says why).
const JPEGHeadroom = 10

// scaleN mirrors jpegscale.ScaleNFor through imageproc.JPEGScale: the smallest N whose ceil(side*N/8) keeps
// minWidth and its headroom, where side is the stored side that becomes the upright width.
func scaleN(info imagefile.Info, minWidth int) int {
	minWidth += minWidth / JPEGHeadroom
	side := info.Width
	if info.Orientation >= 5 && info.Orientation <= 8 {
		side = info.Height
	}
	for n := 1; n < 8; n++ {
		if (side*n+7)/8 >= minWidth {
			return n
		}
	}
	return 8
}

// jpegDecode mirrors jpegscale's allocations (jpegscale.Cost): the sample planes padded to whole MCUs at N/8,
// the interleaved conversion of a CMYK or RGB file, and for a progressive file the coefficient store, which keeps
// the N x N corner of every block (two bytes each) and an eight-byte bitmap. It returns the bytes and the decoded
// size.
func jpegDecode(info imagefile.Info, n int) (bytes, width, height int64) {
	hs, vs := int64(max(info.ChromaH, 1)), int64(max(info.ChromaV, 1))
	if info.Channels == 1 {
		hs, vs = 1, 1
	}
	mxx := (int64(info.Width) + 8*hs - 1) / (8 * hs)
	myy := (int64(info.Height) + 8*vs - 1) / (8 * vs)
	nn := int64(n)
	pw, ph := nn*hs*mxx, nn*vs*myy // the luma plane, padded
	ow, oh := (int64(info.Width)*nn+7)/8, (int64(info.Height)*nn+7)/8
	pixels := ow * oh
	blocks := mxx * myy * hs * vs // luma blocks
	switch comps := int64(max(info.Channels, 1)); {
	case comps == 1:
		bytes = pw * ph
	default:
		cw, ch := (pw+hs-1)/hs, (ph+vs-1)/vs
		bytes = pw*ph + 2*cw*ch
		if comps == 4 {
			bytes += pw * ph // the black plane, at luma's resolution at most
		}
		if comps == 4 || info.RGB {
			bytes += 4 * pixels // CMYK and RGB files are converted to an interleaved image
		}
		blocks += 2 * mxx * myy // Cb and Cr
		if comps == 4 {
			blocks += mxx * myy * hs * vs // black
		}
	}
	if info.Progressive {
		bytes += blocks * (nn*nn*2 + 8)
	}
	return bytes + bytes/64 + 64<<10, ow, oh // size-class rounding and the decoder's own state
}
