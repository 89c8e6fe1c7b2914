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
	jfif, adobe, adobeRGB, named := false, false, false, false
	for {
		// Bytes that are not a marker between segments are a format error strictly speaking, but libjpeg and
		// image/jpeg skip them (libjpeg warns "extraneous bytes before marker"), and some cameras write them.
		for p < len(data) && data[p] != 0xFF {
			p++
		}
		for p < len(data) && data[p] == 0xFF { // fill bytes before a marker
			p++
		}
		if p >= len(data) {
			return ErrTruncated
		}
		marker := data[p]
		p++
		if marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) { // stuffed byte, standalone markers
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
		case marker == 0xE0 && bytes.HasPrefix(seg, []byte("JFIF\x00")):
			jfif = true
		case marker == 0xEE && len(seg) >= 12 && bytes.HasPrefix(seg, []byte("Adobe")):
			adobe, adobeRGB = true, seg[11] == 0
		case marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
			if len(seg) < 6 { // precision, height, width and the component count
				return ErrTruncated
			}
			// Baseline, extended and progressive 8-bit frames only: lossless, hierarchical, arithmetic-coded and
			// 12-bit JPEGs are rare and no pure-Go decoder reads them.
			if marker > 0xC2 || seg[0] != 8 {
				return unsupportedFormat("lossless, arithmetic-coded or 12-bit JPEG")
			}
			info.Height = int(binary.BigEndian.Uint16(seg[1:]))
			info.Width = int(binary.BigEndian.Uint16(seg[3:]))
			info.Progressive = marker == 0xC2
			info.Channels = int(seg[5])
			if len(seg) < 6+3*info.Channels || info.Channels == 0 {
				return ErrTruncated
			}
			// Chroma subsampling: the largest sampling factors over the first component's (which is luma).
			maxH, maxV := 1, 1
			for c := range info.Channels {
				maxH, maxV = max(maxH, int(seg[7+3*c]>>4)), max(maxV, int(seg[7+3*c]&15))
			}
			if info.Channels > 1 {
				info.ChromaH, info.ChromaV = maxH, maxV
			}
			named = info.Channels == 3 && string([]byte{seg[6], seg[9], seg[12]}) == "RGB"
		case marker == 0xDA:
			if info.Width == 0 {
				return ErrTruncated
			}
			scans, ok := countScans(data[p+n:])
			if !ok {
				return ErrTruncated
			}
			info.Scans = 1 + scans
			// The colour model as image/jpeg (and jpegscale) decide it: JFIF means YCbCr, then Adobe's transform
			// flag, then the component names.
			info.RGB = info.Channels == 3 && !jfif && (adobe && adobeRGB || !adobe && named)
			return nil
		case marker == 0xD9:
			return ErrTruncated // EOI before any scan
		}
		p += n
	}
}

// countScans walks the entropy-coded data after the first scan header to the End Of Image marker, counting the
// further Start Of Scan markers. Inside entropy-coded data a 0xFF byte is always stuffed (FF00) and only RSTn
// markers appear, so any other marker starts a segment (DHT, DQT or SOS between progressive scans) whose length
// is skipped. It reports false when the data ends without an EOI, which a cut-off upload lacks.
func countScans(data []byte) (scans int, ok bool) {
	for p := 0; ; {
		i := bytes.IndexByte(data[p:], 0xFF)
		if i < 0 {
			return scans, false
		}
		p += i + 1
		for p < len(data) && data[p] == 0xFF {
			p++
		}
		if p >= len(data) {
			return scans, false
		}
		m := data[p]
		p++
		switch {
		case m == 0x00 || m >= 0xD0 && m <= 0xD7:
			continue
		case m == 0xD9:
			return scans, true
		}
		if p+2 > len(data) {
			return scans, false
		}
		if m == 0xDA {
			scans++
		}
		p += int(binary.BigEndian.Uint16(data[p:]))
		if p > len(data) {
			return scans, false
		}
	}
}
