package imagefile

import (
	"bytes"
	"encoding/binary"
	"image"
	"math/big"
	"slices"
)

// HEIF (ISO/IEC 23008-12) and AVIF files are ISOBMFF (ISO/IEC 14496-12) boxes: an 'ftyp' box with brands, a
// 'meta' box that lists items (coded images, derived 'grid' images, Exif blocks) with their properties and
// references, and the coded bytes in 'mdat' or 'idat'. This file reads the structure without decoding: which item
// is the primary image, its size ('ispe'), its clean aperture ('clap'), rotation ('irot') and mirroring ('imir'),
// its alpha plane (an 'auxl' reference to an item whose 'auxC' names the alpha URN) and its colour ('colr').
//
// What Info means for these formats, so that "decode, then apply Info.Orientation" is right for them as for JPEG:
//   - Width and Height are the stored size: the clean aperture of the coded image, in coded axes. irot and
//     imir are not applied to them.
//   - Orientation is the EXIF orientation (1-8) equivalent to the primary item's irot and imir, composed in the
//     order ipma lists them, which is the order readers apply them (MIAF, ISO/IEC 23000-22 7.3.6.7). Upright()
//     is then the displayed size.
//   - The EXIF block's own orientation tag is ignored. HEIF defines orientation by irot/imir only; EXIF's is
//     informative (libheif, libvips, imgproxy, Chrome and Safari all ignore it), and iPhones write both with
//     the same meaning, so honouring it would turn their photos twice.
// A decoder that honours this (pkg/heifdec) returns the coded pixels cropped to the clean aperture, with no
// rotation applied.

// Limits on what a HEIF file may declare. Real files are far inside them: an iPhone 48 MP photo has about 200
// items (192 tiles of 512x512). They bound the parser's work and memory whatever a hostile file declares; counts
// in the file are never used to size an allocation.
const (
	heifMaxItems      = 4096 // infe entries read; more is refused
	heifMaxProperties = 4096 // ipco children
	heifMaxBrands     = 64   // compatible brands looked at
	heifMaxBoxes      = 65536
	heifMaxExtents    = 16 // iloc extents of one item; encoders write one
	heifMaxGridData   = 64 // an ImageGrid descriptor is 8 or 12 bytes
)

// heifBrands are the ftyp brands that mark a HEIF or AVIF file. The structure decides the format, not the brand:
// "mif1" alone says nothing about the codec.
var heifBrands = map[string]Format{
	"heic": HEIC, "heix": HEIC, "hevc": HEIC, "hevx": HEIC, "heim": HEIC, "heis": HEIC, "hevm": HEIC, "hevs": HEIC,
	"avif": AVIF, "avis": AVIF,
	"mif1": {}, "msf1": {}, "mif2": {}, "miaf": {},
}

// The auxC types that mark an auxiliary image as the alpha plane: MIAF's and the older HEVC one.
var alphaURNs = []string{"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", "urn:mpeg:hevc:2015:auxid:1"}

// NCLXInfo is an 'nclx' colour box: ITU-T H.273 code points for the colour primaries, transfer characteristics
// and YCbCr matrix, and whether samples use the full range.
type NCLXInfo struct {
	Primaries, Transfer, Matrix uint16
	FullRange                   bool
}

// HEIFLayout is what a HEIF or AVIF decoder needs beyond Info: where the primary image's pixels are and which
// bytes of the file to rewrite (in place, same length) so that a decoder such as libheif, which applies clap,
// irot and imir by itself, returns the coded pixels instead.
type HEIFLayout struct {
	Info          Info            // what Inspect returns
	Coded         image.Point     // the primary item's ispe: the size the codec decodes it to
	Crop          image.Rectangle // the clean aperture in coded coordinates; Info's Width x Height
	Alpha         uint32          // item ID of the primary's alpha plane, 0 when there is none
	AlphaCoded    image.Point     // the alpha item's ispe
	Premultiplied bool            // a 'prem' reference: the colour is premultiplied by alpha
	NCLX          NCLXInfo        // the primary's nclx colour box, when HasNCLX
	HasNCLX       bool
	Edits         HEIFEdits
}

// HEIFEdits are file offsets of fields that a decoder front end may overwrite in a copy of the file.
type HEIFEdits struct {
	MajorBrand  int   // the 4-byte major brand in ftyp
	Transforms  []int // the 4-byte type of every clap, irot and imir property box
	PITM        int   // the item_ID field of pitm
	PITMSize    int   // 2 or 4 bytes
	AuxlRefs    []int // the 4-byte type of every 'auxl' reference box in iref
	AlphaFlags  int   // the low flags byte of the alpha item's infe (bit 0: hidden); 0 when there is no alpha
	AlphaChroma int   // the chroma_format byte of the hvcC that describes the alpha plane's coding; 0 if none
}

// heifItem is one entry of iinf with what ipma, iref and iloc say about it.
type heifItem struct {
	typ      string
	hidden   bool
	flagsAt  int
	props    []int // ipco indices, 1-based, in ipma order
	dimg     []uint32
	auxlFor  uint32 // the master this auxiliary image belongs to
	prem     bool   // 'prem' from this item: its colour is premultiplied by its alpha
	method   int    // iloc construction method: 0 file offsets, 1 idat
	base     uint64
	extents  [][2]uint64
	hasLoc   bool
	locCount int
}

// heifProp is one ipco child.
type heifProp struct {
	typ  string
	at   int // offset of the box in the file
	body []byte
}

type heifFile struct {
	data     []byte
	boxes    int
	major    string
	brands   []string
	hasMeta  bool
	hasMoov  bool
	handler  string
	pitm     uint32
	pitmAt   int
	pitmSize int
	hasPITM  bool
	items    map[uint32]*heifItem
	props    []heifProp
	idat     []byte
	auxlRefs []int
}

// bmffBox is one box: its type, where it starts and its payload.
type bmffBox struct {
	typ    string
	at     int
	body   []byte
	bodyAt int
}

// walk calls fn for each box in data[p:end]. A box that runs past end means the file was cut short. Size 0 means
// "to the end", which ISOBMFF allows for the last box.
func (h *heifFile) walk(p, end int, fn func(b bmffBox) error) error {
	for p < end {
		if h.boxes++; h.boxes > heifMaxBoxes {
			return ErrTruncated.Withf("the HEIF file has more than %d boxes", heifMaxBoxes)
		}
		if end-p < 8 {
			return ErrTruncated
		}
		size, hdr := uint64(binary.BigEndian.Uint32(h.data[p:])), 8
		switch size {
		case 0:
			size = uint64(end - p)
		case 1:
			if end-p < 16 {
				return ErrTruncated
			}
			size, hdr = binary.BigEndian.Uint64(h.data[p+8:]), 16
		}
		typ := string(h.data[p+4 : p+8])
		if typ == "uuid" {
			hdr += 16
		}
		if size < uint64(hdr) || size > uint64(end-p) {
			return ErrTruncated
		}
		b := bmffBox{typ: typ, at: p, body: h.data[p+hdr : p+int(size)], bodyAt: p + hdr}
		if err := fn(b); err != nil {
			return err
		}
		p += int(size)
	}
	return nil
}

// parseHEIF reads the top-level boxes and the meta box. It returns ErrNotImage when data is not HEIF at all.
func parseHEIF(data []byte) (*heifFile, error) {
	h := &heifFile{data: data, items: map[uint32]*heifItem{}}
	first := true
	err := h.walk(0, len(data), func(b bmffBox) error {
		if first {
			first = false
			if b.typ != "ftyp" || len(b.body) < 8 {
				return ErrNotImage
			}
			h.major = string(b.body[:4])
			for p := 8; p+4 <= len(b.body) && len(h.brands) < heifMaxBrands; p += 4 {
				h.brands = append(h.brands, string(b.body[p:p+4]))
			}
			return nil
		}
		switch b.typ {
		case "meta":
			if h.hasMeta {
				return ErrTruncated.Withf("the HEIF file has two meta boxes")
			}
			h.hasMeta = true
			return h.parseMeta(b)
		case "moov":
			h.hasMoov = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// fullBox splits a FullBox payload into version, flags and the rest.
func fullBox(b []byte) (version int, flags uint32, rest []byte, ok bool) {
	if len(b) < 4 {
		return 0, 0, nil, false
	}
	return int(b[0]), uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), b[4:], true
}

func (h *heifFile) parseMeta(meta bmffBox) error {
	if len(meta.body) < 4 {
		return ErrTruncated
	}
	return h.walk(meta.bodyAt+4, meta.bodyAt+len(meta.body), func(b bmffBox) error {
		switch b.typ {
		case "hdlr":
			if len(b.body) < 12 {
				return ErrTruncated
			}
			h.handler = string(b.body[8:12])
		case "pitm":
			v, _, rest, ok := fullBox(b.body)
			switch {
			case ok && v == 0 && len(rest) >= 2:
				h.pitm, h.pitmSize = uint32(binary.BigEndian.Uint16(rest)), 2
			case ok && v > 0 && len(rest) >= 4:
				h.pitm, h.pitmSize = binary.BigEndian.Uint32(rest), 4
			default:
				return ErrTruncated
			}
			h.pitmAt, h.hasPITM = b.bodyAt+4, true
		case "iinf":
			return h.parseIINF(b)
		case "iprp":
			return h.walk(b.bodyAt, b.bodyAt+len(b.body), func(c bmffBox) error {
				switch c.typ {
				case "ipco":
					return h.walk(c.bodyAt, c.bodyAt+len(c.body), func(p bmffBox) error {
						if len(h.props) >= heifMaxProperties {
							return ErrTruncated.Withf("the HEIF file has more than %d properties", heifMaxProperties)
						}
						h.props = append(h.props, heifProp{typ: p.typ, at: p.at, body: p.body})
						return nil
					})
				case "ipma":
					return h.parseIPMA(c.body)
				}
				return nil
			})
		case "iref":
			return h.parseIREF(b)
		case "iloc":
			return h.parseILOC(b.body)
		case "idat":
			h.idat = b.body
		}
		return nil
	})
}

// item returns the entry for id, creating it when an iinf entry has not been seen yet (iloc may come first).
func (h *heifFile) item(id uint32) (*heifItem, error) {
	if it, ok := h.items[id]; ok {
		return it, nil
	}
	if len(h.items) >= heifMaxItems {
		return nil, ErrTruncated.Withf("the HEIF file has more than %d items", heifMaxItems)
	}
	it := &heifItem{}
	h.items[id] = it
	return it, nil
}

func (h *heifFile) parseIINF(b bmffBox) error {
	v, _, _, ok := fullBox(b.body)
	if !ok {
		return ErrTruncated
	}
	skip := 2 // entry_count is 16 bits in version 0, 32 after; the boxes themselves are what counts
	if v > 0 {
		skip = 4
	}
	if len(b.body) < 4+skip {
		return ErrTruncated
	}
	return h.walk(b.bodyAt+4+skip, b.bodyAt+len(b.body), func(e bmffBox) error {
		if e.typ != "infe" {
			return nil
		}
		v, flags, rest, ok := fullBox(e.body)
		if !ok {
			return ErrTruncated
		}
		if v < 2 { // versions 0 and 1 describe files, not images
			return nil
		}
		var id uint32
		if v == 2 {
			if len(rest) < 8 {
				return ErrTruncated
			}
			id, rest = uint32(binary.BigEndian.Uint16(rest)), rest[2:]
		} else {
			if len(rest) < 10 {
				return ErrTruncated
			}
			id, rest = binary.BigEndian.Uint32(rest), rest[4:]
		}
		it, err := h.item(id)
		if err != nil {
			return err
		}
		it.typ = string(rest[2:6]) // after item_protection_index
		it.hidden = flags&1 != 0
		it.flagsAt = e.bodyAt + 3
		return nil
	})
}

func (h *heifFile) parseIPMA(body []byte) error {
	v, flags, rest, ok := fullBox(body)
	if !ok || len(rest) < 4 {
		return ErrTruncated
	}
	n := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	for i := uint32(0); i < n; i++ {
		var id uint32
		if v < 1 {
			if len(rest) < 3 {
				return ErrTruncated
			}
			id, rest = uint32(binary.BigEndian.Uint16(rest)), rest[2:]
		} else {
			if len(rest) < 5 {
				return ErrTruncated
			}
			id, rest = binary.BigEndian.Uint32(rest), rest[4:]
		}
		count := int(rest[0])
		rest = rest[1:]
		width := 1
		if flags&1 != 0 {
			width = 2
		}
		if len(rest) < count*width {
			return ErrTruncated
		}
		it, err := h.item(id)
		if err != nil {
			return err
		}
		for j := 0; j < count; j++ {
			var idx int
			if width == 2 {
				idx = int(binary.BigEndian.Uint16(rest[2*j:]) & 0x7fff)
			} else {
				idx = int(rest[j] & 0x7f)
			}
			if idx > 0 && len(it.props) < 256 {
				it.props = append(it.props, idx)
			}
		}
		rest = rest[count*width:]
	}
	return nil
}

func (h *heifFile) parseIREF(b bmffBox) error {
	v, _, _, ok := fullBox(b.body)
	if !ok {
		return ErrTruncated
	}
	idSize := 2
	if v > 0 {
		idSize = 4
	}
	readID := func(p []byte) uint32 {
		if idSize == 2 {
			return uint32(binary.BigEndian.Uint16(p))
		}
		return binary.BigEndian.Uint32(p)
	}
	return h.walk(b.bodyAt+4, b.bodyAt+len(b.body), func(r bmffBox) error {
		if len(r.body) < idSize+2 {
			return ErrTruncated
		}
		from := readID(r.body)
		n := int(binary.BigEndian.Uint16(r.body[idSize:]))
		refs := r.body[idSize+2:]
		if len(refs) < n*idSize {
			return ErrTruncated
		}
		it, err := h.item(from)
		if err != nil {
			return err
		}
		switch r.typ {
		case "dimg":
			if it.dimg != nil {
				return ErrTruncated.Withf("a HEIF item has two dimg references")
			}
			it.dimg = make([]uint32, n) // n < 65536, and refs holds n IDs
			for i := range it.dimg {
				it.dimg[i] = readID(refs[i*idSize:])
			}
		case "auxl":
			h.auxlRefs = append(h.auxlRefs, r.at+4)
			if n > 0 {
				it.auxlFor = readID(refs)
			}
		case "prem":
			it.prem = true
		}
		return nil
	})
}

func (h *heifFile) parseILOC(body []byte) error {
	v, _, rest, ok := fullBox(body)
	if !ok || v > 2 || len(rest) < 2 {
		return ErrTruncated
	}
	offSize, lenSize := int(rest[0]>>4), int(rest[0]&15)
	baseSize, idxSize := int(rest[1]>>4), int(rest[1]&15)
	if v == 0 {
		idxSize = 0
	}
	for _, s := range []int{offSize, lenSize, baseSize, idxSize} {
		if s != 0 && s != 4 && s != 8 {
			return ErrTruncated
		}
	}
	rest = rest[2:]
	r := reader{b: rest}
	var n uint64
	if v < 2 {
		n = r.uint(2)
	} else {
		n = r.uint(4)
	}
	for i := uint64(0); i < n && r.ok(); i++ {
		var id uint32
		if v < 2 {
			id = uint32(r.uint(2))
		} else {
			id = uint32(r.uint(4))
		}
		method := 0
		if v > 0 {
			method = int(r.uint(2) & 15)
		}
		dataRef := r.uint(2)
		base := r.uint(baseSize)
		count := int(r.uint(2))
		if !r.ok() {
			break
		}
		it, err := h.item(id)
		if err != nil {
			return err
		}
		it.method, it.base, it.hasLoc, it.locCount = method, base, dataRef == 0, count
		it.extents = nil
		if offSize+lenSize+idxSize == 0 { // extents of no bytes: nothing to read, so no reason to loop over them
			count = min(count, heifMaxExtents)
		}
		for j := 0; j < count && r.ok(); j++ {
			r.uint(idxSize)
			off, length := r.uint(offSize), r.uint(lenSize)
			if j < heifMaxExtents {
				it.extents = append(it.extents, [2]uint64{off, length})
			}
		}
	}
	if !r.ok() {
		return ErrTruncated
	}
	return nil
}

// reader reads big-endian fields of 0, 2, 4 or 8 bytes and remembers running out.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uint(n int) uint64 {
	if n == 0 || r.bad {
		return 0
	}
	if len(r.b) < n {
		r.bad = true
		return 0
	}
	var v uint64
	for _, c := range r.b[:n] {
		v = v<<8 | uint64(c)
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) ok() bool { return !r.bad }

// itemData returns the bytes of an item, at most limit of them. A file offset past the end means the upload was
// cut short.
func (h *heifFile) itemData(it *heifItem, limit int) ([]byte, error) {
	if !it.hasLoc || it.locCount > heifMaxExtents {
		return nil, ErrTruncated
	}
	var src []byte
	switch it.method {
	case 0:
		src = h.data
	case 1:
		src = h.idat
	default: // construction method 2 (from another item) is not written by cameras or encoders
		return nil, unsupportedFormat("HEIF with item-offset construction")
	}
	var out []byte
	for _, e := range it.extents {
		off, n := it.base+e[0], e[1]
		if off < it.base || off > uint64(len(src)) {
			return nil, ErrTruncated
		}
		if n == 0 { // the whole rest of the source
			n = uint64(len(src)) - off
		}
		if n > uint64(len(src))-off {
			return nil, ErrTruncated
		}
		take := min(n, uint64(limit-len(out)))
		out = append(out, src[off:off+take]...)
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}

// complete checks that every item's bytes are inside the file: the HEIF counterpart of a JPEG's EOI.
func (h *heifFile) complete(it *heifItem) error {
	if !it.hasLoc {
		return ErrTruncated
	}
	_, err := h.itemData(it, 0)
	return err
}

// prop returns the first property of type typ associated with it, or nil.
func (h *heifFile) prop(it *heifItem, typ string) *heifProp {
	for _, i := range it.props {
		if i <= len(h.props) && h.props[i-1].typ == typ {
			return &h.props[i-1]
		}
	}
	return nil
}

// ispe returns the item's declared size.
func (h *heifFile) ispe(it *heifItem) (image.Point, bool) {
	p := h.prop(it, "ispe")
	if p == nil {
		return image.Point{}, false
	}
	_, _, rest, ok := fullBox(p.body)
	if !ok || len(rest) < 8 {
		return image.Point{}, false
	}
	w, hh := binary.BigEndian.Uint32(rest), binary.BigEndian.Uint32(rest[4:])
	if w == 0 || hh == 0 || w > 1<<30 || hh > 1<<30 {
		return image.Point{}, false
	}
	return image.Pt(int(w), int(hh)), true
}

// colr returns the item's colour box of the given colour type (nclx, or prof/rICC when typ is "icc").
func (h *heifFile) colr(it *heifItem, typ string) []byte {
	for _, i := range it.props {
		if i > len(h.props) || h.props[i-1].typ != "colr" || len(h.props[i-1].body) < 4 {
			continue
		}
		b := h.props[i-1].body
		ct := string(b[:4])
		if ct == typ || (typ == "icc" && (ct == "prof" || ct == "rICC")) {
			return b[4:]
		}
	}
	return nil
}

// heifFormat names the format by the codec of an item type.
func heifFormat(typ string) (Format, bool) {
	switch typ {
	case "hvc1":
		return HEIC, true
	case "av01":
		return AVIF, true
	}
	return Format{}, false
}

// sniffHEIF recognises a HEIF or AVIF file. With the whole file at hand, the primary item's codec decides; from a
// short head, the brands do.
func sniffHEIF(data []byte) (Format, bool) {
	if len(data) < 12 || string(data[4:8]) != "ftyp" {
		return Format{}, false
	}
	n := int(binary.BigEndian.Uint32(data))
	if n < 12 || n > len(data) { // a cut file still names its major brand; Inspect will call it truncated
		n = min(len(data), 16+4*heifMaxBrands)
	}
	var byBrand Format
	found := false
	for p := 8; p+4 <= n; p += 4 {
		if p == 12 { // minor version
			continue
		}
		if f, ok := heifBrands[string(data[p:p+4])]; ok {
			found = true
			if byBrand == (Format{}) {
				byBrand = f
			}
		}
	}
	if !found {
		return Format{}, false
	}
	if h, err := parseHEIF(data); err == nil && h.hasPITM {
		if it, ok := h.items[h.pitm]; ok {
			typ := it.typ
			if typ == "grid" && len(it.dimg) > 0 {
				if t, ok := h.items[it.dimg[0]]; ok {
					typ = t.typ
				}
			}
			if f, ok := heifFormat(typ); ok {
				return f, true
			}
		}
	}
	if byBrand == (Format{}) {
		byBrand = HEIC // mif1 and friends alone: HEVC is by far the commonest codec in them
	}
	return byBrand, true
}

// inspectHEIF fills info from a HEIF or AVIF file. maxPixels bounds every image the decoder would have to
// decode: the primary's coded size, each grid tile and the alpha plane.
func inspectHEIF(data []byte, info *Info, maxPixels int64) error {
	l, err := layoutHEIF(data, maxPixels)
	if err != nil {
		return err
	}
	*info = l.Info
	info.Profile = l.HasNCLX
	return nil
}

// InspectHEIF is Inspect for a HEIF or AVIF file with the layout a decoder needs. It decodes nothing.
func InspectHEIF(data []byte, maxPixels int64) (HEIFLayout, error) {
	info, err := Inspect(data, maxPixels)
	if err != nil {
		return HEIFLayout{}, err
	}
	if info.Format != HEIC && info.Format != AVIF {
		return HEIFLayout{}, ErrUnsupported.Withf("%s is not a HEIF format", info.Format.Name)
	}
	return layoutHEIF(data, maxPixels)
}

func tooManyPixels(what string, p image.Point, maxPixels int64) error {
	n := int64(p.X) * int64(p.Y)
	return ErrTooManyPixels.Withf("the image's %s is %dx%d (%.1f MP); the limit is %.1f MP",
		what, p.X, p.Y, float64(n)/1e6, float64(maxPixels)/1e6)
}

func over(p image.Point, maxPixels int64) bool {
	return maxPixels > 0 && int64(p.X)*int64(p.Y) > maxPixels
}

func layoutHEIF(data []byte, maxPixels int64) (HEIFLayout, error) {
	h, err := parseHEIF(data)
	if err != nil {
		return HEIFLayout{}, err
	}
	if !h.hasMeta || !h.hasPITM {
		if h.hasMoov {
			return HEIFLayout{}, unsupportedFormat("animated HEIF and AVIF (image sequences without a still image)")
		}
		return HEIFLayout{}, ErrTruncated
	}
	if h.handler != "pict" {
		return HEIFLayout{}, ErrTruncated.Withf("the HEIF file's meta box is not a picture (handler %q)", h.handler)
	}
	primary, ok := h.items[h.pitm]
	if !ok || primary.typ == "" {
		return HEIFLayout{}, ErrTruncated.Withf("the HEIF file's primary item does not exist")
	}
	l := HEIFLayout{Edits: HEIFEdits{MajorBrand: 8, PITM: h.pitmAt, PITMSize: h.pitmSize, AuxlRefs: h.auxlRefs}}
	for _, p := range h.props {
		if p.typ == "clap" || p.typ == "irot" || p.typ == "imir" {
			l.Edits.Transforms = append(l.Edits.Transforms, p.at+4)
		}
	}
	coded, ok := h.ispe(primary)
	if !ok && primary.typ != "grid" {
		return HEIFLayout{}, ErrTruncated.Withf("the HEIF primary image has no size (ispe)")
	}
	if ok && over(coded, maxPixels) { // before anything else is looked at, as for the other formats
		return HEIFLayout{}, tooManyPixels("size", coded, maxPixels)
	}
	var format Format
	switch primary.typ {
	case "grid":
		format, coded, err = h.checkGrid(primary, coded, ok, maxPixels)
		if err != nil {
			return HEIFLayout{}, err
		}
	default:
		f, known := heifFormat(primary.typ)
		if !known {
			return HEIFLayout{}, unsupportedFormat("HEIF " + printable(primary.typ) + " images")
		}
		if err := h.complete(primary); err != nil {
			return HEIFLayout{}, err
		}
		format = f
	}
	l.Coded = coded
	crop, orientation, err := h.transforms(primary, coded)
	if err != nil {
		return HEIFLayout{}, err
	}
	l.Crop = crop
	l.Info = Info{Format: format, Width: crop.Dx(), Height: crop.Dy(), Orientation: orientation}
	if err := h.findAlpha(h.pitm, primary, &l, maxPixels); err != nil {
		return HEIFLayout{}, err
	}
	if n := h.nclx(primary); n != nil {
		l.NCLX, l.HasNCLX = *n, true
	}
	return l, nil
}

// printable quotes a four-character code for a message, whatever bytes it holds.
func printable(typ string) string {
	b := []byte(typ)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return "'" + string(b) + "'"
}

// checkGrid validates a derived grid image: its descriptor, its tiles (all of one codec and one size, covering
// the output with no spare row or column, every one present in the file) and their total area, which is what the
// decoder actually decodes. It returns the codec's format and the output size.
func (h *heifFile) checkGrid(grid *heifItem, ispe image.Point, hasISPE bool, maxPixels int64) (Format, image.Point, error) {
	d, err := h.itemData(grid, heifMaxGridData)
	if err != nil {
		return Format{}, image.Point{}, err
	}
	if len(d) < 8 || d[0] != 0 {
		return Format{}, image.Point{}, ErrTruncated
	}
	rows, cols := int(d[2])+1, int(d[3])+1
	var out image.Point
	if d[1]&1 != 0 {
		if len(d) < 12 {
			return Format{}, image.Point{}, ErrTruncated
		}
		out = image.Pt(int(binary.BigEndian.Uint32(d[4:])), int(binary.BigEndian.Uint32(d[8:])))
	} else {
		out = image.Pt(int(binary.BigEndian.Uint16(d[4:])), int(binary.BigEndian.Uint16(d[6:])))
	}
	if out.X <= 0 || out.Y <= 0 || out.X > 1<<30 || out.Y > 1<<30 {
		return Format{}, image.Point{}, ErrTruncated
	}
	if hasISPE && ispe != out {
		return Format{}, image.Point{}, ErrTruncated.Withf("the HEIF grid is %dx%d but its ispe says %dx%d",
			out.X, out.Y, ispe.X, ispe.Y)
	}
	if over(out, maxPixels) {
		return Format{}, image.Point{}, tooManyPixels("size", out, maxPixels)
	}
	if len(grid.dimg) != rows*cols {
		return Format{}, image.Point{}, ErrTruncated.Withf("the HEIF grid is %dx%d tiles but references %d",
			cols, rows, len(grid.dimg))
	}
	var (
		format Format
		tile   image.Point
	)
	for i, id := range grid.dimg {
		t, ok := h.items[id]
		if !ok || t == grid {
			return Format{}, image.Point{}, ErrTruncated.Withf("a HEIF grid tile does not exist")
		}
		f, known := heifFormat(t.typ)
		if !known {
			return Format{}, image.Point{}, unsupportedFormat("HEIF grids of " + printable(t.typ) + " tiles")
		}
		size, ok := h.ispe(t)
		if !ok {
			return Format{}, image.Point{}, ErrTruncated.Withf("a HEIF grid tile has no size (ispe)")
		}
		if i == 0 {
			format, tile = f, size
			if over(tile, maxPixels) {
				return Format{}, image.Point{}, tooManyPixels("grid tile", tile, maxPixels)
			}
		} else if f != format || size != tile {
			return Format{}, image.Point{}, ErrTruncated.Withf("the HEIF grid's tiles differ in codec or size")
		}
		if err := h.complete(t); err != nil {
			return Format{}, image.Point{}, err
		}
	}
	// The tiles must cover the output, and the last column and row must be needed (ISO/IEC 23008-12 6.6.2.3):
	// this bounds the decoded area by (W+tile width) x (H+tile height).
	if cols*tile.X < out.X || rows*tile.Y < out.Y || (cols-1)*tile.X >= out.X || (rows-1)*tile.Y >= out.Y {
		return Format{}, image.Point{}, ErrTruncated.Withf("the HEIF grid's %dx%d tiles of %dx%d do not fit its %dx%d output",
			cols, rows, tile.X, tile.Y, out.X, out.Y)
	}
	// Edge tiles hang over the output; allow that, but not a few huge tiles around a small output.
	if total := int64(rows*cols) * int64(tile.X) * int64(tile.Y); maxPixels > 0 && total > 2*maxPixels {
		return Format{}, image.Point{}, ErrTooManyPixels.Withf("the image's %d grid tiles hold %.1f MP; the limit is %.1f MP",
			rows*cols, float64(total)/1e6, float64(maxPixels)/1e6)
	}
	return format, out, nil
}

// transforms composes the primary item's clap, irot and imir, in ipma order, into one crop of the coded image and
// one EXIF orientation to apply after it.
func (h *heifFile) transforms(it *heifItem, coded image.Point) (image.Rectangle, int, error) {
	crop, m := image.Rectangle{Max: coded}, dihedral{1, 0, 0, 1}
	for _, i := range it.props {
		if i > len(h.props) {
			continue
		}
		p := h.props[i-1]
		switch p.typ {
		case "irot":
			if len(p.body) < 1 {
				return crop, 0, ErrTruncated
			}
			for range p.body[0] & 3 { // anticlockwise quarter turns
				m = dihedral{0, 1, -1, 0}.mul(m)
			}
		case "imir":
			if len(p.body) < 1 {
				return crop, 0, ErrTruncated
			}
			if p.body[0]&1 == 0 { // axis 0: top and bottom exchanged (ISO/IEC 23008-12:2022)
				m = dihedral{1, 0, 0, -1}.mul(m)
			} else {
				m = dihedral{-1, 0, 0, 1}.mul(m)
			}
		case "clap":
			shown := crop.Size()
			if m.swaps() {
				shown = image.Pt(shown.Y, shown.X)
			}
			r, ok := clapRect(p.body, shown)
			if !ok {
				return crop, 0, ErrTruncated.Withf("the HEIF clean aperture is invalid")
			}
			crop = m.unmap(r, crop.Size()).Add(crop.Min)
		}
	}
	return crop, m.exif(), nil
}

// dihedral is one of the 8 turns and mirrors of a picture, as the 2x2 matrix that maps a pixel's position
// relative to the centre (x right, y down) from the stored picture to the shown one.
type dihedral [4]int

func (a dihedral) mul(b dihedral) dihedral {
	return dihedral{a[0]*b[0] + a[1]*b[2], a[0]*b[1] + a[1]*b[3], a[2]*b[0] + a[3]*b[2], a[2]*b[1] + a[3]*b[3]}
}

func (a dihedral) swaps() bool { return a[0] == 0 }

// exifDihedral lists the matrices of EXIF orientations 1-8.
var exifDihedral = [9]dihedral{1: {1, 0, 0, 1}, 2: {-1, 0, 0, 1}, 3: {-1, 0, 0, -1}, 4: {1, 0, 0, -1},
	5: {0, 1, 1, 0}, 6: {0, -1, 1, 0}, 7: {0, -1, -1, 0}, 8: {0, 1, -1, 0}}

func (a dihedral) exif() int {
	for o := 1; o <= 8; o++ {
		if exifDihedral[o] == a {
			return o
		}
	}
	return 1 // unreachable: products of turns and mirrors are always one of the eight
}

// unmap returns the rectangle of a picture of size src that a turns into r of the shown picture.
func (a dihedral) unmap(r image.Rectangle, src image.Point) image.Rectangle {
	dst := src
	if a.swaps() {
		dst = image.Pt(src.Y, src.X)
	}
	// Doubled coordinates relative to the centre keep the arithmetic in integers. The inverse of a signed
	// permutation matrix is its transpose.
	back := func(x, y int) image.Point {
		u, v := 2*x-(dst.X-1), 2*y-(dst.Y-1)
		su, sv := a[0]*u+a[2]*v, a[1]*u+a[3]*v
		return image.Pt((su+src.X-1)/2, (sv+src.Y-1)/2)
	}
	p, q := back(r.Min.X, r.Min.Y), back(r.Max.X-1, r.Max.Y-1)
	return image.Rect(min(p.X, q.X), min(p.Y, q.Y), max(p.X, q.X)+1, max(p.Y, q.Y)+1)
}

// clapRect is the clean aperture of a picture of the given size, rounded as libheif rounds it, or false when it
// is degenerate. The fractions are exact (big.Rat): numerators and denominators are 32-bit.
func clapRect(b []byte, size image.Point) (image.Rectangle, bool) {
	if len(b) < 32 {
		return image.Rectangle{}, false
	}
	frac := func(i int, signed bool) (*big.Rat, bool) {
		n, d := int64(binary.BigEndian.Uint32(b[8*i:])), int64(binary.BigEndian.Uint32(b[8*i+4:]))
		if signed {
			n = int64(int32(n))
		}
		if d == 0 || d > 1<<31-1 {
			return nil, false
		}
		return big.NewRat(n, d), true
	}
	w, ok1 := frac(0, false)
	hh, ok2 := frac(1, false)
	ho, ok3 := frac(2, true)
	vo, ok4 := frac(3, true)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return image.Rectangle{}, false
	}
	floor := func(r *big.Rat) int64 {
		q := new(big.Int).Div(r.Num(), r.Denom()) // Euclidean: floor for a positive denominator
		if !q.IsInt64() {
			return 1 << 40
		}
		return q.Int64()
	}
	round := func(r *big.Rat) int64 { return floor(new(big.Rat).Add(r, big.NewRat(1, 2))) }
	one, half := big.NewRat(1, 1), big.NewRat(1, 2)
	// left = horizOff + (width-1)/2 - (clapWidth-1)/2, and likewise for the top
	edge := func(off *big.Rat, full int, ext *big.Rat) *big.Rat {
		c := new(big.Rat).Add(off, new(big.Rat).Mul(big.NewRat(int64(full-1), 1), half))
		return c.Sub(c, new(big.Rat).Mul(new(big.Rat).Sub(ext, one), half))
	}
	left := floor(edge(ho, size.X, w))
	top := round(edge(vo, size.Y, hh))
	right := round(new(big.Rat).Add(new(big.Rat).Sub(w, one), big.NewRat(left, 1)))
	bottom := round(new(big.Rat).Add(new(big.Rat).Sub(hh, one), big.NewRat(top, 1)))
	left, top = max(left, 0), max(top, 0)
	right, bottom = min(right, int64(size.X-1)), min(bottom, int64(size.Y-1))
	if left > right || top > bottom {
		return image.Rectangle{}, false
	}
	return image.Rect(int(left), int(top), int(right)+1, int(bottom)+1), true
}

// findAlpha finds the alpha plane of the primary: an item with an 'auxl' reference to it whose auxC names alpha.
func (h *heifFile) findAlpha(primaryID uint32, primary *heifItem, l *HEIFLayout, maxPixels int64) error {
	var ids []uint32 // in ID order, so that a file with two alpha planes always gives the same one
	for id, it := range h.items {
		if it.auxlFor == primaryID && it != primary {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		it := h.items[id]
		p := h.prop(it, "auxC")
		if p == nil {
			continue
		}
		_, _, urn, ok := fullBox(p.body)
		if !ok {
			continue
		}
		if i := bytes.IndexByte(urn, 0); i >= 0 {
			urn = urn[:i]
		}
		isAlpha := false
		for _, u := range alphaURNs {
			isAlpha = isAlpha || string(urn) == u
		}
		if !isAlpha {
			continue
		}
		size, ok := h.ispe(it)
		if !ok {
			return ErrTruncated.Withf("the HEIF alpha plane has no size (ispe)")
		}
		if over(size, maxPixels) {
			return tooManyPixels("alpha plane", size, maxPixels)
		}
		if it.typ == "grid" {
			if _, _, err := h.checkGrid(it, size, true, maxPixels); err != nil {
				return err
			}
		} else if _, known := heifFormat(it.typ); !known {
			continue
		} else if err := h.complete(it); err != nil {
			return err
		}
		l.Info.HasAlpha, l.Alpha, l.AlphaCoded, l.Edits.AlphaFlags = true, id, size, it.flagsAt
		coded := it // a decoder reads the coding of a grid from its first tile
		if it.typ == "grid" {
			coded = h.items[it.dimg[0]]
		}
		if p := h.prop(coded, "hvcC"); p != nil && len(p.body) > 16 {
			l.Edits.AlphaChroma = p.at + 8 + 16
		}
		l.Premultiplied = primary.prem
		return nil
	}
	return nil
}

// nclx returns the nclx colour box of the primary, or of a grid's first tile when the grid has none.
func (h *heifFile) nclx(it *heifItem) *NCLXInfo {
	b := h.colr(it, "nclx")
	if b == nil && it.typ == "grid" && len(it.dimg) > 0 {
		if t, ok := h.items[it.dimg[0]]; ok {
			b = h.colr(t, "nclx")
		}
	}
	if len(b) < 7 {
		return nil
	}
	return &NCLXInfo{Primaries: binary.BigEndian.Uint16(b), Transfer: binary.BigEndian.Uint16(b[2:]),
		Matrix: binary.BigEndian.Uint16(b[4:]), FullRange: b[6]&0x80 != 0}
}

// heifICC returns the primary's ICC profile (colr of type prof or rICC), or a grid's first tile's.
func heifICC(data []byte) []byte {
	h, err := parseHEIF(data)
	if err != nil || !h.hasPITM {
		return nil
	}
	it, ok := h.items[h.pitm]
	if !ok {
		return nil
	}
	b := h.colr(it, "icc")
	if b == nil && it.typ == "grid" && len(it.dimg) > 0 {
		if t, ok := h.items[it.dimg[0]]; ok {
			b = h.colr(t, "icc")
		}
	}
	if len(b) == 0 || len(b) > MaxICCSize {
		return nil
	}
	return b
}

// NCLX returns the nclx colour box of a HEIF or AVIF file's primary image: the code points that tell how its
// YCbCr samples map to RGB and which RGB space that is. It returns false for other formats, when there is none
// (the coded stream's own signalling then applies, which is usually BT.601 full range, sRGB) or when the file
// cannot be read.
func NCLX(f Format, data []byte) (NCLXInfo, bool) {
	if f != HEIC && f != AVIF {
		return NCLXInfo{}, false
	}
	h, err := parseHEIF(data)
	if err != nil || !h.hasPITM {
		return NCLXInfo{}, false
	}
	it, ok := h.items[h.pitm]
	if !ok {
		return NCLXInfo{}, false
	}
	if n := h.nclx(it); n != nil {
		return *n, true
	}
	return NCLXInfo{}, false
}
