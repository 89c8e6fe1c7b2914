package s3local

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The mirror is a view for people: Dir/files/<bucket>/<key> hard-links each object's blob, so `ls` and an
// image viewer show what the server holds. It is never read by the server and is rebuilt at every start, so
// it cannot drift for long. Only keys that are also plain relative paths get an entry: a key with an empty,
// "." or ".." segment, a trailing slash, a segment over 255 bytes, or a name another entry already uses as a
// directory (or the reverse) is left out, rather than aliased as the file-system backend did.

const mirrorDir = "files"

// mirrorPath is where key of bucket appears in the mirror, if it can.
func (st *store) mirrorPath(bucket, key string) (string, bool) {
	if strings.HasSuffix(key, "/") || strings.ContainsRune(key, 0) || runtime.GOOS == "windows" && strings.ContainsAny(key, `\:*?"<>|`) {
		return "", false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || len(seg) > 255 {
			return "", false
		}
	}
	return filepath.Join(st.dir, mirrorDir, bucket, filepath.FromSlash(key)), true
}

// syncMirror makes the mirror entry of bucket/key match the index, whatever happened meanwhile: it reads the
// current version under mirrorMu, so concurrent writers of one key leave the entry at the last one.
func (st *store) syncMirror(bucket, key string) {
	if !st.mirror {
		return
	}
	p, ok := st.mirrorPath(bucket, key)
	if !ok {
		return
	}
	st.mirrorMu.Lock()
	defer st.mirrorMu.Unlock()
	rec, err := st.head(bucket, key)
	if err != nil {
		if os.Remove(p) == nil {
			st.pruneMirrorDirs(filepath.Dir(p), filepath.Join(st.dir, mirrorDir, bucket))
		}
		return
	}
	st.linkMirror(p, rec.Blob)
}

// linkMirror points p at blob, replacing what was there in one rename.
func (st *store) linkMirror(p, blob string) {
	if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return // a prefix of the key is an object's file: this key stays out of the view
	}
	tmp := filepath.Join(st.dir, "tmp", newID())
	st.mu.RLock()
	err := os.Link(st.blobPath(blob), tmp)
	st.mu.RUnlock()
	if err != nil {
		return
	}
	if os.Rename(tmp, p) != nil { // p is a directory: another key uses this name as a prefix
		os.Remove(tmp)
	}
}

// pruneMirrorDirs removes directories left empty by a removal, up to root.
func (st *store) pruneMirrorDirs(dir, root string) {
	for dir != root && strings.HasPrefix(dir, root) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// rebuildMirror lays the mirror anew from the index.
func (st *store) rebuildMirror() error {
	root := filepath.Join(st.dir, mirrorDir)
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	if !st.mirror {
		return nil
	}
	type entry struct{ path, blob string }
	var entries []entry
	err := st.db.View(func(tx *bolt.Tx) error {
		objs := tx.Bucket(bktObjects)
		return objs.ForEachBucket(func(bucket []byte) error {
			os.MkdirAll(filepath.Join(root, string(bucket)), 0o755)
			return st.scanTx(objs.Bucket(bucket), func(key string, rec *objectRecord) {
				if p, ok := st.mirrorPath(string(bucket), key); ok {
					entries = append(entries, entry{p, rec.Blob})
				}
			})
		})
	})
	if err != nil {
		return err
	}
	for _, e := range entries {
		st.linkMirror(e.path, e.blob)
	}
	return nil
}
