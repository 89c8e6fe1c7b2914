package imageproc

import (
	"image"
	"math"
)

// Fit says how a source fills a box whose width and height are both set.
type Fit string

// The fit modes, as sharp and imgproxy name them.
const (
	// FitInside scales the whole picture down to fit inside the box, keeping its aspect ratio; the output may be
	// smaller than the box on one side. It is the default.
	FitInside Fit = "inside"
	// FitCover scales the picture to cover the box and crops the excess from the centre: the output is the box.
	FitCover Fit = "cover"
	// FitContain fits the picture inside the box like FitInside, then pads it to the box's size: white for JPEG,
	// transparent for formats with alpha.
	FitContain Fit = "contain"
)

// Valid reports whether f is a known fit mode; the empty Fit means FitInside.
func (f Fit) Valid() bool { return f == "" || f == FitInside || f == FitCover || f == FitContain }

// geometry is where one target comes from and what it becomes, in upright coordinates: the region of the source
// it shows, the size that region is resized to, and the canvas the result sits on (larger only for FitContain).
type geometry struct {
	crop          image.Rectangle // in upright source pixels
	width, height int             // the resized picture
	canvasW       int             // the output's size, with padding
	canvasH       int
}

// full reports whether the target shows the whole source, unpadded, so that it may be resized from a larger
// output of the same kind (the cascade).
func (g geometry) full(srcW, srcH int) bool {
	return g.crop == image.Rect(0, 0, srcW, srcH) && g.canvasW == g.width && g.canvasH == g.height
}

// scale is how much the target shrinks the source: output pixels per source pixel.
func (g geometry) scale() float64 {
	return max(float64(g.width)/float64(g.crop.Dx()), float64(g.height)/float64(g.crop.Dy()))
}

// Size returns the size of the output the target asks of a source of srcW x srcH (upright), padding included. It
// never enlarges: a source smaller than the box is kept at its own size (and for FitCover cropped to the box's
// aspect ratio).
func Size(srcW, srcH int, t Target) (w, h int) {
	g := plan(srcW, srcH, t)
	return g.canvasW, g.canvasH
}

// plan computes a target's geometry for a srcW x srcH upright source. Aspect ratios are kept to within a pixel
// and no side is ever below 1 px.
func plan(srcW, srcH int, t Target) geometry {
	full := image.Rect(0, 0, srcW, srcH)
	w, h := t.Width, t.Height
	g := geometry{crop: full}
	switch {
	case w <= 0 && h <= 0:
		g.width, g.height = srcW, srcH
	case h <= 0 || w > 0 && t.Fit != FitCover && int64(w)*int64(srcH) <= int64(h)*int64(srcW):
		// The width binds: the width alone, or a box wider (relative to the source) than it is tall.
		g.width = min(w, srcW)
		g.height = ratio(srcH, g.width, srcW)
	case w <= 0 || t.Fit != FitCover:
		g.height = min(h, srcH)
		g.width = ratio(srcW, g.height, srcH)
	default: // cover a w x h box: crop the source to the box's aspect ratio, centred, then scale
		cw, ch := srcW, ratio(srcW, h, w)
		if ch > srcH {
			cw, ch = ratio(srcH, w, h), srcH
		}
		g.crop = image.Rect((srcW-cw)/2, (srcH-ch)/2, (srcW-cw)/2+cw, (srcH-ch)/2+ch)
		g.width, g.height = min(w, cw), min(h, ch)
		if w > cw || h > ch { // never enlarge: keep the crop's own pixels, at the box's aspect ratio
			g.width, g.height = cw, ch
		}
	}
	g.canvasW, g.canvasH = g.width, g.height
	if t.Fit == FitContain && w > 0 && h > 0 {
		g.canvasW, g.canvasH = w, h
	}
	return g
}

// ratio returns round(a*b/c), at least 1.
func ratio(a, b, c int) int {
	return max(1, int((int64(a)*int64(b)+int64(c)/2)/int64(c)))
}

// toStored maps a rectangle of the upright picture to the stored frame of sw x sh that EXIF orientation o turns
// upright (the same mapping orientPlane undoes).
func toStored(r image.Rectangle, o, sw, sh int) image.Rectangle {
	x0, y0, x1, y1 := r.Min.X, r.Min.Y, r.Max.X, r.Max.Y
	switch o {
	case 2:
		return image.Rect(sw-x1, y0, sw-x0, y1)
	case 3:
		return image.Rect(sw-x1, sh-y1, sw-x0, sh-y0)
	case 4:
		return image.Rect(x0, sh-y1, x1, sh-y0)
	case 5:
		return image.Rect(y0, x0, y1, x1)
	case 6:
		return image.Rect(y0, sh-x1, y1, sh-x0)
	case 7:
		return image.Rect(sw-y1, sh-x1, sw-y0, sh-x0)
	case 8:
		return image.Rect(sw-y1, x0, sw-y0, x1)
	}
	return r
}

// scaleRect maps a rectangle of a frame of fromW x fromH onto one of toW x toH (a DCT-reduced decode of it),
// rounding each edge to the nearest pixel and keeping it non-empty.
func scaleRect(r image.Rectangle, fromW, fromH, toW, toH int) image.Rectangle {
	if fromW == toW && fromH == toH {
		return r
	}
	sx, sy := float64(toW)/float64(fromW), float64(toH)/float64(fromH)
	edge := func(v int, s float64, limit int) int { return min(limit, max(0, int(math.Round(float64(v)*s)))) }
	out := image.Rect(edge(r.Min.X, sx, toW), edge(r.Min.Y, sy, toH), edge(r.Max.X, sx, toW), edge(r.Max.Y, sy, toH))
	if out.Dx() == 0 {
		out.Max.X = min(toW, out.Min.X+1)
		out.Min.X = out.Max.X - 1
	}
	if out.Dy() == 0 {
		out.Max.Y = min(toH, out.Min.Y+1)
		out.Min.Y = out.Max.Y - 1
	}
	return out
}
