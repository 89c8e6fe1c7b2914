package testimage

import (
	"bytes"
	"golang.org/x/image/webp"
	"testing"
)

func TestWebPDecodes(t *testing.T) {
	img, err := webp.Decode(bytes.NewReader(WebP()))
	if err != nil {
		t.Fatal(err)
	}
	t.Log(img.Bounds())
}
