// Command imgpipe-local runs the whole pipeline on 127.0.0.1 with nothing installed and no cloud account: an S3
// server with objects on disk, the image API behind a local API Gateway that verifies bearer tokens as the deployed
// authorizer does, S3 notifications that invoke the resize handler, and a SQLite catalog. `make run` starts it.
// Configuration comes from the same environment variables as the Lambda functions.
//
//	imgpipe-local [flags]                     run the stack
//	imgpipe-local [flags] token NAME [-admin] print a token for user NAME, signed with the stack's key in -data
//	imgpipe-local [flags] sign PATH -d WxH    print a signed URL of the local CDN, with the stack's signing key
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/imgurl"
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
	dataDir := flag.String("data", "data", "directory for objects, the catalog, the signing key and dead letters")
	apiAddr := flag.String("api", "127.0.0.1:8080", "address of the local API Gateway")
	s3Addr := flag.String("s3", "127.0.0.1:9000", "address of the local S3 server")
	cdnAddr := flag.String("cdn", "127.0.0.1:8081", "address of the local CDN (CloudFront) in front of the serve function; off for none")
	payload := flag.Int("payload", 1, "API Gateway payload format to emit: 1 (REST API) or 2 (HTTP API)")
	authMode := flag.String("auth", "local", "local (bearer tokens signed with the key in -data, as `token` prints) or none (an open API)")
	emf := flag.Bool("metrics", false, "print the resize function's CloudWatch EMF records too")
	flag.Parse()
	switch flag.Arg(0) {
	case "token":
		return token(*dataDir, flag.Args()[1:])
	case "sign":
		return sign(*dataDir, *cdnAddr, flag.Args()[1:])
	case "":
	default:
		return fmt.Errorf("unknown command %q; the commands are token and sign", flag.Arg(0))
	}
	if *payload != 1 && *payload != 2 {
		return fmt.Errorf("-payload must be 1 or 2")
	}
	if *authMode != "local" && *authMode != "none" {
		return fmt.Errorf("-auth must be local or none")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	var em *metrics.Emitter
	if *emf {
		em = metrics.New(os.Stdout, "ImagePipeline")
	}
	if *cdnAddr == "off" {
		*cdnAddr = ""
	}
	st, err := localstack.Start(ctx, localstack.Options{DataDir: *dataDir, APIAddr: *apiAddr, S3Addr: *s3Addr, CDNAddr: *cdnAddr,
		Payload: apigw.Version(*payload), Getenv: os.Getenv, Log: log, Metrics: em, NoAuth: *authMode == "none"})
	if err != nil {
		return err
	}
	defer st.Close()
	abs, _ := filepath.Abs(*dataDir)
	authLine, header := "none: the API is open (-auth none)", ""
	if st.Issuer != nil {
		tok, err := st.Issuer.Mint("local-user", false, 24*time.Hour)
		if err != nil {
			return err
		}
		authLine = fmt.Sprintf("bearer tokens; a ready one for local-user (24 h; `make token USER=alice` for others):\n"+
			"                 export TOKEN=%s", tok)
		header = `-H "Authorization: Bearer $TOKEN" `
	}
	cdnLine := "off (-cdn off)"
	if st.CDNURL != "" {
		cdnLine = st.CDNURL + "/<id>.webp?d=320x240   (CloudFront in front of the serve function)\n" +
			"  on demand:     curl -sD- -o small.webp " + st.CDNURL + "/<id>.webp?d=320x240\n" +
			"                 (sizes: ALLOWED_SIZES; others need a signed URL: go run ./cmd/imgpipe-local sign /<id>.jpg -d 333x333)"
	}
	fmt.Fprintf(os.Stderr, `
imgpipe local stack is running (Ctrl-C stops it)
  image API      %[1]s/images            (API Gateway payload format %[2]d)
  images (CDN)   %[12]s
  S3 endpoint    %[3]s                   bucket %[4]q, path-style, signed with key local / secret local
  objects        %[5]s
  catalog        %[6]s
  dead letters   %[7]s
  auth           %[10]s

  upload:        curl %[11]s-F file=@photo.jpg -F caption=hello %[1]s/images
  status:        curl %[11]s%[1]s/images/<id>
  console path:  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url %[3]s s3 cp photo.jpg s3://%[4]s/%[8]sphoto.jpg
  derivatives:   %[9]s

`, st.APIURL, *payload, st.S3URL, st.Bucket, localstack.ObjectPath(abs, st.Bucket, ""),
		st.CatalogPath, filepath.Join(abs, "dlq"), st.Upload.Config.Layout.Staging,
		localstack.ObjectPath(abs, st.Bucket, st.Upload.Config.Layout.Output+"<id>/<width>.jpg"), authLine, header, cdnLine)
	<-ctx.Done()
	return nil
}

// token prints a token for a local user, signed with the key the stack keeps in dataDir (created if missing, so a
// token can be had before the first start).
func token(dataDir string, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	admin := fs.Bool("admin", false, "put the user in the admin group, which sees and deletes every image")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	name := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		return fmt.Errorf("usage: imgpipe-local [-data DIR] token NAME [-admin] [-ttl 24h]")
	}
	iss, err := localstack.LocalIssuer(dataDir)
	if err != nil {
		return err
	}
	tok, err := iss.Mint(name, *admin, *ttl)
	if err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}

// sign prints a signed URL for the local CDN, with the signing key the stack keeps in dataDir (or SIGNING_KEY).
func sign(dataDir, cdnAddr string, args []string) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	size := fs.String("d", "", "the size, WxH (0 on one side leaves it free)")
	fit := fs.String("fit", "", "cover (the default), inside or contain")
	ttl := fs.Duration("ttl", 0, "how long the URL works (0: for ever)")
	path := ""
	if len(args) > 0 && strings.HasPrefix(args[0], "/") {
		path, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || path == "" {
		return fmt.Errorf("usage: imgpipe-local [-data DIR] sign /<id>.jpg -d WxH [-fit inside] [-ttl 1h]")
	}
	key := os.Getenv("SIGNING_KEY")
	if key == "" {
		var err error
		if key, err = localstack.SigningKey(dataDir); err != nil {
			return err
		}
	}
	var exp time.Time
	if *ttl > 0 {
		exp = time.Now().Add(*ttl)
	}
	fmt.Println(imgurl.SignedURL([]byte(key), "http://"+cdnAddr, path, w, h, *fit, exp))
	return nil
}
