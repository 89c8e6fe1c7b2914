package jpegenc

// Marker segments, written exactly as image/jpeg writes them (one DQT and one DHT segment holding every table,
// component IDs 1-3), after a JFIF APP0 that image/jpeg omits but libjpeg writes: with it a decoder need not guess
// that three components are YCbCr.

// jfif is SOI and APP0: JFIF 1.01, no units, 1:1 pixel aspect, no thumbnail.
var jfif = []byte{
	0xff, 0xd8,
	0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
}

func appendHeaders(buf []byte, planes []plane, width, height int, tables [][64]byte) []byte {
	buf = append(buf, jfif...)
	// DQT: 8-bit entries, destination i, zig-zag order.
	n := 2 + 65*len(tables)
	buf = append(buf, 0xff, 0xdb, byte(n>>8), byte(n))
	for i := range tables {
		buf = append(buf, byte(i))
		buf = append(buf, tables[i][:]...)
	}
	// SOF0: 8-bit samples, the size, then per component its ID, sampling factors and quantisation table.
	n = 8 + 3*len(planes)
	buf = append(buf, 0xff, 0xc0, byte(n>>8), byte(n), 8,
		byte(height>>8), byte(height), byte(width>>8), byte(width), byte(len(planes)))
	for i, p := range planes {
		buf = append(buf, byte(i+1), byte(p.hs<<4|p.vs), byte(p.table/2))
	}
	return buf
}

func appendDHT(buf []byte, specs []*spec) []byte {
	n := 2
	for _, s := range specs {
		n += 17 + len(s.value)
	}
	buf = append(buf, 0xff, 0xc4, byte(n>>8), byte(n))
	for i, s := range specs {
		buf = append(buf, dhtID[i])
		buf = append(buf, s.count[:]...)
		buf = append(buf, s.value...)
	}
	return buf
}

// appendSOS writes the scan header: every component, luma with tables 0/0 and chroma with 1/1, and the full
// spectral range with no successive approximation, as a sequential scan must have.
func appendSOS(buf []byte, comps int) []byte {
	n := 6 + 2*comps
	buf = append(buf, 0xff, 0xda, byte(n>>8), byte(n), byte(comps))
	for i := range comps {
		buf = append(buf, byte(i+1), "\x00\x11\x11"[i])
	}
	return append(buf, 0x00, 0x3f, 0x00)
}
