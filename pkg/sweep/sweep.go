// Package sweep is the reconcile job that makes sure every acknowledged photo reaches ready, failed or expired. It
// runs on a schedule in AWS (the sweep function, on EventBridge) and in the local stack (at start, which is its
// crash recovery, and then every minute):
//
//   - a staging object older than StaleAfter was not processed (its event was lost, or failed for good and sits in
//     the dead-letter queue): it is re-driven by copying it onto itself, which S3 reports as a new ObjectCreated
//     event, so the resize function processes it with everything it already does (claims, quarantine);
//   - a pending direct upload whose URL expired more than ExpiryGrace ago and whose object never arrived becomes
//     expired; so does a pending multipart upload older than StaleAfter whose object is gone (the put failed and
//     so did its rollback);
//   - dead letters are drained: their objects are re-driven, or they are dropped when the object is gone (an earlier
//     redelivery finished the job).
//
// Every action is counted in EMF metrics, and the template alarms when anything had to be re-driven.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/metrics"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Objects is the part of the bucket the sweep uses.
type Objects interface {
	List(ctx context.Context, prefix string) ([]storage.ObjectInfo, error)
	Exists(ctx context.Context, key string) (bool, error)
	Touch(ctx context.Context, key string) error
}

// Catalog is the part of the catalog the sweep uses.
type Catalog interface {
	ListPending(ctx context.Context, before time.Time, limit int, cursor string) ([]catalog.Image, string, error)
	Expire(ctx context.Context, id, reason string) error
}

// DeadLetters are the resize events that failed for good (an SQS queue in AWS, a folder locally). Each is handed
// over as the staging key it was about, and is removed once done says so.
type DeadLetters interface {
	Drain(ctx context.Context, handle func(key string) error) (int, error)
}

var (
	_ Objects = (*storage.Bucket)(nil)
	_ Catalog = (catalog.Store)(nil)
)

// Config configures the sweep.
type Config struct {
	Layout layout.Layout
	// StaleAfter is how old an unprocessed staging object, or a pending upload without its object, must be before
	// the sweep acts on it: longer than an event can legitimately wait (Lambda retries an event for up to minutes,
	// and holds it longer when the function is throttled), so normal work is never re-driven.
	StaleAfter time.Duration
	// ExpiryGrace is how long after a direct upload's URL expires its row waits for a photo that was in flight.
	ExpiryGrace time.Duration
	// MaxRows bounds the pending rows one run looks at.
	MaxRows int
}

// Sweeper runs the sweep.
type Sweeper struct {
	Objects     Objects
	Catalog     Catalog
	DeadLetters DeadLetters // nil: none
	Config      Config
	Log         *slog.Logger
	Metrics     *metrics.Emitter
	Now         func() time.Time // time.Now when nil
}

// Report counts what one run did.
type Report struct {
	Redriven    int // staging objects re-driven
	Expired     int // pending rows expired
	DeadLetters int // dead letters drained
	Stuck       int // pending rows claimed by an object that is gone: logged for a person to look at
}

// Run sweeps once. Errors are collected, not fatal: one failure does not stop the rest of the sweep.
func (s *Sweeper) Run(ctx context.Context) (Report, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	var r Report
	var errs []error
	redriven := map[string]bool{}
	redrive := func(key string) error {
		if redriven[key] {
			return nil
		}
		err := s.Objects.Touch(ctx, key)
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrChanged) {
			return nil // processed meanwhile, or replaced by a photo with an event of its own
		}
		if err != nil {
			return err
		}
		redriven[key] = true
		r.Redriven++
		s.Log.Warn("re-driven: a staging object was never processed", "key", key)
		return nil
	}

	staged, err := s.Objects.List(ctx, s.Config.Layout.Staging)
	if err != nil {
		errs = append(errs, err)
	}
	for _, o := range staged {
		if !s.Config.Layout.InStaging(o.Key) || now.Sub(o.LastModified) < s.Config.StaleAfter {
			continue
		}
		if err := redrive(o.Key); err != nil {
			errs = append(errs, err)
		}
	}

	if s.DeadLetters != nil {
		n, err := s.DeadLetters.Drain(ctx, func(key string) error {
			if !s.Config.Layout.InStaging(key) {
				return nil
			}
			return redrive(key)
		})
		r.DeadLetters = n
		if err != nil {
			errs = append(errs, fmt.Errorf("dead letters: %w", err))
		}
	}

	if err := s.expire(ctx, now, &r); err != nil {
		errs = append(errs, err)
	}
	s.Log.Info("swept", "redriven", r.Redriven, "expired", r.Expired, "dead_letters", r.DeadLetters, "stuck", r.Stuck,
		"staged", len(staged))
	s.Metrics.Emit(map[string]string{"Function": "sweep"}, nil,
		metrics.Metric{Name: "Redriven", Unit: metrics.Count, Value: float64(r.Redriven)},
		metrics.Metric{Name: "Expired", Unit: metrics.Count, Value: float64(r.Expired)},
		metrics.Metric{Name: "DeadLetters", Unit: metrics.Count, Value: float64(r.DeadLetters)},
		metrics.Metric{Name: "Stuck", Unit: metrics.Count, Value: float64(r.Stuck)})
	return r, errors.Join(errs...)
}

// expire walks the pending rows, oldest first, and expires those whose photo will never come.
func (s *Sweeper) expire(ctx context.Context, now time.Time, r *Report) error {
	maxRows := s.Config.MaxRows
	if maxRows <= 0 {
		maxRows = 1000
	}
	before := now.Add(-min(s.Config.StaleAfter, s.Config.ExpiryGrace))
	cursor, seen := "", 0
	for seen < maxRows {
		page, next, err := s.Catalog.ListPending(ctx, before, catalog.MaxListLimit, cursor)
		if err != nil {
			return fmt.Errorf("list pending: %w", err)
		}
		for _, img := range page {
			seen++
			if err := s.settlePending(ctx, now, &img, r); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
	return nil
}

// settlePending decides one pending row. A row whose object is in staging is the re-drive's business.
func (s *Sweeper) settlePending(ctx context.Context, now time.Time, img *catalog.Image, r *Report) error {
	var reason string
	switch {
	case img.Origin == catalog.OriginDirect && !img.ExpiresAt.IsZero() && now.After(img.ExpiresAt.Add(s.Config.ExpiryGrace)):
		reason = "the upload URL expired before a photo arrived"
	case img.Origin == catalog.OriginUpload && now.Sub(img.CreatedAt) > s.Config.StaleAfter:
		reason = "the photo never arrived"
	default:
		return nil
	}
	if img.StagingKey != "" {
		ok, err := s.Objects.Exists(ctx, img.StagingKey)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	if img.SourceETag != "" {
		// Claimed by an object that is gone, yet never completed: not something to decide blindly.
		r.Stuck++
		s.Log.Error("a claimed upload's object is gone but the row is pending", "id", img.ID, "key", img.StagingKey)
		return nil
	}
	err := s.Catalog.Expire(ctx, img.ID, reason)
	if errors.Is(err, catalog.ErrConflict) || errors.Is(err, catalog.ErrNotFound) {
		return nil // processed, claimed or deleted since the listing
	}
	if err != nil {
		return fmt.Errorf("expire %s: %w", img.ID, err)
	}
	r.Expired++
	s.Log.Info("expired", "id", img.ID, "reason", reason, "origin", img.Origin)
	return nil
}
