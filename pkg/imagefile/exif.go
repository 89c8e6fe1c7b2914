package imagefile

import (
	"bytes"
	"encoding/binary"
)

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF-structured EXIF block, as JPEG's APP1, PNG's eXIf and WebP's
// EXIF chunk carry it (WebP writers disagree on whether the "Exif\0\0" prefix of APP1 is included, so it is
// skipped when present). Anything malformed means "no orientation", never an error: a broken EXIF block must not
// reject an otherwise good photo.
func exifOrientation(tiff []byte) int {
	tiff = bytes.TrimPrefix(tiff, []byte("Exif\x00\x00"))
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
