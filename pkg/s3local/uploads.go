package s3local

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Multipart uploads in the index: one nested bucket per upload ID, holding the upload's record under "info"
// and each part under its number (4 bytes big-endian, so parts sort by number).

var errNoUpload = fmt.Errorf("s3local: no such upload")

func partKey(n int) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n))
	return b[:]
}

// createUpload records a new upload; the bucket must exist.
func (st *store) createUpload(id string, rec *uploadRecord) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		if _, err := objectsOf(tx, rec.Bucket); err != nil {
			return err
		}
		b, err := tx.Bucket(bktUploads).CreateBucket([]byte(id))
		if err != nil {
			return err
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put(keyInfo, v)
	})
}

func uploadOf(tx *bolt.Tx, id string) (*bolt.Bucket, *uploadRecord, error) {
	b := tx.Bucket(bktUploads).Bucket([]byte(id))
	if b == nil {
		return nil, nil, errNoUpload
	}
	var rec uploadRecord
	if err := json.Unmarshal(b.Get(keyInfo), &rec); err != nil {
		return nil, nil, fmt.Errorf("upload %s: %w", id, err)
	}
	return b, &rec, nil
}

// upload returns the record of upload id, or errNoUpload.
func (st *store) upload(id string) (*uploadRecord, error) {
	var rec *uploadRecord
	err := st.db.View(func(tx *bolt.Tx) (err error) {
		_, rec, err = uploadOf(tx, id)
		return err
	})
	return rec, err
}

// putPart records part n of upload id, replacing (and removing the blob of) an earlier upload of that part.
func (st *store) putPart(id string, n int, p *partRecord) error {
	var old partRecord
	err := st.db.Update(func(tx *bolt.Tx) error {
		b, _, err := uploadOf(tx, id)
		if err != nil {
			return err
		}
		if v := b.Get(partKey(n)); v != nil {
			json.Unmarshal(v, &old)
		}
		v, err := json.Marshal(p)
		if err != nil {
			return err
		}
		return b.Put(partKey(n), v)
	})
	if err != nil {
		return err
	}
	st.removeBlobs(old.Blob)
	return nil
}

type numberedPart struct {
	Number int
	partRecord
}

// parts returns upload id and its parts, by part number.
func (st *store) parts(id string) (*uploadRecord, []numberedPart, error) {
	var rec *uploadRecord
	var out []numberedPart
	err := st.db.View(func(tx *bolt.Tx) error {
		b, r, err := uploadOf(tx, id)
		if err != nil {
			return err
		}
		rec = r
		return b.ForEach(func(k, v []byte) error {
			if bytes.Equal(k, keyInfo) { // "info" is 4 bytes too: test the name, not the length
				return nil
			}
			var p partRecord
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, numberedPart{int(binary.BigEndian.Uint32(k)), p})
			return nil
		})
	})
	return rec, out, err
}

// dropUpload removes upload id from the index and then every blob of its parts.
func (st *store) dropUpload(id string) error {
	_, parts, err := st.parts(id)
	if err != nil {
		return err
	}
	err = st.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bktUploads).DeleteBucket([]byte(id))
	})
	if err != nil {
		if err == bolt.ErrBucketNotFound {
			return errNoUpload
		}
		return err
	}
	for _, p := range parts {
		st.removeBlobs(p.Blob)
	}
	return nil
}

type uploadInfo struct {
	ID string
	uploadRecord
}

// uploads lists the uploads in progress in bucket, by key then initiation time, as S3 orders them.
func (st *store) uploads(bucket string) ([]uploadInfo, error) {
	var out []uploadInfo
	err := st.db.View(func(tx *bolt.Tx) error {
		ups := tx.Bucket(bktUploads)
		return ups.ForEachBucket(func(id []byte) error {
			_, rec, err := uploadOf(tx, string(id))
			if err != nil {
				return err
			}
			if rec.Bucket == bucket {
				out = append(out, uploadInfo{string(id), *rec})
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Initiated.Before(out[j].Initiated)
	})
	return out, err
}
