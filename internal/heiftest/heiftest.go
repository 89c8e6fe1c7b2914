// Package heiftest makes HEIC and AVIF files for tests, so the repository carries no binary fixtures: it runs
// Debian's encoders (heif-enc from libheif-examples, avifenc from libavif-bin) on pictures made in code, and it
// takes their output apart and puts it back together (File) to write what they cannot: grids of HEVC tiles as an
// iPhone writes them, irot/imir/clap transforms, Exif items with a given orientation, hostile declarations.
//
// Tests that need an encoder skip when it is missing, except when CI=true, where that is a failure: CI installs
// the tools (apt-get install libheif-examples libavif-bin).
package heiftest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Tool returns the path of an encoder, skipping the test when it is missing (failing it when CI=true).
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing but CI=true: apt-get install %s", name, pkg)
		}
		t.Skipf("%s is missing (apt-get install %s)", name, pkg)
	}
	return p
}

// run runs an encoder on src (written as a PNG) and returns what it wrote to out.png's sibling out.ext.
func run(t testing.TB, tool, pkg, ext string, src image.Image, args func(in, out string) []string) []byte {
	t.Helper()
	bin := Tool(t, tool, pkg)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.png"), filepath.Join(dir, "out"+ext)
	var b bytes.Buffer
	if err := png.Encode(&b, src); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args(in, out)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// HEIC encodes src with heif-enc (x265) at high quality. An NRGBA source with any pixel not opaque gets an alpha
// plane.
func HEIC(t testing.TB, src image.Image, extra ...string) []byte {
	t.Helper()
	return run(t, "heif-enc", "libheif-examples", ".heic", src, func(in, out string) []string {
		return append(append([]string{"-q", "92"}, extra...), "-o", out, in)
	})
}

// HEICFromJPEG encodes a JPEG with heif-enc, which turns its EXIF orientation into irot/imir and keeps the EXIF
// block, orientation included, as an iPhone writes both.
func HEICFromJPEG(t testing.TB, jpg []byte) []byte {
	t.Helper()
	bin := Tool(t, "heif-enc", "libheif-examples")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jpg"), filepath.Join(dir, "out.heic")
	if err := os.WriteFile(in, jpg, 0o600); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(bin, "-q", "92", "-o", out, in).CombinedOutput(); err != nil {
		t.Fatalf("heif-enc: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Reference decodes a file with libheif's own heif-convert, which applies clap, irot and imir as a viewer does:
// the picture a person is meant to see.
func Reference(t testing.TB, file []byte) image.Image {
	t.Helper()
	bin := Tool(t, "heif-convert", "libheif-examples")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.heic"), filepath.Join(dir, "out.png")
	if err := os.WriteFile(in, file, 0o600); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(bin, in, out).CombinedOutput(); err != nil {
		t.Fatalf("heif-convert: %v\n%s", err, msg)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// AVIF encodes src with avifenc (aom) at high quality; extra are more avifenc options (--irot, --imir, --grid,
// --depth, --exif...).
func AVIF(t testing.TB, src image.Image, extra ...string) []byte {
	t.Helper()
	return run(t, "avifenc", "libavif-bin", ".avif", src, func(in, out string) []string {
		return append(append([]string{"--min", "0", "--max", "8", "-s", "8", "-j", "1"}, extra...), in, out)
	})
}

// Grid encodes src as an iPhone-style grid: tiles of tile x tile pixels coded one by one with heif-enc, the
// right and bottom ones padded by repeating the edge, and a 'grid' primary item whose descriptor (in idat) crops
// them to src's size.
func Grid(t testing.TB, src image.Image, tile int) []byte {
	t.Helper()
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	cols, rows := (w+tile-1)/tile, (h+tile-1)/tile
	f := &File{Major: "heic", Brands: []string{"mif1", "heic", "miaf"}}
	grid := &Item{ID: 1, Type: "grid", Props: []Prop{ISPE(w, h)}}
	f.Items = append(f.Items, grid)
	var desc []byte
	desc = append(desc, 0, 0, byte(rows-1), byte(cols-1))
	desc = binary.BigEndian.AppendUint16(desc, uint16(w))
	desc = binary.BigEndian.AppendUint16(desc, uint16(h))
	grid.Data, grid.InIdat = desc, true
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			part := image.NewNRGBA(image.Rect(0, 0, tile, tile))
			for y := 0; y < tile; y++ {
				for x := 0; x < tile; x++ {
					sx, sy := min(c*tile+x, w-1), min(r*tile+y, h-1)
					part.Set(x, y, src.At(src.Bounds().Min.X+sx, src.Bounds().Min.Y+sy))
				}
			}
			one := Parse(t, HEIC(t, part))
			coded := one.Primary()
			id := uint32(2 + r*cols + c)
			f.Items = append(f.Items, &Item{ID: id, Type: "hvc1", Hidden: true, Props: coded.Props, Data: coded.Data})
			grid.Dimg = append(grid.Dimg, id)
		}
	}
	f.PITM = 1
	return f.Bytes()
}

// Opaque copies img onto an opaque NRGBA so that the encoders write no alpha plane.
func Opaque(img image.Image) *image.NRGBA {
	out := image.NewNRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), image.Opaque, image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Over)
	return out
}

// Prop is one item property box: its type and payload.
type Prop struct {
	Type string
	Body []byte
}

// ISPE is an image spatial extents property.
func ISPE(w, h int) Prop {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b[4:], uint32(w))
	binary.BigEndian.PutUint32(b[8:], uint32(h))
	return Prop{"ispe", b}
}

// Irot turns the picture anticlockwise by quarter turns.
func Irot(quarters int) Prop { return Prop{"irot", []byte{byte(quarters & 3)}} }

// Imir mirrors it: axis 0 exchanges top and bottom, 1 left and right.
func Imir(axis int) Prop { return Prop{"imir", []byte{byte(axis & 1)}} }

// Clap is a clean aperture of integer width, height and centre offsets.
func Clap(w, h, horizOff, vertOff int) Prop {
	var b []byte
	for _, v := range []int{w, 1, h, 1, horizOff, 1, vertOff, 1} {
		b = binary.BigEndian.AppendUint32(b, uint32(int32(v)))
	}
	return Prop{"clap", b}
}

// NCLX is an nclx colour box.
func NCLX(primaries, transfer, matrix int, full bool) Prop {
	b := []byte("nclx")
	b = binary.BigEndian.AppendUint16(b, uint16(primaries))
	b = binary.BigEndian.AppendUint16(b, uint16(transfer))
	b = binary.BigEndian.AppendUint16(b, uint16(matrix))
	if full {
		return Prop{"colr", append(b, 0x80)}
	}
	return Prop{"colr", append(b, 0)}
}

// ICC is a colr box carrying an ICC profile.
func ICC(profile []byte) Prop { return Prop{"colr", append([]byte("prof"), profile...)} }

// Exif is the payload of an Exif item (a 4-byte offset to the TIFF header, then the header) with orientation o.
func Exif(o int) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00")
	tiff[17] = byte(o)
	return append([]byte{0, 0, 0, 0}, tiff...)
}

// Item is one item of a HEIF file.
type Item struct {
	ID     uint32
	Type   string // hvc1, av01, grid, Exif
	Hidden bool
	Props  []Prop // in ipma order
	Data   []byte
	InIdat bool     // stored in idat (construction method 1) rather than mdat
	Dimg   []uint32 // derived from these items (a grid's tiles, in rows)
	Auxl   uint32   // auxiliary image of this item
	Cdsc   uint32   // metadata describing this item
	Prem   uint32   // this colour item is premultiplied by that alpha item
}

// File is a HEIF file taken apart.
type File struct {
	Major  string
	Brands []string
	PITM   uint32
	Items  []*Item
}

// Primary returns the primary item.
func (f *File) Primary() *Item { return f.ItemByID(f.PITM) }

// ItemByID returns the item with that ID, or nil.
func (f *File) ItemByID(id uint32) *Item {
	for _, it := range f.Items {
		if it.ID == id {
			return it
		}
	}
	return nil
}

// Add appends a property to an item after its existing ones.
func (it *Item) Add(p ...Prop) { it.Props = append(it.Props, p...) }

// box encodes one box.
func box(typ string, parts ...[]byte) []byte {
	n := 8
	for _, p := range parts {
		n += len(p)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(n))
	b = append(b, typ...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func u16(v int) []byte    { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// Bytes writes the file: ftyp, meta (with iloc offsets into the mdat that follows it), mdat.
func (f *File) Bytes() []byte {
	meta := f.meta(0)
	ftyp := box("ftyp", []byte(f.Major), u32(0))
	for _, b := range f.Brands {
		ftyp = append(ftyp, b...)
	}
	binary.BigEndian.PutUint32(ftyp, uint32(len(ftyp)))
	mdatAt := len(ftyp) + len(meta) + 8
	meta = f.meta(mdatAt) // same size: every offset field is 32 bits
	var mdat []byte
	for _, it := range f.Items {
		if !it.InIdat {
			mdat = append(mdat, it.Data...)
		}
	}
	out := append(ftyp, meta...)
	return append(out, box("mdat", mdat)...)
}

func (f *File) meta(mdatAt int) []byte {
	hdlr := box("hdlr", u32(0), u32(0), []byte("pict"), make([]byte, 12), []byte{0})
	pitm := box("pitm", u32(0), u16(int(f.PITM)))
	var infes [][]byte
	for _, it := range f.Items {
		flags := u32(2 << 24) // version 2
		if it.Hidden {
			flags[3] = 1
		}
		infes = append(infes, box("infe", flags, u16(int(it.ID)), u16(0), []byte(it.Type), []byte{0}))
	}
	iinf := box("iinf", append(append(u32(0), u16(len(f.Items))...), bytes.Join(infes, nil)...))
	var refs [][]byte
	ref := func(typ string, from uint32, to ...uint32) {
		body := append(u16(int(from)), u16(len(to))...)
		for _, id := range to {
			body = append(body, u16(int(id))...)
		}
		refs = append(refs, box(typ, body))
	}
	var ipco [][]byte
	var ipma []byte
	nprops := 0
	for _, it := range f.Items {
		if len(it.Dimg) > 0 {
			ref("dimg", it.ID, it.Dimg...)
		}
		if it.Auxl != 0 {
			ref("auxl", it.ID, it.Auxl)
		}
		if it.Cdsc != 0 {
			ref("cdsc", it.ID, it.Cdsc)
		}
		if it.Prem != 0 {
			ref("prem", it.ID, it.Prem)
		}
		if len(it.Props) == 0 {
			continue
		}
		ipma = append(ipma, u16(int(it.ID))...)
		ipma = append(ipma, byte(len(it.Props)))
		for _, p := range it.Props {
			ipco = append(ipco, box(p.Type, p.Body))
			nprops++
			essential := 0
			if p.Type == "irot" || p.Type == "imir" || p.Type == "clap" || p.Type == "hvcC" || p.Type == "av1C" {
				essential = 0x8000
			}
			ipma = append(ipma, u16(essential|nprops)...)
		}
	}
	entries := 0
	for _, it := range f.Items {
		if len(it.Props) > 0 {
			entries++
		}
	}
	iprp := box("iprp", box("ipco", bytes.Join(ipco, nil)), box("ipma", u32(1), u32(uint32(entries)), ipma))
	// iloc version 1: 4-byte offsets and lengths, no base offset, a construction method per item.
	iloc := append(u32(1<<24), 0x44, 0x00)
	iloc = append(iloc, u16(len(f.Items))...)
	var idat []byte
	off := mdatAt
	for _, it := range f.Items {
		method, at := 0, off
		if it.InIdat {
			method, at = 1, len(idat)
			idat = append(idat, it.Data...)
		} else {
			off += len(it.Data)
		}
		iloc = append(iloc, u16(int(it.ID))...)
		iloc = append(iloc, u16(method)...)
		iloc = append(iloc, u16(0)...) // data_reference_index
		iloc = append(iloc, u16(1)...) // one extent
		iloc = append(iloc, u32(uint32(at))...)
		iloc = append(iloc, u32(uint32(len(it.Data)))...)
	}
	parts := [][]byte{u32(0), hdlr, pitm, iinf}
	if len(refs) > 0 {
		parts = append(parts, box("iref", u32(0), bytes.Join(refs, nil)))
	}
	parts = append(parts, iprp, box("iloc", iloc))
	if len(idat) > 0 {
		parts = append(parts, box("idat", idat))
	}
	return box("meta", parts...)
}

// Parse takes a HEIF file apart (the subset encoders write: iinf v0/v1 with infe v2/v3, iloc v0-v2 with
// construction methods 0 and 1, one ipco and ipma).
func Parse(t testing.TB, data []byte) *File {
	t.Helper()
	f, err := parse(data)
	if err != nil {
		t.Fatalf("heiftest: %v", err)
	}
	return f
}

type rawBox struct {
	typ  string
	body []byte
}

func boxes(b []byte) ([]rawBox, error) {
	var out []rawBox
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, fmt.Errorf("short box")
		}
		n, hdr := int(binary.BigEndian.Uint32(b)), 8
		if n == 1 {
			n, hdr = int(binary.BigEndian.Uint64(b[8:])), 16
		} else if n == 0 {
			n = len(b)
		}
		if n < hdr || n > len(b) {
			return nil, fmt.Errorf("box %q of %d bytes in %d", b[4:8], n, len(b))
		}
		out = append(out, rawBox{string(b[4:8]), b[hdr:n]})
		b = b[n:]
	}
	return out, nil
}

func parse(data []byte) (*File, error) {
	top, err := boxes(data)
	if err != nil {
		return nil, err
	}
	f := &File{}
	byID := map[uint32]*Item{}
	get := func(id uint32) *Item {
		if byID[id] == nil {
			byID[id] = &Item{ID: id}
			f.Items = append(f.Items, byID[id])
		}
		return byID[id]
	}
	var props []Prop
	type loc struct {
		method  int
		extents [][2]uint64
	}
	locs := map[uint32]loc{}
	var idat []byte
	for _, b := range top {
		switch b.typ {
		case "ftyp":
			f.Major = string(b.body[:4])
			for p := 8; p+4 <= len(b.body); p += 4 {
				f.Brands = append(f.Brands, string(b.body[p:p+4]))
			}
		case "meta":
			inner, err := boxes(b.body[4:])
			if err != nil {
				return nil, err
			}
			for _, m := range inner {
				v := m.body[0]
				switch m.typ {
				case "pitm":
					if v == 0 {
						f.PITM = uint32(binary.BigEndian.Uint16(m.body[4:]))
					} else {
						f.PITM = binary.BigEndian.Uint32(m.body[4:])
					}
				case "iinf":
					skip := 6
					if v > 0 {
						skip = 8
					}
					infes, err := boxes(m.body[skip:])
					if err != nil {
						return nil, err
					}
					for _, e := range infes {
						ev, rest := e.body[0], e.body[4:]
						var id uint32
						if ev == 2 {
							id, rest = uint32(binary.BigEndian.Uint16(rest)), rest[2:]
						} else {
							id, rest = binary.BigEndian.Uint32(rest), rest[4:]
						}
						it := get(id)
						it.Type, it.Hidden = string(rest[2:6]), e.body[3]&1 != 0
					}
				case "iprp":
					parts, err := boxes(m.body)
					if err != nil {
						return nil, err
					}
					for _, p := range parts {
						switch p.typ {
						case "ipco":
							children, err := boxes(p.body)
							if err != nil {
								return nil, err
							}
							for _, c := range children {
								props = append(props, Prop{c.typ, c.body})
							}
						case "ipma":
							pv, flags := p.body[0], p.body[3]
							n := binary.BigEndian.Uint32(p.body[4:])
							r := p.body[8:]
							for i := uint32(0); i < n; i++ {
								var id uint32
								if pv < 1 {
									id, r = uint32(binary.BigEndian.Uint16(r)), r[2:]
								} else {
									id, r = binary.BigEndian.Uint32(r), r[4:]
								}
								cnt := int(r[0])
								r = r[1:]
								it := get(id)
								for j := 0; j < cnt; j++ {
									var idx int
									if flags&1 != 0 {
										idx, r = int(binary.BigEndian.Uint16(r)&0x7fff), r[2:]
									} else {
										idx, r = int(r[0]&0x7f), r[1:]
									}
									it.Props = append(it.Props, props[idx-1])
								}
							}
						}
					}
				case "iref":
					refs, err := boxes(m.body[4:])
					if err != nil {
						return nil, err
					}
					for _, r := range refs {
						from := uint32(binary.BigEndian.Uint16(r.body))
						n := int(binary.BigEndian.Uint16(r.body[2:]))
						var to []uint32
						for i := 0; i < n; i++ {
							to = append(to, uint32(binary.BigEndian.Uint16(r.body[4+2*i:])))
						}
						it := get(from)
						switch r.typ {
						case "dimg":
							it.Dimg = to
						case "auxl":
							it.Auxl = to[0]
						case "cdsc":
							it.Cdsc = to[0]
						case "prem":
							it.Prem = to[0]
						}
					}
				case "iloc":
					sizes := [4]int{int(m.body[4] >> 4), int(m.body[4] & 15), int(m.body[5] >> 4), int(m.body[5] & 15)}
					r := m.body[6:]
					read := func(n int) uint64 {
						var x uint64
						for _, c := range r[:n] {
							x = x<<8 | uint64(c)
						}
						r = r[n:]
						return x
					}
					var n uint64
					if v < 2 {
						n = read(2)
					} else {
						n = read(4)
					}
					for i := uint64(0); i < n; i++ {
						var id uint32
						if v < 2 {
							id = uint32(read(2))
						} else {
							id = uint32(read(4))
						}
						l := loc{}
						if v > 0 {
							l.method = int(read(2) & 15)
						}
						read(2)
						base := read(sizes[2])
						cnt := int(read(2))
						for j := 0; j < cnt; j++ {
							if v > 0 {
								read(sizes[3])
							}
							o, ln := read(sizes[0]), read(sizes[1])
							l.extents = append(l.extents, [2]uint64{base + o, ln})
						}
						locs[id] = l
					}
				case "idat":
					idat = m.body
				}
			}
		}
	}
	for id, l := range locs {
		it := get(id)
		src := data
		if l.method == 1 {
			src, it.InIdat = idat, true
		}
		for _, e := range l.extents {
			if e[0]+e[1] > uint64(len(src)) {
				return nil, fmt.Errorf("item %d outside the file", id)
			}
			it.Data = append(it.Data, src[e[0]:e[0]+e[1]]...)
		}
	}
	return f, nil
}
