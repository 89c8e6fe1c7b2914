package imagefile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
)

// MaxICCSize bounds an embedded colour profile. Display profiles are 0.5-4 KB and press CMYK profiles reach a
// few MB; a PNG's compressed iCCP chunk is inflated no further than this, so a zlib bomb costs nothing.
const MaxICCSize = 8 << 20

// ICC returns the ICC profile embedded in a JPEG (APP2 "ICC_PROFILE" segments), PNG (iCCP chunk), WebP (ICCP
// chunk) or HEIF/AVIF (the primary item's colr box of type prof or rICC; NCLX reads the nclx type) file, without
// decoding pixels. It returns nil when there is none, when the format carries none (GIF), or when what is there
// is malformed: the caller then treats the pixels as sRGB, which is what browsers do. The
// result may share memory with data. It does not check that the bytes are a valid profile.
func ICC(f Format, data []byte) []byte {
	switch f {
	case JPEG:
		return jpegICC(data)
	case PNG:
		return pngICC(data)
	case WebP:
		return webpICC(data)
	case HEIC, AVIF:
		return heifICC(data)
	}
	return nil
}

// jpegICC reassembles the profile from its APP2 chunks, which carry a 1-based sequence number and the chunk count
// (ICC.1 annex B.4) because one segment holds at most 65519 bytes. Chunks may come in any order; a missing,
// repeated or inconsistent chunk makes the whole profile unusable.
func jpegICC(data []byte) []byte {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil
	}
	var (
		chunks [][]byte
		total  int
	)
	for p := 2; ; {
		for p < len(data) && data[p] == 0xFF {
			p++
		}
		if p >= len(data) || data[p-1] != 0xFF {
			return nil
		}
		marker := data[p]
		p++
		if marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) {
			continue
		}
		if marker == 0xDA || marker == 0xD9 || p+2 > len(data) { // profile segments all precede the first scan
			break
		}
		n := int(binary.BigEndian.Uint16(data[p:]))
		if n < 2 || p+n > len(data) {
			return nil
		}
		seg := data[p+2 : p+n]
		p += n
		if marker != 0xE2 || len(seg) < 14 || !bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00")) {
			continue
		}
		seq, count := int(seg[12]), int(seg[13])
		if count == 0 || seq == 0 || seq > count {
			return nil
		}
		if chunks == nil {
			chunks = make([][]byte, count)
		}
		if count != len(chunks) || chunks[seq-1] != nil {
			return nil
		}
		chunks[seq-1] = seg[14:]
		if total += len(seg) - 14; total > MaxICCSize {
			return nil
		}
	}
	if chunks == nil {
		return nil
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		if c == nil {
			return nil
		}
		out = append(out, c...)
	}
	return out
}

// pngICC inflates the iCCP chunk, which must come before the image data. A PNG with an sRGB chunk instead needs
// no profile. gAMA and cHRM are not turned into one: browsers disagree on them, and a lone gAMA written by old
// tools is more often wrong than right.
func pngICC(data []byte) []byte {
	if len(data) < 8 || !bytes.Equal(data[:8], []byte("\x89PNG\r\n\x1a\n")) {
		return nil
	}
	for p := 8; p+8 <= len(data); {
		n := int64(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		if n > int64(len(data)-p-12) {
			return nil
		}
		body := data[p+8 : p+8+int(n)]
		switch typ {
		case "iCCP":
			// A 1-79 byte name, a NUL, the compression method (0: zlib), then the deflated profile.
			i := bytes.IndexByte(body, 0)
			if i < 1 || i > 79 || i+2 > len(body) || body[i+1] != 0 {
				return nil
			}
			return inflate(body[i+2:])
		case "IDAT", "IEND":
			return nil
		}
		p += 12 + int(n)
	}
	return nil
}

// inflate decompresses zlib data of at most MaxICCSize bytes.
func inflate(b []byte) []byte {
	z, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	defer z.Close()
	out, err := io.ReadAll(io.LimitReader(z, MaxICCSize+1))
	if err != nil || len(out) > MaxICCSize || len(out) == 0 {
		return nil
	}
	return out
}

// webpICC returns the ICCP chunk of an extended (VP8X) WebP. Simple VP8 and VP8L files carry no metadata.
func webpICC(data []byte) []byte {
	if len(data) < 30 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" || string(data[12:16]) != "VP8X" {
		return nil
	}
	if data[20]&0x20 == 0 { // the VP8X ICC flag
		return nil
	}
	end := int64(binary.LittleEndian.Uint32(data[4:])) + 8
	if end > int64(len(data)) {
		end = int64(len(data))
	}
	for p := int64(12); p+8 <= end; {
		n := int64(binary.LittleEndian.Uint32(data[p+4:]))
		if p+8+n > end {
			return nil
		}
		if string(data[p:p+4]) == "ICCP" {
			if n == 0 || n > MaxICCSize {
				return nil
			}
			return data[p+8 : p+8+n]
		}
		p += 8 + n + n&1 // chunks are padded to an even size
	}
	return nil
}
