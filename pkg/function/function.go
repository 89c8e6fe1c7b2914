package function

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/dynamostore"
	"github.com/imgpipe/imgpipe/pkg/catalog/sqlstore"
	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/metrics"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Options are what differs between Lambda and the local stack. The zero value is Lambda's: JSON logs and EMF
// records on stdout, which CloudWatch reads.
type Options struct {
	// Log replaces the JSON logger on stdout; the function's name is added to it.
	Log *slog.Logger
	// Metrics replaces the EMF emitter on stdout.
	Metrics *metrics.Emitter
	// DiscardMetrics drops the EMF records (the local stack prints them only when asked).
	DiscardMetrics bool
}

// Logger is the function's logger: Options.Log, or JSON on stdout at level, tagged with the function's name.
func (o Options) Logger(function string, level slog.Level) *slog.Logger {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
	}
	return log.With("function", function)
}

// Emitter is where the function's EMF records go.
func (o Options) Emitter() *metrics.Emitter {
	switch {
	case o.DiscardMetrics:
		return metrics.New(io.Discard, "ImagePipeline")
	case o.Metrics != nil:
		return o.Metrics
	}
	return metrics.New(os.Stdout, "ImagePipeline")
}

// Clients are the long-lived dependencies every function builds once per Lambda container, outside the handler,
// so warm invocations reuse the S3 connections and the database pool.
type Clients struct {
	Bucket  *storage.Bucket
	Catalog *catalog.Lazy
}

// Connect builds the bucket and the catalog. The catalog opens on first use, so a cold start while the database is
// down still answers (a 503, or an error Lambda retries) instead of failing to start.
func Connect(ctx context.Context, c config.Common, getenv func(string) string) (*Clients, error) {
	setMemoryLimit(getenv)
	client, err := storage.NewClient(ctx, c.Storage)
	if err != nil {
		return nil, err
	}
	open, err := catalogOpener(c.CatalogDriver, getenv)
	if err != nil {
		return nil, err
	}
	return &Clients{Bucket: storage.NewBucket(client, c.Storage.Bucket), Catalog: catalog.NewLazy(open)}, nil
}

// DriverDynamoDB is CATALOG_DRIVER's value for the DynamoDB catalog.
const DriverDynamoDB = "dynamodb"

// catalogOpener reads the chosen backend's own settings, reporting their mistakes now, and returns how to open it.
func catalogOpener(driver string, getenv func(string) string) (func(context.Context) (catalog.Store, error), error) {
	switch driver {
	case sqlstore.DriverSQLite, sqlstore.DriverMySQL:
		cfg, err := sqlstore.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (catalog.Store, error) { return sqlstore.Open(ctx, cfg) }, nil
	case DriverDynamoDB:
		cfg, err := dynamostore.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (catalog.Store, error) { return dynamostore.Open(ctx, cfg) }, nil
	}
	return nil, fmt.Errorf("CATALOG_DRIVER=%q: want dynamodb, mysql or sqlite", driver)
}

// setMemoryLimit gives the Go runtime a soft memory limit of 7/8 of the Lambda function's memory
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE), unless GOMEMLIMIT sets one. Without it the collector lets the heap grow to
// twice what is live before collecting, and a decode's discarded buffers could push a function that fits its
// budget (package budget) over its memory; with it the collector works harder as the limit nears instead.
func setMemoryLimit(getenv func(string) string) {
	mb, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	if err != nil || mb <= 0 || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(int64(mb) << 20 * 7 / 8)
}
