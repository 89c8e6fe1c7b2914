package imagefile

import (
	"bytes"
	"encoding/binary"
)

// inspectJPEG walks the marker segments up to the first Start Of Scan: it reads the frame size from SOFn and the
// orientation from the EXIF APP1 segment, then requires an End Of Image marker after the scan. Inside entropy-coded
// data a 0xFF byte is always stuffed (FF00) and only RSTn markers appear, so FFD9 after the SOS can only be the real
// EOI; one inside an embedded EXIF thumbnail is skipped because the walk never looks inside APP1.
func inspectJPEG(data []byte, info *Info) error {
	p := 2
	for {
		for p < len(data) && data[p] == 0xFF { // fill bytes before a marker
			p++
		}
		if p >= len(data) || data[p-1] != 0xFF {
			return ErrTruncated
		}
		marker := data[p]
		p++
		if marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) { // standalone markers
			continue
		}
		if p+2 > len(data) {
			return ErrTruncated
		}
		n := int(binary.BigEndian.Uint16(data[p:]))
		if n < 2 || p+n > len(data) {
			return ErrTruncated
		}
		seg := data[p+2 : p+n]
		switch {
		case marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")):
			info.Orientation = exifOrientation(seg[6:])
		case marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
			if len(seg) < 5 {
				return ErrTruncated
			}
			// Baseline, extended and progressive 8-bit frames only: lossless, hierarchical, arithmetic-coded and
			// 12-bit JPEGs are rare and no pure-Go decoder reads them.
			if marker > 0xC2 || seg[0] != 8 {
				return &UnsupportedError{Name: "lossless, arithmetic-coded or 12-bit JPEG"}
			}
			info.Height = int(binary.BigEndian.Uint16(seg[1:]))
			info.Width = int(binary.BigEndian.Uint16(seg[3:]))
		case marker == 0xDA:
			if info.Width == 0 {
				return ErrTruncated
			}
			if !bytes.Contains(data[p+n:], []byte{0xFF, 0xD9}) {
				return ErrTruncated
			}
			return nil
		case marker == 0xD9:
			return ErrTruncated // EOI before any scan
		}
		p += n
	}
}

// Orientation returns the EXIF orientation (1-8) of a JPEG, or 1 when it has none. It reads only marker segments.
func Orientation(data []byte) int {
	info := Info{Orientation: 1}
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	_ = inspectJPEG(data, &info) // a truncated file still yields the orientation read before the cut
	return info.Orientation
}

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF-structured EXIF block. Anything malformed means "no
// orientation", never an error: a broken EXIF block must not reject an otherwise good photo.
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(tiff[4:]))
	if ifd < 8 || ifd+2 > len(tiff) {
		return 1
	}
	count := int(bo.Uint16(tiff[ifd:]))
	for i := 0; i < count; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(tiff) {
			return 1
		}
		if bo.Uint16(tiff[e:]) == 0x0112 && bo.Uint16(tiff[e+2:]) == 3 { // SHORT
			if v := int(bo.Uint16(tiff[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}
