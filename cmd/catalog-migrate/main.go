// Command catalog-migrate copies an image catalog from SQLite or MySQL (package sqlstore) into a DynamoDB table
// (package dynamostore), row by row exactly as stored: status, owner, origin and both times included.
//
//	catalog-migrate -from sqlite:catalog.db -table imgpipe-catalog -region eu-west-1
//	catalog-migrate -from 'mysql:user:pass@tcp(host:3306)/imgpipe' -table catalog -endpoint http://127.0.0.1:4567 -create-table
//
// It is idempotent: a row already in the table as it is (or newer there) is skipped, one the source changed since
// an earlier copy is replaced, so running it again writes only what changed. It is resumable: after every page the
// cursor it reached is saved to the -checkpoint file (and printed when it stops early), and a run finding the file
// continues from it; the file is removed when the copy is complete. The source is read newest first, so rows
// created in the source while a copy runs are not in it: run it again without a checkpoint at the switch-over, and
// it copies just those. Opening the source brings its schema up to date, as the functions would.
//
// Credentials come from the SDK's chain (AWS_PROFILE, the environment...); with -endpoint, static ones from
// DYNAMODB_ACCESS_KEY_ID and DYNAMODB_SECRET_ACCESS_KEY, "local" by default. -create-table needs
// dynamodb:CreateTable and DescribeTable, the copy itself dynamodb:PutItem on the table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/dynamostore"
	"github.com/imgpipe/imgpipe/pkg/catalog/sqlstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// run is the command, with its environment passed in for the tests. stdout gets the summary, stderr the progress
// bar and errors.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("catalog-migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "source catalog: sqlite:PATH or mysql:DSN (required)")
	table := fs.String("table", getenv("CATALOG_TABLE"), "DynamoDB table (default $CATALOG_TABLE)")
	endpoint := fs.String("endpoint", getenv("DYNAMODB_ENDPOINT"), "local DynamoDB endpoint, e.g. http://127.0.0.1:4567 (default $DYNAMODB_ENDPOINT)")
	region := fs.String("region", getenv("AWS_REGION"), "AWS region (default $AWS_REGION)")
	createTable := fs.Bool("create-table", false, "create the table and its indexes if missing, and wait until ACTIVE")
	checkpoint := fs.String("checkpoint", "catalog-migrate.checkpoint", "file keeping the cursor to resume from; empty for none")
	resume := fs.String("resume", "", "cursor to continue after (overrides the checkpoint file)")
	limit := fs.Int("limit", 0, "stop after this many rows, saving the checkpoint (0: copy everything)")
	pageSize := fs.Int("page", catalog.MaxListLimit, "rows read from the source per page")
	workers := fs.Int("workers", 8, "rows written to DynamoDB at once")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "catalog-migrate: "+format+"\n", a...)
		fs.Usage()
		return exitUsage
	}
	srcCfg, err := sourceConfig(*from)
	if err != nil {
		return usage("%v", err)
	}
	if *pageSize < 1 || *pageSize > catalog.MaxListLimit || *workers < 1 || *limit < 0 {
		return usage("-page must be 1..%d, -workers at least 1, -limit not negative", catalog.MaxListLimit)
	}
	dstCfg, err := dynamostore.ConfigFromEnv(func(k string) string {
		switch k {
		case "CATALOG_TABLE":
			return *table
		case "DYNAMODB_ENDPOINT":
			return *endpoint
		case "AWS_REGION":
			return *region
		}
		return getenv(k)
	})
	if err != nil {
		return usage("%v", err)
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "catalog-migrate:", err)
		return exitFailed
	}

	start := *resume
	if start == "" && *checkpoint != "" {
		if start, err = readCheckpoint(*checkpoint); err != nil {
			return fail(err)
		}
		if start != "" {
			fmt.Fprintf(stderr, "catalog-migrate: resuming after %s (from %s)\n", start, *checkpoint)
		}
	}
	if start != "" {
		if _, err := catalog.DecodeCursor(start); err != nil {
			return fail(fmt.Errorf("cursor %q: %w", start, err))
		}
	}

	if srcCfg.Driver == sqlstore.DriverSQLite {
		// OpenSQLite would create a missing file, and a mistyped path would copy an empty catalog.
		if _, err := os.Stat(srcCfg.SQLitePath); err != nil {
			return fail(fmt.Errorf("the source: %w", err))
		}
	}
	src, err := sqlstore.Open(ctx, srcCfg)
	if err != nil {
		return fail(fmt.Errorf("open the source: %w", err))
	}
	defer src.Close()
	client, err := dynamostore.NewClient(ctx, dstCfg)
	if err != nil {
		return fail(err)
	}
	if *createTable {
		if err := dynamostore.CreateTable(ctx, client, dstCfg.Table); err != nil {
			return fail(err)
		}
	}

	total, err := count(ctx, src, start)
	if err != nil {
		return fail(err)
	}
	if *limit > 0 {
		total = min(total, *limit)
	}
	barOut := stderr
	if *quiet {
		barOut = io.Discard
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(barOut), progressbar.OptionSetDescription("copying"),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionOnCompletion(func() { fmt.Fprintln(barOut) }))

	job := &copyJob{src: src, dst: dynamostore.New(client, dstCfg.Table), start: start, limit: *limit, pageSize: *pageSize,
		workers: *workers, progress: func(bool) { bar.Add(1) }}
	if *checkpoint != "" {
		job.checkpoint = func(cursor string) error { return writeCheckpoint(*checkpoint, cursor) }
	}
	st, err := job.run(ctx)
	bar.Finish()
	summary := fmt.Sprintf("%d rows read: %d written, %d already there", st.read, st.written, st.skipped)
	resumeHint := func() string {
		if st.cursor == "" {
			return "run again to start over"
		}
		if *checkpoint != "" {
			return fmt.Sprintf("run again to resume from %s (saved in %s)", st.cursor, *checkpoint)
		}
		return "resume with -resume " + st.cursor
	}
	switch {
	case err == nil:
		if *checkpoint != "" {
			if err := os.Remove(*checkpoint); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fail(err)
			}
		}
		fmt.Fprintf(stdout, "complete: %s\n", summary)
		return exitOK
	case errors.Is(err, errLimit):
		fmt.Fprintf(stdout, "stopped after %d rows (-limit): %s; %s\n", *limit, summary, resumeHint())
		return exitOK
	case ctx.Err() != nil:
		fmt.Fprintf(stdout, "interrupted: %s; %s\n", summary, resumeHint())
		return exitInterrupted
	}
	fmt.Fprintf(stdout, "failed: %s; %s\n", summary, resumeHint())
	return fail(err)
}

// sourceConfig parses -from.
func sourceConfig(from string) (sqlstore.Config, error) {
	kind, rest, _ := strings.Cut(from, ":")
	var cfg sqlstore.Config
	switch {
	case rest == "":
		return cfg, errors.New("-from must be sqlite:PATH or mysql:DSN")
	case kind == sqlstore.DriverSQLite:
		cfg = sqlstore.Config{Driver: sqlstore.DriverSQLite, SQLitePath: rest}
	case kind == sqlstore.DriverMySQL:
		cfg = sqlstore.Config{Driver: sqlstore.DriverMySQL, MySQL: sqlstore.MySQLConfig{DSN: rest}}
	default:
		return cfg, fmt.Errorf("-from %q: the source is sqlite:PATH or mysql:DSN", kind+":…")
	}
	return cfg, cfg.Validate()
}
