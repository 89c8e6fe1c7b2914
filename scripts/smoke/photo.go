package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decode PNGs given with -photo and PNG derivatives
	"os"
	"path/filepath"
)

// photo is the upload under test.
type photo struct {
	data        []byte
	filename    string
	contentType string
	width       int
	height      int
	generated   bool
}

// Generated test photo size: wider than the largest default derivative (1920)
// so every width is a real downscale, and 3:2 so a distorted aspect ratio
// shows up as a height error of hundreds of pixels, not one.
const (
	genWidth  = 2400
	genHeight = 1600
)

func loadPhoto(path string) (photo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return photo{}, err
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return photo{}, fmt.Errorf("%s: %w", path, err)
	}
	p := photo{data: data, filename: filepath.Base(path), width: cfg.Width, height: cfg.Height}
	switch format {
	case "jpeg":
		p.contentType = "image/jpeg"
	case "png":
		p.contentType = "image/png"
	default:
		return photo{}, fmt.Errorf("%s: %s is not supported, use a JPEG or PNG", path, format)
	}
	return p, nil
}

// generatePhoto draws a test card: a diagonal gradient (so resampling has
// something to smooth), a frame one pixel inside the border (so a crop is
// visible by eye) and a few filled shapes (so a stretch is too).
func generatePhoto() (photo, error) {
	w, h := genWidth, genHeight
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{
				R: uint8(255 * x / w),
				G: uint8(255 * y / h),
				B: uint8(255 - 255*(x+y)/(w+h)),
				A: 255,
			})
		}
	}
	white := color.RGBA{255, 255, 255, 255}
	fillRect(img, image.Rect(1, 1, w-1, 9), white)
	fillRect(img, image.Rect(1, h-9, w-1, h-1), white)
	fillRect(img, image.Rect(1, 1, 9, h-1), white)
	fillRect(img, image.Rect(w-9, 1, w-1, h-1), white)
	fillCircle(img, w/4, h/2, h/4, color.RGBA{220, 30, 30, 255})
	fillCircle(img, 3*w/4, h/3, h/8, color.RGBA{250, 220, 0, 255})
	fillRect(img, image.Rect(w/2, h/2, w/2+w/5, h/2+h/3), color.RGBA{20, 20, 20, 255})

	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return photo{}, fmt.Errorf("encode test photo: %w", err)
	}
	return photo{
		data:        buf.Bytes(),
		filename:    "smoke.jpg",
		contentType: "image/jpeg",
		width:       w,
		height:      h,
		generated:   true,
	}, nil
}

func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func fillCircle(img *image.RGBA, cx, cy, radius int, c color.RGBA) {
	for y := cy - radius; y <= cy+radius; y++ {
		for x := cx - radius; x <= cx+radius; x++ {
			if dx, dy := x-cx, y-cy; dx*dx+dy*dy <= radius*radius && (image.Point{x, y}).In(img.Bounds()) {
				img.SetRGBA(x, y, c)
			}
		}
	}
}
