package imagefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	_ "image/gif" // registers DecodeConfig for GIF
	_ "image/png" // registers DecodeConfig for PNG

	_ "golang.org/x/image/webp" // registers DecodeConfig for WebP
)

// Info is what the header of an image declares.
type Info struct {
	Format        Format
	Width, Height int  // as stored, before EXIF orientation
	HasAlpha      bool // the format declares an alpha channel or a transparent colour
	Orientation   int  // EXIF orientation 1-8 (1 when absent)
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

// PixelLimitError reports an image whose header declares more pixels than allowed.
type PixelLimitError struct {
	Width, Height int
	Max           int64
}

func (e *PixelLimitError) Error() string {
	return fmt.Sprintf("imagefile: the image is %dx%d (%.1f MP); the limit is %.1f MP",
		e.Width, e.Height, float64(e.Width)*float64(e.Height)/1e6, float64(e.Max)/1e6)
}

// Is makes errors.Is(err, ErrTooManyPixels) true.
func (e *PixelLimitError) Is(target error) bool { return target == ErrTooManyPixels }

// Inspect identifies data by its magic number, reads dimensions, alpha and orientation from the header, checks the
// pixel limit (maxPixels <= 0 disables it) and checks that the file is structurally complete. It decodes no pixels.
func Inspect(data []byte, maxPixels int64) (Info, error) {
	f, err := Sniff(data)
	if err != nil {
		return Info{}, err
	}
	info := Info{Format: f, Orientation: 1}
	switch f {
	case JPEG:
		err = inspectJPEG(data, &info)
	default:
		err = inspectOther(data, &info)
	}
	if err != nil {
		return Info{}, err
	}
	if info.Width <= 0 || info.Height <= 0 {
		return Info{}, ErrTruncated
	}
	if maxPixels > 0 && info.Pixels() > maxPixels {
		return Info{}, &PixelLimitError{Width: info.Width, Height: info.Height, Max: maxPixels}
	}
	return info, nil
}

// inspectOther reads PNG, GIF and WebP headers through the registered image decoders and checks their trailers.
func inspectOther(data []byte, info *Info) error {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return ErrTruncated
	}
	info.Width, info.Height = cfg.Width, cfg.Height
	switch info.Format {
	case PNG:
		return inspectPNG(data, info)
	case GIF:
		return inspectGIF(data, info)
	case WebP:
		return inspectWebP(data, info)
	}
	return nil
}

// inspectPNG finds alpha (colour types 4 and 6, or a tRNS chunk) and requires an IEND chunk, which a cut-off upload
// lacks.
func inspectPNG(data []byte, info *Info) error {
	if len(data) > 25 {
		ct := data[25]
		info.HasAlpha = ct == 4 || ct == 6
	}
	for p := 8; p+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		if n < 0 || p+12+n > len(data) {
			return ErrTruncated
		}
		switch typ {
		case "tRNS":
			info.HasAlpha = true
		case "IEND":
			return nil
		}
		p += 12 + n
	}
	return ErrTruncated
}

// inspectGIF looks for a transparent colour in the Graphic Control Extension before the first frame, and for the
// trailer byte that ends every complete GIF.
func inspectGIF(data []byte, info *Info) error {
	if data[len(data)-1] != 0x3B {
		return ErrTruncated
	}
	p := 13
	if len(data) > 10 && data[10]&0x80 != 0 {
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

// inspectWebP reads the alpha flag of the extended (VP8X) or lossless (VP8L) header and checks the RIFF length.
func inspectWebP(data []byte, info *Info) error {
	if len(data) < 30 || int64(binary.LittleEndian.Uint32(data[4:]))+8 > int64(len(data)) {
		return ErrTruncated
	}
	switch string(data[12:16]) {
	case "VP8X":
		if data[20]&0x02 != 0 { // the decoder reads still images only
			return &UnsupportedError{Name: "animated WebP"}
		}
		info.HasAlpha = data[20]&0x10 != 0
	case "VP8L":
		info.HasAlpha = binary.LittleEndian.Uint32(data[21:])>>28&1 != 0
	}
	return nil
}
