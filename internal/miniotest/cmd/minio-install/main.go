// Command minio-install builds the pinned MinIO server into the cache that
// miniotest uses, if it is not there yet, and prints its path. CI runs it
// before the tests so that they do not skip:
//
//	go run ./internal/miniotest/cmd/minio-install
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/imgpipe/imgpipe/internal/miniotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := miniotest.Lookup(); err != nil {
		fmt.Fprintf(os.Stderr, "building minio %s (takes a few minutes)...\n", miniotest.Version)
	}
	path, err := miniotest.Binary(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(path)
}
