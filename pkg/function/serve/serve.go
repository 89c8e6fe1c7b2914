// Package serve builds the serve function (on-demand delivery) from its environment, and the Lambda handler that
// answers both of its callers.
package serve

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/serve"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// BufferedLimit is the largest image a buffered (API Gateway) response carries: 6 MB of payload, less the base64
// that API Gateway's binary support costs, less room for the headers. Larger renders answer 302.
const BufferedLimit = 4_400_000

// Function is the serve function, built.
type Function struct {
	Config  config.Serve
	Bucket  *storage.Bucket
	Catalog catalog.Store
	Server  *serve.Server
	// Handler is the serve routes as an http.Handler (the local CDN and the local API call it directly).
	Handler http.Handler
}

// New builds the serve function from its environment.
func New(ctx context.Context, getenv func(string) string, o function.Options) (*Function, error) {
	cfg, err := config.LoadServe(getenv)
	if err != nil {
		return nil, err
	}
	c, err := function.Connect(ctx, cfg.Common, getenv)
	if err != nil {
		return nil, err
	}
	sizes := make([]serve.Size, len(cfg.AllowedSizes))
	for i, s := range cfg.AllowedSizes {
		sizes[i] = serve.Size{Width: s[0], Height: s[1]}
	}
	var key []byte
	if cfg.SigningKey != "" {
		key = []byte(cfg.SigningKey)
	}
	srv := &serve.Server{Objects: c.Bucket, Catalog: c.Catalog, Log: o.Logger("serve", cfg.LogLevel), Metrics: o.Emitter(),
		Config: serve.Config{
			Layout:          cfg.Layout,
			SourcePrefix:    cfg.SourcePrefix,
			AllowedSizes:    sizes,
			SigningKey:      key,
			MaxResultPixels: cfg.MaxResultPixels,
			Limits:          cfg.Limits,
			MaxSourceBytes:  cfg.MaxSourceBytes,
			JPEGQuality:     cfg.JPEGQuality,
			WebPQuality:     cfg.WebPQuality,
			URLTTL:          cfg.URLTTL,
			Auth:            auth.Config{Required: cfg.AuthMode != "none", GroupsClaim: cfg.GroupsClaim, AdminGroup: cfg.AdminGroup},
			BufferedLimit:   BufferedLimit,
			CORSOrigins:     cfg.CORSOrigins,
		}}
	return &Function{Config: cfg, Bucket: c.Bucket, Catalog: c.Catalog, Server: srv, Handler: srv.Handler()}, nil
}

// Close releases the catalog.
func (f *Function) Close() error { return f.Catalog.Close() }

// LambdaHandler answers both callers of the one function: a Function URL event (CloudFront's origin, invoke mode
// RESPONSE_STREAM) gets a streamed response of raw bytes; any API Gateway event (GET /images/{id}/content on the
// image API) gets the buffered, base64 response package apigw builds.
func LambdaHandler(h http.Handler) func(context.Context, json.RawMessage) (any, error) {
	url := lambdaurl.Wrap(h)
	gw := apigw.Handler(h)
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		if IsFunctionURLEvent(raw) {
			var ev events.LambdaFunctionURLRequest
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, err
			}
			return url(ctx, &ev)
		}
		return gw(ctx, raw)
	}
}

// IsFunctionURLEvent tells a Function URL event from API Gateway's: both may say version 2.0 and route $default,
// but only a Function URL's request context names a lambda-url domain (CloudFront in front does not change it).
func IsFunctionURLEvent(raw json.RawMessage) bool {
	var probe struct {
		RequestContext struct {
			DomainName string `json:"domainName"`
			HTTP       *struct {
				Method string `json:"method"`
			} `json:"http"`
		} `json:"requestContext"`
	}
	if json.Unmarshal(raw, &probe) != nil || probe.RequestContext.HTTP == nil {
		return false
	}
	return strings.Contains(probe.RequestContext.DomainName, ".lambda-url.")
}
