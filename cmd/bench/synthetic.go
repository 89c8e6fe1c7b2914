package main

import (
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
)

// syntheticW and syntheticH make the largest photo the function accepts (MAX_PIXELS is 50 MP) in a 3:2 frame.
const syntheticW, syntheticH = 8660, 5773

// writeSynthetic writes a 50 MP baseline JPEG to dir and returns its path. It is generated rather than downloaded
// so the memory bound can be checked anywhere. Gradients give it photo-like low frequencies, and a hash-based
// texture gives it enough detail that the entropy decoder does realistic work (a flat file would decode far too
// fast).
func writeSynthetic(dir string) (string, error) {
	img := image.NewYCbCr(image.Rect(0, 0, syntheticW, syntheticH), image.YCbCrSubsampleRatio420)
	for y := range syntheticH {
		row := img.Y[y*img.YStride:]
		for x := range syntheticW {
			h := uint32(x)*2654435761 ^ uint32(y)*2246822519
			h ^= h >> 15
			row[x] = uint8(40 + 140*x/syntheticW + 40*y/syntheticH + int(h%24))
		}
	}
	for y := range (syntheticH + 1) / 2 {
		for x := range (syntheticW + 1) / 2 {
			i := y*img.CStride + x
			img.Cb[i] = uint8(80 + 90*x/(syntheticW/2+1))
			img.Cr[i] = uint8(170 - 80*y/(syntheticH/2+1))
		}
	}
	path := filepath.Join(dir, "synthetic-50MP.jpg")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}
