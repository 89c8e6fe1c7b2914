package imagefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"runtime"
	"testing"

	"github.com/imgpipe/imgpipe/internal/heiftest"
)

// The files here are built by heiftest.File with stand-in coded bytes: the parser never looks inside them, and
// each file is a few hundred bytes. heifdec's tests cover files made by real encoders.

var fakeCoded = bytes.Repeat([]byte{0xA5}, 40)

// still is a one-image file of the given codec and size with extra properties on the primary.
func still(typ string, w, h int, props ...heiftest.Prop) *heiftest.File {
	cfg := heiftest.Prop{Type: "hvcC", Body: make([]byte, 23)}
	brand := "heic"
	if typ == "av01" {
		cfg, brand = heiftest.Prop{Type: "av1C", Body: []byte{0x81, 0, 0, 0}}, "avif"
	}
	return &heiftest.File{Major: brand, Brands: []string{"mif1", brand}, PITM: 1, Items: []*heiftest.Item{
		{ID: 1, Type: typ, Props: append([]heiftest.Prop{cfg, heiftest.ISPE(w, h)}, props...), Data: fakeCoded}}}
}

// grid is a rows x cols grid of tile x tile HEVC tiles with the given output size.
func grid(rows, cols, tile, w, h int) *heiftest.File {
	f := &heiftest.File{Major: "heic", Brands: []string{"mif1", "heic"}, PITM: 1}
	desc := []byte{0, 0, byte(rows - 1), byte(cols - 1)}
	desc = binary.BigEndian.AppendUint16(desc, uint16(w))
	desc = binary.BigEndian.AppendUint16(desc, uint16(h))
	g := &heiftest.Item{ID: 1, Type: "grid", Props: []heiftest.Prop{heiftest.ISPE(w, h)}, Data: desc, InIdat: true}
	f.Items = append(f.Items, g)
	for i := 0; i < rows*cols; i++ {
		id := uint32(2 + i)
		f.Items = append(f.Items, &heiftest.Item{ID: id, Type: "hvc1", Hidden: true, Data: fakeCoded,
			Props: []heiftest.Prop{{Type: "hvcC", Body: make([]byte, 23)}, heiftest.ISPE(tile, tile)}})
		g.Dimg = append(g.Dimg, id)
	}
	return f
}

func withAlpha(f *heiftest.File, urn string, w, h int) *heiftest.File {
	auxC := append([]byte{0, 0, 0, 0}, urn...)
	f.Items = append(f.Items, &heiftest.Item{ID: 50, Type: "hvc1", Hidden: true, Auxl: f.PITM, Data: fakeCoded,
		Props: []heiftest.Prop{{Type: "hvcC", Body: make([]byte, 23)}, heiftest.ISPE(w, h), {Type: "auxC", Body: append(auxC, 0)}}})
	return f
}

func withExif(f *heiftest.File, o int) *heiftest.File {
	f.Items = append(f.Items, &heiftest.Item{ID: 60, Type: "Exif", Data: heiftest.Exif(o), Cdsc: f.PITM})
	return f
}

func TestInspectHEIF(t *testing.T) {
	alphaURN := "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha"
	mif1AV1 := still("av01", 64, 48)
	mif1AV1.Major, mif1AV1.Brands = "mif1", []string{"mif1", "miaf"}
	cases := map[string]struct {
		file          *heiftest.File
		format        Format
		width, height int
		alpha         bool
		orientation   int
	}{
		"heic":                {still("hvc1", 640, 480), HEIC, 640, 480, false, 1},
		"avif":                {still("av01", 640, 480), AVIF, 640, 480, false, 1},
		"mif1 with av01":      {mif1AV1, AVIF, 64, 48, false, 1},
		"irot 1":              {still("hvc1", 640, 480, heiftest.Irot(1)), HEIC, 640, 480, false, 8},
		"irot 2":              {still("hvc1", 640, 480, heiftest.Irot(2)), HEIC, 640, 480, false, 3},
		"irot 3":              {still("hvc1", 640, 480, heiftest.Irot(3)), HEIC, 640, 480, false, 6},
		"imir 0":              {still("hvc1", 640, 480, heiftest.Imir(0)), HEIC, 640, 480, false, 4},
		"imir 1":              {still("hvc1", 640, 480, heiftest.Imir(1)), HEIC, 640, 480, false, 2},
		"irot 1 imir 0":       {still("hvc1", 640, 480, heiftest.Irot(1), heiftest.Imir(0)), HEIC, 640, 480, false, 5},
		"irot 3 imir 0":       {still("hvc1", 640, 480, heiftest.Irot(3), heiftest.Imir(0)), HEIC, 640, 480, false, 7},
		"imir 0 irot 1":       {still("hvc1", 640, 480, heiftest.Imir(0), heiftest.Irot(1)), HEIC, 640, 480, false, 7},
		"exif 6 only":         {withExif(still("hvc1", 640, 480), 6), HEIC, 640, 480, false, 1},
		"exif 6 and irot 3":   {withExif(still("hvc1", 640, 480, heiftest.Irot(3)), 6), HEIC, 640, 480, false, 6},
		"clap":                {still("hvc1", 640, 480, heiftest.Clap(600, 400, 0, 0)), HEIC, 600, 400, false, 1},
		"irot 1 then clap":    {still("hvc1", 640, 480, heiftest.Irot(1), heiftest.Clap(400, 600, 0, 0)), HEIC, 600, 400, false, 8},
		"alpha":               {withAlpha(still("hvc1", 64, 48), alphaURN, 64, 48), HEIC, 64, 48, true, 1},
		"alpha hevc urn":      {withAlpha(still("hvc1", 64, 48), "urn:mpeg:hevc:2015:auxid:1", 64, 48), HEIC, 64, 48, true, 1},
		"depth is not alpha":  {withAlpha(still("hvc1", 64, 48), "urn:mpeg:hevc:2015:auxid:2", 64, 48), HEIC, 64, 48, false, 1},
		"iphone grid":         {grid(6, 8, 512, 4032, 3024), HEIC, 4032, 3024, false, 1},
		"iphone grid rotated": {func() *heiftest.File { f := grid(6, 8, 512, 4032, 3024); f.Primary().Add(heiftest.Irot(3)); return f }(), HEIC, 4032, 3024, false, 6},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			data := c.file.Bytes()
			info, err := Inspect(data, 0)
			if err != nil {
				t.Fatal(err)
			}
			if info.Format != c.format || info.Width != c.width || info.Height != c.height || info.HasAlpha != c.alpha ||
				info.Orientation != c.orientation {
				t.Fatalf("%+v", info)
			}
			if f, err := Sniff(data); err != nil || f != c.format {
				t.Errorf("Sniff: %v %v", f, err)
			}
		})
	}
}

// TestHEIFCrop: the clean aperture, listed before or after a turn, is found in coded coordinates as libheif
// crops it (left rounded down, the rest to nearest).
func TestHEIFCrop(t *testing.T) {
	cases := map[string]struct {
		props []heiftest.Prop
		want  image.Rectangle
	}{
		"centred": {[]heiftest.Prop{heiftest.Clap(600, 400, 0, 0)}, image.Rect(20, 40, 620, 440)},
		"offset":  {[]heiftest.Prop{heiftest.Clap(100, 100, -200, 150)}, image.Rect(70, 340, 170, 440)},
		"clamped": {[]heiftest.Prop{heiftest.Clap(100, 100, 1000, 0)}, image.Rect(1010, 190, 640, 290).Intersect(image.Rect(0, 0, 640, 480))},
		// Shown 480x640; the aperture is x 190-389, y 170-469 there, which is stored x = 639-y, y = x.
		"after irot 1":       {[]heiftest.Prop{heiftest.Irot(1), heiftest.Clap(200, 300, 50, 0)}, image.Rect(170, 190, 470, 390)},
		"after imir 1":       {[]heiftest.Prop{heiftest.Imir(1), heiftest.Clap(100, 100, 200, 0)}, image.Rect(70, 190, 170, 290)},
		"before and after":   {[]heiftest.Prop{heiftest.Clap(600, 400, 0, 0), heiftest.Irot(2), heiftest.Clap(100, 100, 100, 0)}, image.Rect(170, 190, 270, 290)},
		"no clap, just turn": {[]heiftest.Prop{heiftest.Irot(1)}, image.Rect(0, 0, 640, 480)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			l, err := InspectHEIF(still("hvc1", 640, 480, c.props...).Bytes(), 0)
			if c.want.Empty() {
				if err == nil {
					t.Fatalf("accepted %v", l.Crop)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Crop != c.want || l.Info.Width != c.want.Dx() || l.Info.Height != c.want.Dy() {
				t.Fatalf("crop %v (%dx%d), want %v", l.Crop, l.Info.Width, l.Info.Height, c.want)
			}
		})
	}
}

func TestInspectHEIFRejects(t *testing.T) {
	hugeTile := grid(1, 1, 30000, 100, 100)
	wideTiles := grid(1, 200, 10, 2000, 10) // 200 columns of 10x10 tiles: fine
	for _, it := range wideTiles.Items[1:] {
		it.Props[1] = heiftest.ISPE(10, 10000) // now 200 tiles of 10x10000 around a 2000x10 output
	}
	spare := grid(2, 2, 512, 600, 400) // a second row of tiles that the output does not reach
	few := grid(2, 2, 512, 1000, 1000)
	few.Primary().Dimg = few.Primary().Dimg[:3]
	notPict := still("hvc1", 64, 48)
	jpegItem := still("jpeg", 64, 48)
	cases := map[string]struct {
		data []byte
		want error
	}{
		"ispe over the limit":         {still("hvc1", 20000, 20000).Bytes(), ErrTooManyPixels},
		"grid over the limit":         {grid(2, 2, 512, 1024, 1024).Bytes(), ErrTooManyPixels},
		"tile over the limit":         {hugeTile.Bytes(), ErrTooManyPixels},
		"tiles over the limit":        {wideTiles.Bytes(), ErrTooManyPixels},
		"alpha over the limit":        {withAlpha(still("hvc1", 64, 48), "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", 5000, 5000).Bytes(), ErrTooManyPixels},
		"grid with a spare row":       {spare.Bytes(), ErrTruncated},
		"grid missing a tile":         {few.Bytes(), ErrTruncated},
		"sequence without still":      {sequenceOnly(), ErrUnsupported},
		"jpeg-coded item":             {jpegItem.Bytes(), ErrUnsupported},
		"cut in mdat":                 {cut(still("hvc1", 64, 48).Bytes(), 10), ErrTruncated},
		"cut in meta":                 {still("hvc1", 64, 48).Bytes()[:100], ErrTruncated},
		"no meta":                     {[]byte("\x00\x00\x00\x14ftypheic\x00\x00\x00\x00mif1"), ErrTruncated},
		"handler not pict":            {patchBytes(notPict.Bytes(), "pict", "vide"), ErrTruncated},
		"iloc with 2^32 items":        {hostile("iloc", func(b []byte) { binary.BigEndian.PutUint16(b[6:], 0xFFFF) }), ErrTruncated},
		"ipma with 2^32 entries":      {hostile("ipma", func(b []byte) { binary.BigEndian.PutUint32(b[4:], 0xFFFFFFFF) }), ErrTruncated},
		"iinf with 10000 items":       {manyItems(10000), ErrTruncated},
		"box larger than the file":    {hostile("iprp", func(b []byte) {}, 0x7FFFFFF0), ErrTruncated},
		"grid of 256x256 tiles, none": {patchGridCount(grid(1, 1, 512, 500, 500).Bytes()), ErrTruncated},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Inspect(c.data, 1_000_000); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// TestHEIFEveryCutIsTruncated: an upload cut short anywhere after the brands is truncated, never accepted.
func TestHEIFEveryCutIsTruncated(t *testing.T) {
	f := grid(2, 2, 64, 100, 100)
	withAlpha(f, "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", 100, 100)
	data := withExif(f, 6).Bytes()
	if _, err := Inspect(data, 0); err != nil {
		t.Fatal(err)
	}
	for n := 16; n < len(data); n++ {
		if _, err := Inspect(data[:n], 0); !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d of %d: %v", n, len(data), err)
		}
	}
}

// TestHostileHEIFAllocatesLittle: declarations are never trusted to size anything; a megabyte of hostile meta
// costs about what it weighs.
func TestHostileHEIFAllocatesLittle(t *testing.T) {
	for name, data := range map[string][]byte{
		"many items":        manyItems(200000),
		"iloc item count":   hostile("iloc", func(b []byte) { binary.BigEndian.PutUint16(b[6:], 0xFFFF) }),
		"empty extents":     emptyExtents(),
		"nested iprp boxes": nestedIPRP(100000),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		Inspect(data, 0)
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 8*uint64(len(data))+8<<20 {
			t.Errorf("%s: %d bytes allocated for a %d-byte file", name, n, len(data))
		}
	}
}

func TestNCLXAndICC(t *testing.T) {
	prof := bytes.Repeat([]byte{7}, 500)
	f := still("av01", 64, 48, heiftest.NCLX(9, 16, 9, false), heiftest.ICC(prof))
	data := f.Bytes()
	n, ok := NCLX(AVIF, data)
	if !ok || n != (NCLXInfo{Primaries: 9, Transfer: 16, Matrix: 9, FullRange: false}) {
		t.Errorf("NCLX %+v %v", n, ok)
	}
	if got := ICC(AVIF, data); !bytes.Equal(got, prof) {
		t.Errorf("ICC: %d bytes", len(got))
	}
	if _, ok := NCLX(HEIC, still("hvc1", 64, 48).Bytes()); ok {
		t.Error("NCLX found in a file without one")
	}
	if _, ok := NCLX(JPEG, data); ok {
		t.Error("NCLX for a JPEG")
	}
	// An iPhone grid carries its colour on the grid item; a tile's is used when the grid has none.
	g := grid(1, 2, 64, 100, 64)
	g.Items[1].Add(heiftest.NCLX(12, 13, 6, true))
	if n, ok := NCLX(HEIC, g.Bytes()); !ok || n.Primaries != 12 || !n.FullRange {
		t.Errorf("grid NCLX %+v %v", n, ok)
	}
}

func TestUprightHEIF(t *testing.T) {
	info, err := Inspect(still("hvc1", 640, 480, heiftest.Irot(1)).Bytes(), 0)
	if w, h := info.Upright(); err != nil || w != 480 || h != 640 {
		t.Fatalf("%dx%d %v", w, h, err)
	}
}

// FuzzInspectHEIF: no input makes the HEIF parser panic, loop or allocate much, and an accepted file respects
// the pixel limit in every image a decoder would decode.
func FuzzInspectHEIF(f *testing.F) {
	f.Add(still("hvc1", 64, 48, heiftest.Irot(1), heiftest.Clap(30, 20, 1, 1)).Bytes())
	f.Add(withAlpha(still("av01", 64, 48), "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", 64, 48).Bytes())
	f.Add(withExif(grid(2, 2, 32, 60, 60), 3).Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l, err := InspectHEIF(data, 4096)
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 64*uint64(len(data))+1<<20 {
			t.Fatalf("%d bytes allocated for %d", n, len(data))
		}
		if err != nil {
			return
		}
		i := l.Info
		if i.Pixels() > 4096 || int64(l.Coded.X)*int64(l.Coded.Y) > 4096 || i.Width <= 0 || i.Height <= 0 ||
			i.Orientation < 1 || i.Orientation > 8 || !l.Crop.In(image.Rectangle{Max: l.Coded}) ||
			l.Crop.Dx() != i.Width || l.Crop.Dy() != i.Height {
			t.Fatalf("accepted %+v", l)
		}
	})
}

// sequenceOnly is an image sequence: brands, a moov box, no meta.
func sequenceOnly() []byte {
	return append([]byte("\x00\x00\x00\x18ftypmsf1\x00\x00\x00\x00msf1hevc"), []byte("\x00\x00\x00\x10moov\x00\x00\x00\x08mvhd")...)
}

func cut(b []byte, n int) []byte { return b[:len(b)-n] }

func patchBytes(b []byte, old, new string) []byte {
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

// hostile edits the payload of the first box of type typ (after its 8-byte header) in a valid file, and
// optionally its size field.
func hostile(typ string, edit func(body []byte), size ...uint32) []byte {
	data := still("hvc1", 64, 48).Bytes()
	i := bytes.Index(data, []byte(typ)) - 4
	edit(data[i+8:])
	if len(size) > 0 {
		binary.BigEndian.PutUint32(data[i:], size[0])
	}
	return data
}

// manyItems is a file whose iinf lists n items.
func manyItems(n int) []byte {
	f := still("hvc1", 64, 48)
	for i := 0; i < n; i++ {
		f.Items = append(f.Items, &heiftest.Item{ID: uint32(2 + i%60000), Type: "Exif"})
	}
	return f.Bytes()
}

// emptyExtents is an iloc whose fields are all zero bytes wide and whose items each declare 65535 extents.
func emptyExtents() []byte {
	body := []byte{0, 0, 0, 0, 0x00, 0x00, 0xFF, 0xFF}
	for i := 0; i < 0xFFFF; i++ {
		body = append(body, byte(i>>8), byte(i), 0, 0, 0xFF, 0xFF)
	}
	return wrapMeta(body, "iloc")
}

// nestedIPRP is an iprp with n empty child boxes.
func nestedIPRP(n int) []byte {
	return wrapMeta(bytes.Repeat([]byte("\x00\x00\x00\x08free"), n), "iprp")
}

func wrapMeta(body []byte, typ string) []byte {
	box := binary.BigEndian.AppendUint32(nil, uint32(len(body)+8))
	box = append(append(box, typ...), body...)
	hdlr := []byte("\x00\x00\x00\x21hdlr\x00\x00\x00\x00\x00\x00\x00\x00pict\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	meta := append(append([]byte{0, 0, 0, 0}, hdlr...), box...)
	out := []byte("\x00\x00\x00\x14ftypheic\x00\x00\x00\x00mif1")
	out = binary.BigEndian.AppendUint32(out, uint32(len(meta)+8))
	return append(append(out, "meta"...), meta...)
}

// patchGridCount makes a grid descriptor declare 256x256 tiles while the file references one.
func patchGridCount(b []byte) []byte {
	i := bytes.Index(b, []byte("idat")) + 4
	b[i+2], b[i+3] = 255, 255
	return b
}
