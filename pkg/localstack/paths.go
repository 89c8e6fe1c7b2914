package localstack

import "path/filepath"

// ObjectPath returns where the local S3 server's browsable mirror shows key, so derivatives can be opened
// directly. Keys that are not path-safe (holding "..", "//" or a trailing slash) have no mirror entry.
func ObjectPath(dataDir, bucket, key string) string {
	return filepath.Join(dataDir, "s3", "files", bucket, filepath.FromSlash(key))
}
