package publicerr

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestInstancesMatchTheirSentinel(t *testing.T) {
	tooBig := New(413, "file_too_large", "the file is too large")
	other := New(400, "bad", "bad")
	inst := tooBig.Withf("the file is larger than the limit of %d MiB", 4).Wrap(io.ErrUnexpectedEOF)
	wrapped := fmt.Errorf("parse: %w", inst)
	if !errors.Is(wrapped, tooBig) || errors.Is(wrapped, other) || !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Fatal("errors.Is does not see the sentinel or the cause")
	}
	p := From(wrapped)
	if p == nil || p.Status != 413 || p.Code != "file_too_large" || p.Message != "the file is larger than the limit of 4 MiB" {
		t.Fatalf("From: %+v", p)
	}
	if inst.Error() != "the file is larger than the limit of 4 MiB: unexpected EOF" {
		t.Fatalf("Error() = %q", inst.Error())
	}
	if From(io.EOF) != nil {
		t.Fatal("an internal error has no public face")
	}
}
