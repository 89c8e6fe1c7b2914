package imagefile

import (
	"encoding/binary"
)

// Info is what the header of an image declares.
type Info struct {
	Format        Format
	Width, Height int  // as stored, before EXIF orientation (HEIF, AVIF: the clean aperture, before irot/imir)
	HasAlpha      bool // the format declares an alpha channel or a transparent colour
	Orientation   int  // EXIF orientation 1-8 (1 when absent); HEIF, AVIF: irot/imir as EXIF (see heif.go)
	Progressive   bool // a progressive JPEG, whose decoder holds every coefficient until the last scan

	// What the decoder will hold, for the resource budget (package budget).
	Channels   int  // samples per pixel as stored: JPEG components, PNG 1-4 (palette 1), GIF 1, WebP 3 or 4
	Depth      int  // bits per sample: 8, or 16 for a 16-bit PNG (1, 2 and 4 count as 8)
	Interlaced bool // an Adam7-interlaced PNG, whose decoder holds every pass besides the image
	Lossless   bool // a lossless (VP8L) WebP
	// ChromaH and ChromaV are how much a JPEG's chroma is subsampled across and down (2, 2 for 4:2:0; 1, 1 for
	// 4:4:4 and for a single component).
	ChromaH, ChromaV int
	Scans            int  // a JPEG's scans (SOS markers); more than 1 only for a progressive file
	RGB              bool // a 3-component JPEG stored as RGB, not YCbCr (Adobe transform 0, or components R, G, B)
	// Profile reports an embedded ICC profile, or HEIF/AVIF nclx code points: the frame may be converted to sRGB.
	Profile bool
}

// Pixels returns the pixel count the header declares.
func (i Info) Pixels() int64 { return int64(i.Width) * int64(i.Height) }

// Upright returns the dimensions after EXIF orientation is applied: 5-8 swap width and height.
func (i Info) Upright() (w, h int) {
	if i.Orientation >= 5 && i.Orientation <= 8 {
		return i.Height, i.Width
	}
	return i.Width, i.Height
}

// OutputFormat is the format the pipeline writes this image's derivatives in: JPEG for opaque sources and PNG where
// the source declares alpha, so transparency survives. The upload function names the derivative keys with it
// before they exist.
func (i Info) OutputFormat() Format {
	if i.HasAlpha {
		return PNG
	}
	return JPEG
}

// Inspect identifies data by its magic number, reads dimensions, alpha and orientation from the header, checks the
// pixel limit (maxPixels <= 0 disables it) and checks that the file is structurally complete. It decodes no pixels.
func Inspect(data []byte, maxPixels int64) (Info, error) {
	f, err := Sniff(data)
	if err != nil {
		return Info{}, err
	}
	info := Info{Format: f, Orientation: 1, Depth: 8, ChromaH: 1, ChromaV: 1}
	switch f {
	case JPEG:
		err = inspectJPEG(data, &info)
	case PNG:
		err = inspectPNG(data, &info)
	case GIF:
		err = inspectGIF(data, &info)
	case WebP:
		err = inspectWebP(data, &info)
	case HEIC, AVIF:
		err = inspectHEIF(data, &info, maxPixels)
	}
	if err != nil {
		return Info{}, err
	}
	if info.Width <= 0 || info.Height <= 0 {
		return Info{}, ErrTruncated
	}
	if maxPixels > 0 && info.Pixels() > maxPixels {
		return Info{}, ErrTooManyPixels.Withf("the image is %dx%d (%.1f MP); the limit is %.1f MP",
			info.Width, info.Height, float64(info.Pixels())/1e6, float64(maxPixels)/1e6)
	}
	if !info.Profile {
		info.Profile = ICC(f, data) != nil
	}
	return info, nil
}

// inspectPNG reads the IHDR chunk, which must come first, finds alpha (colour types 4 and 6, or a tRNS chunk) and
// orientation (an eXIf chunk), and requires an IEND chunk, which a cut-off upload lacks.
func inspectPNG(data []byte, info *Info) error {
	if len(data) < 33 || string(data[12:16]) != "IHDR" {
		return ErrTruncated
	}
	info.Width, info.Height = int(binary.BigEndian.Uint32(data[16:])), int(binary.BigEndian.Uint32(data[20:]))
	if info.Width > 1<<31-1 || info.Height > 1<<31-1 {
		return ErrTruncated
	}
	depth, ct := data[24], data[25]
	info.HasAlpha = ct == 4 || ct == 6
	info.Channels = map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ct]
	if depth == 16 {
		info.Depth = 16
	}
	info.Interlaced = data[28] == 1
	for p := 8; p+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		if n < 0 || n > len(data) || p+12+n > len(data) {
			return ErrTruncated
		}
		switch typ {
		case "tRNS":
			info.HasAlpha = true
		case "eXIf":
			info.Orientation = exifOrientation(data[p+8 : p+8+n])
		case "IEND":
			return nil
		}
		p += 12 + n
	}
	return ErrTruncated
}

// inspectGIF reads the logical screen size, looks for a transparent colour in the Graphic Control Extension before
// the first frame, and requires the trailer byte that ends every complete GIF.
func inspectGIF(data []byte, info *Info) error {
	if len(data) < 14 || data[len(data)-1] != 0x3B {
		return ErrTruncated
	}
	info.Width, info.Height = int(binary.LittleEndian.Uint16(data[6:])), int(binary.LittleEndian.Uint16(data[8:]))
	info.Channels = 1
	p := 13
	if data[10]&0x80 != 0 {
		p += 3 << (int(data[10]&7) + 1)
	}
	for p+1 < len(data) && data[p] == 0x21 { // extension blocks until the first image descriptor
		if data[p+1] == 0xF9 && p+3 < len(data) && data[p+3]&1 != 0 {
			info.HasAlpha = true
		}
		p += 2
		for p < len(data) && data[p] != 0 { // sub-blocks
			p += int(data[p]) + 1
		}
		p++
	}
	return nil
}

// inspectWebP reads the first chunk's header: the lossy (VP8) key frame, the lossless (VP8L) header with its alpha
// bit, or the extended (VP8X) canvas with its flags, in which case it also reads orientation from an EXIF chunk. It
// checks the RIFF length, which a cut-off upload fails.
func inspectWebP(data []byte, info *Info) error {
	if len(data) < 30 || int64(binary.LittleEndian.Uint32(data[4:]))+8 > int64(len(data)) {
		return ErrTruncated
	}
	switch string(data[12:16]) {
	case "VP8 ":
		// Frame tag (3 bytes), then the key frame start code and the 14-bit dimensions.
		if data[20]&1 != 0 || string(data[23:26]) != "\x9d\x01\x2a" {
			return ErrTruncated
		}
		info.Width = int(binary.LittleEndian.Uint16(data[26:]) & 0x3fff)
		info.Height = int(binary.LittleEndian.Uint16(data[28:]) & 0x3fff)
		info.Channels = 3
	case "VP8L":
		if data[20] != 0x2f {
			return ErrTruncated
		}
		bits := binary.LittleEndian.Uint32(data[21:])
		info.Width, info.Height = int(bits&0x3fff)+1, int(bits>>14&0x3fff)+1
		info.HasAlpha = bits>>28&1 != 0
		info.Channels, info.Lossless = 4, true
	case "VP8X":
		if data[20]&0x02 != 0 { // the decoder reads still images only
			return unsupportedFormat("animated WebP")
		}
		info.HasAlpha = data[20]&0x10 != 0
		info.Width = int(uint32(data[24])|uint32(data[25])<<8|uint32(data[26])<<16) + 1
		info.Height = int(uint32(data[27])|uint32(data[28])<<8|uint32(data[29])<<16) + 1
		if data[20]&0x08 != 0 {
			info.Orientation = exifOrientation(webpChunk(data, "EXIF"))
		}
		info.Channels, info.Lossless = 3, webpChunk(data, "VP8L") != nil
		if info.HasAlpha || info.Lossless {
			info.Channels = 4
		}
	default:
		return ErrTruncated
	}
	return nil
}

// webpChunk returns the payload of the first chunk of type fourcc in a RIFF WebP file, or nil.
func webpChunk(data []byte, fourcc string) []byte {
	for p := 12; p+8 <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[p+4:]))
		if n < 0 || n > len(data)-p-8 {
			return nil
		}
		if string(data[p:p+4]) == fourcc {
			return data[p+8 : p+8+n]
		}
		p += 8 + n + n&1 // chunks are padded to an even size
	}
	return nil
}
