// Package hostile is the evidence that no input can exhaust the resize function: it makes the worst files the
// limits admit (strips, 16-bit and interlaced PNGs at 50 MP, progressive 4:4:4 JPEGs, scan bombs, offset GIF
// frames, hostile EXIF, lossless WebP, HEIC and AVIF at the largest size the memory budget admits, and files just
// past each limit), and it runs each through imageproc.Process in a process of its own under a 1 GB limit.
//
// A process's peak resident size (VmHWM) never goes down, so one file gets one child process: Run starts the test
// binary again with a Spec in its environment and GOMEMLIMIT=900MiB, and the test binary's TestMain hands over to
// RunChild, which reads the file, runs Process with a 1024 MB function's limits and its 60 s deadline, decodes
// every output back, and reports outcome, peak RSS and time as JSON. A watchdog stops a child whose resident size
// passes 1 GiB, as Lambda stops a function over its memory.
//
// The tests are the suite (TestHostileSuite, in every `make test`: each input must end ready or refused with the
// 4xx error it is meant to get, under 1 GiB, within the deadline) and the peak memory table README quotes
// (TestPeakMemoryTable, when HOSTILE_PEAK_TABLE=1). Files that only an external encoder writes (progressive JPEG
// and WebP through ImageMagick, HEIC through heif-enc, AVIF through avifenc) skip without it, except under
// CI=true. cmd/fuzzseeds writes the seed corpus of imageproc's FuzzProcess from the same generators.
package hostile
