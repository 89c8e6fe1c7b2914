package miniotest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Version is the pinned MinIO module version. MinIO no longer publishes
// community release binaries, so it is built from source; pinning keeps the
// notification format the tests rely on from changing under us.
const Version = "v0.0.0-20260212201848-7aac2a2c5b7c"

// module is MinIO's Go module path.
const module = "github.com/minio/minio"

// ErrNotInstalled means neither $MINIO_BIN nor the cached build exists.
var ErrNotInstalled = errors.New("miniotest: minio binary not installed (go run ./internal/miniotest/cmd/minio-install)")

// CachePath returns where Binary keeps the build:
// ${XDG_CACHE_HOME:-$HOME/.cache}/imgpipe-minio/<Version>/minio on Linux. The
// version in the path means bumping Version triggers a rebuild, and CI can
// cache the directory keyed on Version.
func CachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("miniotest: %w", err)
	}
	return filepath.Join(dir, "imgpipe-minio", Version, "minio"), nil
}

// Lookup returns $MINIO_BIN if set, else the cached build, without building
// anything. It returns ErrNotInstalled when there is no cached build, and
// another error when $MINIO_BIN names a file that is not there.
func Lookup() (string, error) {
	if p := os.Getenv("MINIO_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("miniotest: MINIO_BIN: %w", err)
		}
		return p, nil
	}
	p, err := CachePath()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%w: no %s", ErrNotInstalled, p)
		}
		return "", fmt.Errorf("miniotest: %w", err)
	}
	return p, nil
}

// Binary returns the path of a MinIO server binary: $MINIO_BIN if set, else
// the cached build at CachePath, building it first with
// go install github.com/minio/minio@Version if it is missing. The first build
// takes about three minutes.
func Binary(ctx context.Context) (string, error) {
	p, err := Lookup()
	if !errors.Is(err, ErrNotInstalled) {
		return p, err
	}
	dst, err := CachePath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("miniotest: %w", err)
	}
	// Build in a private directory beside the destination and rename into
	// place, so that concurrent builds (parallel test packages) cannot leave
	// a half-written binary behind. The directory is also the working
	// directory, which keeps go install away from our go.mod.
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".build-")
	if err != nil {
		return "", fmt.Errorf("miniotest: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", "install", module+"@"+Version)
	cmd.Dir = tmp
	// CGO_ENABLED=0 is how MinIO builds its releases, and means CI needs no
	// C toolchain.
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOWORK=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("miniotest: go install %s@%s: %w\n%s", module, Version, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "minio"), dst); err != nil {
		return "", fmt.Errorf("miniotest: %w", err)
	}
	return dst, nil
}
