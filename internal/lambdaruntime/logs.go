package lambdaruntime

import (
	"bytes"
	"fmt"
)

// lineWriter splits one output stream of the process into lines. Each stream
// has its own, so that a partial line on stdout is never glued to one on
// stderr.
type lineWriter struct {
	f   *Function
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	start := 0
	for {
		i := bytes.IndexByte(w.buf[start:], '\n')
		if i < 0 {
			break
		}
		w.f.addLine(string(bytes.TrimSuffix(w.buf[start:start+i], []byte("\r"))))
		start += i + 1
	}
	// Keep only the partial line, at the front, so the buffer does not grow.
	w.buf = w.buf[:copy(w.buf, w.buf[start:])]
	return len(p), nil
}

// flush emits a final line that had no newline.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.f.addLine(string(w.buf))
		w.buf = nil
	}
}

func (f *Function) addLine(line string) {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	f.logs = append(f.logs, line)
	if f.opts.Output != nil {
		// Best effort: a failing tee must not stall the function.
		_, _ = fmt.Fprintln(f.opts.Output, line)
	}
}

func (f *Function) logCount() int {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	return len(f.logs)
}
