package s3local

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// blobWriter writes a new immutable blob: into tmp/ first, then fsynced and renamed under blobs/ by commit, so
// the index never points at a file that a crash could leave half written.
type blobWriter struct {
	st   *store
	id   string
	f    *os.File
	md5  hash.Hash
	size int64
}

func (st *store) newBlob() (*blobWriter, error) {
	id := newID()
	f, err := os.CreateTemp(filepath.Join(st.dir, "tmp"), id+"-*")
	if err != nil {
		return nil, err
	}
	return &blobWriter{st: st, id: id, f: f, md5: md5.New()}, nil
}

func (b *blobWriter) Write(p []byte) (int, error) {
	n, err := b.f.Write(p)
	b.md5.Write(p[:n])
	b.size += int64(n)
	return n, err
}

// ReadFrom copies r into the blob. Errors from r are returned as they are (an *s3Error from a verifying reader
// is the client's mistake), errors from the disk wrapped.
func (b *blobWriter) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var total int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := b.Write(buf[:n]); err != nil {
				return total, &diskError{fmt.Errorf("write blob: %w", err)}
			}
			total += int64(n)
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

func (b *blobWriter) md5Hex() string { return hex.EncodeToString(b.md5.Sum(nil)) }

// commit makes the blob durable under blobs/ and returns its id.
func (b *blobWriter) commit() (string, error) {
	if !b.st.noSync {
		if err := b.f.Sync(); err != nil {
			b.abort()
			return "", fmt.Errorf("sync blob: %w", err)
		}
	}
	tmp := b.f.Name()
	if err := b.f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("close blob: %w", err)
	}
	// Read-only: the mirror exposes blobs by hard link, and an in-place edit there must not change an object.
	// (Windows cannot remove a read-only file, and has no such view to protect.)
	if runtime.GOOS != "windows" {
		os.Chmod(tmp, 0o444)
	}
	dst := b.st.blobPath(b.id)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("rename blob: %w", err)
	}
	if !b.st.noSync {
		syncDir(filepath.Dir(dst))
	}
	return b.id, nil
}

// abort throws the blob away.
func (b *blobWriter) abort() {
	name := b.f.Name()
	b.f.Close()
	os.Remove(name)
}

// syncDir makes a rename into dir durable. Windows cannot open a directory for syncing and does not need it.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// linkBlob makes a new blob with the content of blob src, for a copy: a hard link where the file system has
// them (blobs are never modified, so sharing the inode is safe), a byte copy otherwise.
// The caller holds st.mu shared, so src cannot be removed meanwhile.
func (st *store) linkBlobLocked(src string) (string, error) {
	id := newID()
	dst := st.blobPath(id)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	if err := os.Link(st.blobPath(src), dst); err == nil {
		if !st.noSync {
			syncDir(filepath.Dir(dst))
		}
		return id, nil
	}
	in, err := os.Open(st.blobPath(src))
	if err != nil {
		return "", err
	}
	defer in.Close()
	w, err := st.newBlob()
	if err != nil {
		return "", err
	}
	w.id = id
	if _, err := io.Copy(w, in); err != nil {
		w.abort()
		return "", err
	}
	return w.commit()
}
