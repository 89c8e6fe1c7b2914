package hostile

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// PNG describes a PNG file to write. Go's image/png writes neither Adam7 interlacing nor a file without holding
// the whole image in memory, so this writer streams rows from a Picture: a 50 MP 16-bit file is made with a row
// buffer of a few hundred kilobytes, and a 50,000,000 x 1 strip with one row.
type PNG struct {
	Width, Height int
	// ColorType is the IHDR colour type: 0 grey, 2 RGB, 4 grey and alpha, 6 RGBA (3, palette, is not written).
	ColorType byte
	Depth     int  // 8 or 16 bits per sample
	Adam7     bool // interlaced
	// Chunks are written, complete (length, type, data, CRC), between IHDR and the image data: an eXIf, say.
	Chunks [][]byte
}

// ErrPNG is a PNG description the writer cannot write.
var ErrPNG = errors.New("hostile: unsupported PNG description")

// adam7 are the seven passes of Adam7: the first column and row of each, and the step between them.
var adam7 = [7]struct{ x0, y0, dx, dy int }{
	{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2},
}

// channels is the number of samples per pixel of a colour type.
func channels(ct byte) int {
	switch ct {
	case 0:
		return 1
	case 2:
		return 3
	case 4:
		return 2
	case 6:
		return 4
	}
	return 0
}

// Encode writes the PNG with pic's pixels. Every row is filtered with Sub, which turns the smooth pictures of this
// package into runs that deflate compresses well, and deflated at the fastest level.
func (p PNG) Encode(w io.Writer, pic Picture) error {
	nc := channels(p.ColorType)
	if nc == 0 || (p.Depth != 8 && p.Depth != 16) || p.Width <= 0 || p.Height <= 0 ||
		p.Width > 1<<31-1 || p.Height > 1<<31-1 {
		return ErrPNG
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(p.Width))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(p.Height))
	interlace := byte(0)
	if p.Adam7 {
		interlace = 1
	}
	ihdr = append(ihdr, byte(p.Depth), p.ColorType, 0, 0, interlace)
	bw.Write(Chunk("IHDR", ihdr))
	for _, c := range p.Chunks {
		bw.Write(c)
	}
	idat := &chunkWriter{w: bw, typ: "IDAT"}
	zw, err := zlib.NewWriterLevel(idat, zlib.BestSpeed)
	if err != nil {
		return err
	}
	bpp := nc * p.Depth / 8
	passes := adam7[:]
	if !p.Adam7 {
		passes = []struct{ x0, y0, dx, dy int }{{0, 0, 1, 1}}
	}
	var row, filtered []byte
	samples := make([]uint16, 4)
	for _, ps := range passes {
		pw, ph := ceilDiv(p.Width-ps.x0, ps.dx), ceilDiv(p.Height-ps.y0, ps.dy)
		if pw <= 0 || ph <= 0 {
			continue // an empty pass has no rows at all, not even filter bytes
		}
		n := pw * bpp
		if cap(row) < n {
			row, filtered = make([]byte, n), make([]byte, 1+n)
		}
		row, filtered = row[:n], filtered[:1+n]
		for py := range ph {
			y := ps.y0 + py*ps.dy
			for px := range pw {
				pic.At(ps.x0+px*ps.dx, y, samples[:nc])
				o := px * bpp
				for c := range nc {
					if p.Depth == 16 {
						binary.BigEndian.PutUint16(row[o+2*c:], samples[c])
					} else {
						row[o+c] = byte(samples[c] >> 8)
					}
				}
			}
			filtered[0] = 1 // Sub
			for i := range n {
				left := byte(0)
				if i >= bpp {
					left = row[i-bpp]
				}
				filtered[1+i] = row[i] - left
			}
			if _, err := zw.Write(filtered); err != nil {
				return err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := idat.flush(); err != nil {
		return err
	}
	bw.Write(Chunk("IEND", nil))
	return bw.Flush()
}

func ceilDiv(a, b int) int {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// Chunk returns a complete PNG chunk: length, type, data and CRC.
func Chunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// chunkWriter cuts what is written to it into chunks of typ of at most 1 MiB each.
type chunkWriter struct {
	w   io.Writer
	typ string
	buf []byte
}

const chunkSize = 1 << 20

func (c *chunkWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		k := min(len(b), chunkSize-len(c.buf))
		c.buf = append(c.buf, b[:k]...)
		b = b[k:]
		if len(c.buf) == chunkSize {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.w.Write(Chunk(c.typ, c.buf))
	c.buf = c.buf[:0]
	return err
}
