package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// importer is what the copy writes to; *dynamostore.Store implements it.
type importer interface {
	Import(ctx context.Context, img *catalog.Image) (written bool, err error)
}

// copyJob copies src's rows, newest first, into dst.
type copyJob struct {
	src catalog.Store
	dst importer
	// start is the cursor to continue after, "" for the newest row.
	start string
	// limit stops the copy after that many rows (0: no limit), for copying in batches or to test resuming.
	limit int
	// pageSize is the source's page size, at most catalog.MaxListLimit.
	pageSize int
	// workers import one page's rows at once. A page is checkpointed only when all its rows are in, so the
	// order within a page does not matter.
	workers int
	// checkpoint, when set, is called with the cursor after each page that is in whole.
	checkpoint func(cursor string) error
	// progress is called with each row copied.
	progress func(written bool)
}

// stats are what a copy did.
type stats struct {
	read, written, skipped int
	// cursor is where the copy stopped: "" when it reached the oldest row, otherwise the cursor to resume from.
	cursor string
}

// errLimit ends a copy that reached its row limit.
var errLimit = errors.New("row limit reached")

// run copies page by page. A page is read with List (All, newest first) after the last checkpoint, and its rows
// are imported by the workers; when all are in, the cursor after the page is the new checkpoint. An interrupted
// copy therefore resumes at the start of the page it was in, and importing those rows again writes nothing
// (dynamostore.Store.Import skips rows that are already there as they are).
func (j *copyJob) run(ctx context.Context) (stats, error) {
	st := stats{cursor: j.start}
	cursor := j.start
	for {
		page, next, err := j.src.List(ctx, catalog.Query{All: true, Limit: j.pageSize, Cursor: cursor})
		if err != nil {
			return st, fmt.Errorf("read the source after %q: %w", cursor, err)
		}
		limited := false
		if j.limit > 0 && st.read+len(page) >= j.limit {
			page, limited = page[:j.limit-st.read], true
			if len(page) > 0 {
				next = catalog.CursorAt(&page[len(page)-1])
			}
		}
		done, written, err := j.importPage(ctx, page)
		st.read += done
		st.written += written
		st.skipped += done - written
		if err != nil {
			return st, err // st.cursor is still the start of this page
		}
		cursor, st.cursor = next, next
		if j.checkpoint != nil {
			if err := j.checkpoint(next); err != nil {
				return st, err
			}
		}
		switch {
		case limited && next != "":
			return st, errLimit
		case next == "":
			return st, nil
		}
	}
}

// importPage imports rows with the workers and returns how many were imported and how many of those written; on
// an error it stops handing out rows and returns the first error.
func (j *copyJob) importPage(ctx context.Context, rows []catalog.Image) (done, written int, err error) {
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	ch := make(chan *catalog.Image)
	for range max(1, j.workers) {
		wg.Go(func() {
			for img := range ch {
				w, err := j.dst.Import(ctx, img)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("import %s: %w", img.ID, err)
				}
				if err == nil {
					done++
					if w {
						written++
					}
					if j.progress != nil {
						j.progress(w)
					}
				}
				mu.Unlock()
			}
		})
	}
	for i := range rows {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		ch <- &rows[i]
	}
	close(ch)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return done, written, firstErr
}

// count counts the source's rows after cursor, for the progress bar's total.
func count(ctx context.Context, src catalog.Store, cursor string) (int, error) {
	n := 0
	for {
		page, next, err := src.List(ctx, catalog.Query{All: true, Limit: catalog.MaxListLimit, Cursor: cursor})
		if err != nil {
			return 0, fmt.Errorf("count the source's rows: %w", err)
		}
		n += len(page)
		if next == "" {
			return n, nil
		}
		cursor = next
	}
}

// readCheckpoint returns the cursor saved at path, "" when there is none yet.
func readCheckpoint(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	cursor := strings.TrimSpace(string(b))
	if cursor != "" {
		if _, err := catalog.DecodeCursor(cursor); err != nil {
			return "", fmt.Errorf("checkpoint %s: %w", path, err)
		}
	}
	return cursor, nil
}

// writeCheckpoint saves cursor at path through a rename, so an interruption leaves the old checkpoint or the new
// one, never half of one.
func writeCheckpoint(path, cursor string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(cursor + "\n"); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
