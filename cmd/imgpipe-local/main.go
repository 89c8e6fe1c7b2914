// Command imgpipe-local runs the whole pipeline on 127.0.0.1 with nothing installed and no cloud account: an S3
// server with objects on disk, the image API behind a local API Gateway, S3 notifications that invoke the resize
// handler, and a SQLite catalog. `make run` starts it. Configuration comes from the same environment variables
// as the Lambda functions.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/localstack"
	"github.com/imgpipe/imgpipe/pkg/metrics"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "imgpipe-local:", err)
		os.Exit(1)
	}
}

func run() error {
	dataDir := flag.String("data", "data", "directory for objects, the catalog and dead letters")
	apiAddr := flag.String("api", "127.0.0.1:8080", "address of the local API Gateway")
	s3Addr := flag.String("s3", "127.0.0.1:9000", "address of the local S3 server")
	payload := flag.Int("payload", 1, "API Gateway payload format to emit: 1 (REST API) or 2 (HTTP API)")
	emf := flag.Bool("metrics", false, "print the resize function's CloudWatch EMF records too")
	flag.Parse()
	if *payload != 1 && *payload != 2 {
		return fmt.Errorf("-payload must be 1 or 2")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	var em *metrics.Emitter
	if *emf {
		em = metrics.New(os.Stdout, "ImagePipeline")
	}
	st, err := localstack.Start(ctx, localstack.Options{DataDir: *dataDir, APIAddr: *apiAddr, S3Addr: *s3Addr,
		Payload: apigw.Version(*payload), Getenv: os.Getenv, Log: log, Metrics: em})
	if err != nil {
		return err
	}
	defer st.Close()
	abs, _ := filepath.Abs(*dataDir)
	fmt.Fprintf(os.Stderr, `
imgpipe local stack is running (Ctrl-C stops it)
  image API      %[1]s/images            (API Gateway payload format %[2]d)
  S3 endpoint    %[3]s                   bucket %[4]q, path-style, any credentials
  objects        %[5]s
  catalog        %[6]s
  dead letters   %[7]s

  upload:        curl -F file=@photo.jpg -F caption=hello %[1]s/images
  status:        curl %[1]s/images/<id>
  console path:  aws --endpoint-url %[3]s s3 cp photo.jpg s3://%[4]s/%[8]sphoto.jpg
  derivatives:   %[9]s

`, st.APIURL, *payload, st.S3URL, st.Bucket, filepath.Join(abs, "s3", "buckets", st.Bucket),
		st.CatalogPath, filepath.Join(abs, "dlq"), st.Upload.Config.Layout.Staging,
		localstack.ObjectPath(abs, st.Bucket, st.Upload.Config.Layout.Output+"<id>/<width>.jpg"))
	<-ctx.Done()
	return nil
}
