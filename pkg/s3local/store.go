package s3local

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Index layout. bbolt keys are byte strings compared bytewise, which is exactly S3's listing order (UTF-8 byte
// order), and a 1,024-byte S3 key is far below bbolt's 32 KiB key limit, so an object key is stored as is.
var (
	bktBuckets = []byte("buckets") // bucket name → bucketRecord
	bktObjects = []byte("objects") // nested: bucket name → (key → objectRecord)
	bktUploads = []byte("uploads") // nested: upload ID → {"info" → uploadRecord, part number (4 bytes) → partRecord}
	keyInfo    = []byte("info")
)

type bucketRecord struct {
	Created time.Time `json:"created"`
}

// objectRecord is what the index keeps of an object. Blob names its immutable content file.
type objectRecord struct {
	Blob     string    `json:"blob"`
	Size     int64     `json:"size"`
	ETag     string    `json:"etag"` // unquoted
	MD5      string    `json:"md5"`  // hex MD5 of the content, which is the ETag of a single-part object
	Modified time.Time `json:"modified"`
	// PartSizes are the sizes of a multipart object's parts, for GET ?partNumber=.
	PartSizes []int64 `json:"partSizes,omitempty"`
	headerFields
}

// headerFields are the object's stored system and user metadata, answered back on GET and HEAD.
type headerFields struct {
	ContentType        string            `json:"contentType,omitempty"`
	ContentEncoding    string            `json:"contentEncoding,omitempty"`
	ContentDisposition string            `json:"contentDisposition,omitempty"`
	ContentLanguage    string            `json:"contentLanguage,omitempty"`
	CacheControl       string            `json:"cacheControl,omitempty"`
	Expires            string            `json:"expires,omitempty"`
	Meta               map[string]string `json:"meta,omitempty"`      // lower-case names without x-amz-meta-
	Checksums          map[string]string `json:"checksums,omitempty"` // "CRC32" → base64 value
}

type uploadRecord struct {
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	Initiated time.Time `json:"initiated"`
	headerFields
}

type partRecord struct {
	Blob     string    `json:"blob"`
	Size     int64     `json:"size"`
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
}

// store is the index plus the blob directory. mu orders blob removal after a commit against readers that looked
// a blob up and are about to open it: readers hold it shared from look-up to open, removers exclusively.
type store struct {
	dir      string
	db       *bolt.DB
	mu       sync.RWMutex
	noSync   bool
	mirror   bool       // keep the files/ view (mirror.go)
	mirrorMu sync.Mutex // serializes updates of the view
}

// openStore opens dir, creating its layout, and clears what an earlier crash left. bbolt locks the index file,
// so a second server on the same directory fails (after a short wait) instead of corrupting it.
func openStore(dir string, noSync, mirror bool) (*store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "blobs"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	db, err := bolt.Open(filepath.Join(dir, "index.db"), 0o644, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrDirInUse, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	db.NoSync = noSync
	st := &store{dir: dir, db: db, noSync: noSync, mirror: mirror}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktBuckets, bktObjects, bktUploads} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = st.collectGarbage()
	}
	if err == nil {
		err = st.rebuildMirror()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

func (st *store) close() error { return st.db.Close() }

// collectGarbage removes what a crash can leave behind: temporary files, and blobs renamed into place whose
// index commit never happened (or whose removal after an overwrite was cut short).
func (st *store) collectGarbage() error {
	os.RemoveAll(filepath.Join(st.dir, "tmp"))
	if err := os.MkdirAll(filepath.Join(st.dir, "tmp"), 0o755); err != nil {
		return err
	}
	live := map[string]bool{}
	err := st.db.View(func(tx *bolt.Tx) error {
		objs := tx.Bucket(bktObjects)
		err := objs.ForEachBucket(func(name []byte) error {
			return objs.Bucket(name).ForEach(func(_, v []byte) error {
				var rec objectRecord
				if err := json.Unmarshal(v, &rec); err != nil {
					return err
				}
				live[rec.Blob] = true
				return nil
			})
		})
		if err != nil {
			return err
		}
		ups := tx.Bucket(bktUploads)
		return ups.ForEachBucket(func(id []byte) error {
			return ups.Bucket(id).ForEach(func(k, v []byte) error {
				if bytes.Equal(k, keyInfo) {
					return nil
				}
				var p partRecord
				if err := json.Unmarshal(v, &p); err != nil {
					return err
				}
				live[p.Blob] = true
				return nil
			})
		})
	})
	if err != nil {
		return fmt.Errorf("read index: %w", err)
	}
	return filepath.WalkDir(filepath.Join(st.dir, "blobs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !live[d.Name()] {
			os.Remove(path)
		}
		return nil
	})
}

// blobPath is where blob id lives; two hex characters of fan-out keep directories small.
func (st *store) blobPath(id string) string {
	return filepath.Join(st.dir, "blobs", id[:2], id)
}

// newID names a blob or an upload: 128 random bits, so names never collide and never derive from a key.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// removeBlobs deletes blobs no longer referenced by the index. A failure only leaves garbage for the next start.
func (st *store) removeBlobs(ids ...string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, id := range ids {
		if id != "" {
			os.Remove(st.blobPath(id))
		}
	}
}

func objectsOf(tx *bolt.Tx, bucket string) (*bolt.Bucket, error) {
	b := tx.Bucket(bktObjects).Bucket([]byte(bucket))
	if b == nil {
		return nil, ErrNoSuchBucket
	}
	return b, nil
}

func getRecord(b *bolt.Bucket, key string) (*objectRecord, error) {
	v := b.Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	var rec objectRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("index record of %q: %w", key, err)
	}
	return &rec, nil
}

// head returns the record of bucket/key, or ErrNoSuchKey / ErrNoSuchBucket.
func (st *store) head(bucket, key string) (*objectRecord, error) {
	var rec *objectRecord
	err := st.db.View(func(tx *bolt.Tx) error {
		b, err := objectsOf(tx, bucket)
		if err != nil {
			return err
		}
		rec, err = getRecord(b, key)
		if err == nil && rec == nil {
			err = ErrNoSuchKey
		}
		return err
	})
	return rec, err
}

// open returns the record and an open handle on its content. The handle stays valid if the object is
// overwritten or deleted meanwhile (POSIX unlink semantics), so a GET always sees one whole version.
func (st *store) open(bucket, key string) (*objectRecord, *os.File, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	rec, err := st.head(bucket, key)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(st.blobPath(rec.Blob))
	if err != nil {
		return nil, nil, fmt.Errorf("open blob of %q: %w", key, err)
	}
	return rec, f, nil
}

// copyBlob gives a new blob with the content of bucket/key, after check accepted its record.
func (st *store) copyBlob(bucket, key string, check func(*objectRecord) error) (*objectRecord, string, error) {
	st.mu.RLock()
	rec, err := st.head(bucket, key)
	if err == nil {
		err = check(rec)
	}
	var id string
	if err == nil {
		id, err = st.linkBlobLocked(rec.Blob)
	}
	st.mu.RUnlock()
	return rec, id, err
}

// put makes rec the current version of bucket/key. check sees the current version (nil if none) inside the
// write transaction, so a conditional write is decided atomically with the write itself. The replaced blob is
// removed after the commit.
func (st *store) put(bucket, key string, rec *objectRecord, check func(old *objectRecord) error) (*objectRecord, error) {
	var old *objectRecord
	err := st.db.Update(func(tx *bolt.Tx) error {
		b, err := objectsOf(tx, bucket)
		if err != nil {
			return err
		}
		if old, err = checked(b, key, check); err != nil {
			return err
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), v)
	})
	if err != nil {
		return nil, err
	}
	if old != nil && old.Blob != rec.Blob {
		st.removeBlobs(old.Blob)
	}
	st.syncMirror(bucket, key)
	return old, nil
}

// checked reads the current version of key (nil if none) inside a write transaction and lets check, if any,
// refuse the write.
func checked(b *bolt.Bucket, key string, check func(old *objectRecord) error) (*objectRecord, error) {
	old, err := getRecord(b, key)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(old); err != nil {
			return nil, err
		}
	}
	return old, nil
}

// remove deletes bucket/key if check (given the current version, nil if none) allows it. It returns the removed
// version, nil if there was none.
func (st *store) remove(bucket, key string, check func(old *objectRecord) error) (*objectRecord, error) {
	var old *objectRecord
	err := st.db.Update(func(tx *bolt.Tx) error {
		b, err := objectsOf(tx, bucket)
		if err != nil {
			return err
		}
		if old, err = checked(b, key, check); err != nil {
			return err
		}
		if old == nil {
			return nil
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return nil, err
	}
	if old != nil {
		st.removeBlobs(old.Blob)
		st.syncMirror(bucket, key)
	}
	return old, nil
}

// scan calls fn for each key of bucket from the first key >= from, in byte order, until fn returns false. fn may
// ask to jump ahead by returning a non-nil seek, the next position to continue from.
func (st *store) scan(bucket string, from []byte, fn func(key []byte, rec *objectRecord) (more bool, seek []byte)) error {
	return st.db.View(func(tx *bolt.Tx) error {
		b, err := objectsOf(tx, bucket)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.Seek(from); k != nil; {
			var rec objectRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("index record of %q: %w", k, err)
			}
			more, seek := fn(k, &rec)
			if !more {
				return nil
			}
			if seek != nil {
				k, v = c.Seek(seek)
			} else {
				k, v = c.Next()
			}
		}
		return nil
	})
}

// scanTx calls fn for every object of the index bucket b.
func (st *store) scanTx(b *bolt.Bucket, fn func(key string, rec *objectRecord)) error {
	return b.ForEach(func(k, v []byte) error {
		var rec objectRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("index record of %q: %w", k, err)
		}
		fn(string(k), &rec)
		return nil
	})
}

// Buckets.

func (st *store) bucketExists(name string) (bool, error) {
	var ok bool
	err := st.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bktBuckets).Get([]byte(name)) != nil
		return nil
	})
	return ok, err
}

// createBucket creates name; it reports false if it already existed.
func (st *store) createBucket(name string, now time.Time) (bool, error) {
	created := false
	err := st.db.Update(func(tx *bolt.Tx) error {
		bs := tx.Bucket(bktBuckets)
		if bs.Get([]byte(name)) != nil {
			return nil
		}
		v, _ := json.Marshal(bucketRecord{Created: now.UTC()})
		if err := bs.Put([]byte(name), v); err != nil {
			return err
		}
		created = true
		_, err := tx.Bucket(bktObjects).CreateBucketIfNotExists([]byte(name))
		return err
	})
	if err == nil && st.mirror {
		os.MkdirAll(filepath.Join(st.dir, mirrorDir, name), 0o755)
	}
	return created, err
}

var errBucketNotEmpty = errorf(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")

func (st *store) deleteBucket(name string) error {
	err := st.db.Update(func(tx *bolt.Tx) error {
		b, err := objectsOf(tx, name)
		if err != nil {
			return err
		}
		if k, _ := b.Cursor().First(); k != nil {
			return errBucketNotEmpty
		}
		if err := tx.Bucket(bktObjects).DeleteBucket([]byte(name)); err != nil {
			return err
		}
		return tx.Bucket(bktBuckets).Delete([]byte(name))
	})
	if err == nil && st.mirror {
		os.Remove(filepath.Join(st.dir, mirrorDir, name))
	}
	return err
}

type bucketInfo struct {
	Name    string
	Created time.Time
}

func (st *store) listBuckets() ([]bucketInfo, error) {
	var out []bucketInfo
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktBuckets).ForEach(func(k, v []byte) error {
			var rec bucketRecord
			json.Unmarshal(v, &rec)
			out = append(out, bucketInfo{Name: string(k), Created: rec.Created})
			return nil
		})
	})
	return out, err
}
