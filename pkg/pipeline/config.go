package pipeline

import (
	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/imageproc"
)

// ConfigFrom takes the job's settings from the resize function's configuration.
func ConfigFrom(r config.Resize) Config {
	return Config{
		Bucket:           r.Storage.Bucket,
		Layout:           r.Layout,
		ArchiveOriginals: r.ArchiveOriginals,
		MaxSourceBytes:   r.MaxSourceBytes,
		Process:          imageproc.Options{Widths: r.Widths, JPEGQuality: r.JPEGQuality, MaxPixels: r.MaxPixels},
	}
}
