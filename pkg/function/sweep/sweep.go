// Package sweep builds the sweep function (the reconcile job, package pkg/sweep) from its environment.
package sweep

import (
	"context"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/sweep"
)

// Function is the sweep function, built.
type Function struct {
	Config  config.Sweep
	Sweeper *sweep.Sweeper
	close   func() error
}

// New builds the sweep function from its environment. With DLQ_URL set it drains that SQS queue too.
func New(ctx context.Context, getenv func(string) string, o function.Options) (*Function, error) {
	cfg, err := config.LoadSweep(getenv)
	if err != nil {
		return nil, err
	}
	c, err := function.Connect(ctx, cfg.Common, getenv)
	if err != nil {
		return nil, err
	}
	s := &sweep.Sweeper{Objects: c.Bucket, Catalog: c.Catalog, Log: o.Logger("sweep", cfg.LogLevel), Metrics: o.Emitter(),
		Config: sweep.Config{Layout: cfg.Layout, StaleAfter: cfg.StaleAfter, ExpiryGrace: cfg.ExpiryGrace}}
	if cfg.DLQURL != "" {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Storage.Region))
		if err != nil {
			return nil, err
		}
		s.DeadLetters = sweep.SQSQueue{Client: sqs.NewFromConfig(awsCfg), URL: cfg.DLQURL}
	}
	return &Function{Config: cfg, Sweeper: s, close: c.Catalog.Close}, nil
}

// Handle runs one sweep; a scheduled invocation passes its EventBridge event, which says nothing the sweep needs.
// An error makes the invocation fail, which the template's alarm on the function's errors reports.
func (f *Function) Handle(ctx context.Context) (sweep.Report, error) { return f.Sweeper.Run(ctx) }

// Close releases the catalog.
func (f *Function) Close() error { return f.close() }
