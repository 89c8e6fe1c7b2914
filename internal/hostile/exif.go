package hostile

import (
	"encoding/binary"
)

// EXIF blocks are TIFF structures: a byte-order mark, 42, the offset of IFD0, then IFDs of 12-byte entries (tag,
// type, count, value or offset) each followed by the offset of the next IFD. Every count and offset is the file's
// word, so a hostile block can point anywhere, loop, or declare four billion values.

// ifdEntry is one TIFF directory entry.
type ifdEntry struct {
	tag, typ     uint16
	count, value uint32
}

// tiff writes a little-endian TIFF block with IFD0 at ifd0 (8 for a well-formed block) holding entries and
// declaring count of them, then next as the next IFD's offset.
func tiff(ifd0 uint32, count uint16, next uint32, entries ...ifdEntry) []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00")
	b = le.AppendUint32(b, ifd0)
	b = le.AppendUint16(b, count)
	for _, e := range entries {
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.typ)
		b = le.AppendUint32(b, e.count)
		b = le.AppendUint32(b, e.value)
	}
	return le.AppendUint32(b, next)
}

// TIFF types and tags used here.
const (
	typeASCII, typeShort, typeLong = 2, 3, 4
	tagOrientation, tagMake        = 0x0112, 0x010F
	tagExifIFD, tagGPSIFD          = 0x8769, 0x8825
)

// orientation is an Orientation entry holding v as a SHORT (the value sits in the first two bytes of the field).
func orientation(v uint16) ifdEntry { return ifdEntry{tagOrientation, typeShort, 1, uint32(v)} }

// HostileEXIF is one EXIF block that breaks careless readers, and the orientation a reader must take from it.
type HostileEXIF struct {
	Name string
	TIFF []byte // without the "Exif\x00\x00" prefix of APP1
	// Orientation is what the block means: 1 when it carries no valid orientation, which must never reject the
	// photo.
	Orientation int
}

// HostileEXIFs are the blocks: orientations out of range, IFD offsets that loop or point past the end, counts far
// larger than the block, a block filled with entries.
func HostileEXIFs() []HostileEXIF {
	many := make([]ifdEntry, 0, 5400) // what fits in one APP1 segment (65533 bytes), the orientation last
	for i := range cap(many) - 1 {
		many = append(many, ifdEntry{uint16(0x9000 + i%0x0fff), typeLong, 0xFFFFFFFF, uint32(i) * 4096})
	}
	many = append(many, orientation(6))
	return []HostileEXIF{
		{"orientation 0", tiff(8, 1, 0, orientation(0)), 1},
		{"orientation 9", tiff(8, 1, 0, orientation(9)), 1},
		{"orientation 65535", tiff(8, 1, 0, orientation(65535)), 1},
		{"orientation as LONG", tiff(8, 1, 0, ifdEntry{tagOrientation, typeLong, 1, 6}), 1},
		{"orientation 9 then 6", tiff(8, 2, 0, orientation(9), orientation(6)), 1},
		{"IFD0 at offset 0", tiff(0, 1, 0, orientation(6)), 1},
		{"IFD0 past the end", tiff(0xFFFFFFF0, 1, 0, orientation(6)), 1},
		{"IFD0 inside the header", tiff(4, 1, 0, orientation(6)), 1},
		{"65535 entries declared, 1 present", tiff(8, 0xFFFF, 0, orientation(6)), 6},
		// IFD0's next-IFD link, its Exif IFD and its GPS IFD all point back at IFD0: a reader that follows links
		// without remembering where it has been never stops.
		{"IFD links loop to IFD0", tiff(8, 3, 8, ifdEntry{tagExifIFD, typeLong, 1, 8},
			ifdEntry{tagGPSIFD, typeLong, 1, 8}, orientation(6)), 6},
		{"4G-value string past the end", tiff(8, 2, 0, ifdEntry{tagMake, typeASCII, 0xFFFFFFFF, 0xFFFFFFF0},
			orientation(6)), 6},
		{"5400 entries of 4G values", tiff(8, uint16(len(many)), 0, many...), 6},
		{"header only", []byte("II*\x00"), 1},
		{"big-endian mark, little-endian words", append([]byte("MM"), tiff(8, 1, 0, orientation(6))[2:]...), 1},
	}
}

// WebPWithEXIF wraps a lossy WebP bitstream (a simple-format file's VP8 chunk) in an extended file of canvas
// w x h with an EXIF chunk holding exif.
func WebPWithEXIF(simple []byte, w, h int, exif []byte) []byte {
	le := binary.LittleEndian
	vp8 := simple[12:] // the "VP8 " chunk, padded
	vp8x := append([]byte("VP8X\x0a\x00\x00\x00\x08\x00\x00\x00"), byte(w-1), byte((w-1)>>8), byte((w-1)>>16),
		byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	chunk := append([]byte("EXIF"), le.AppendUint32(nil, uint32(len(exif)))...)
	chunk = append(chunk, exif...)
	if len(exif)%2 == 1 {
		chunk = append(chunk, 0)
	}
	body := append(append(append([]byte("WEBP"), vp8x...), vp8...), chunk...)
	return append(append([]byte("RIFF"), le.AppendUint32(nil, uint32(len(body)))...), body...)
}

// PNGWithChunk inserts a complete chunk right after a PNG's IHDR.
func PNGWithChunk(p, chunk []byte) []byte {
	const ihdrEnd = 8 + 12 + 13
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, p[ihdrEnd:]...)
}
