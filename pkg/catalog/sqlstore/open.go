package sqlstore

import (
	"context"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// Open opens the backend cfg selects and brings its schema up to date. Call it once per Lambda container, outside
// the handler (or through catalog.NewLazy), so warm invocations reuse the connection pool.
func Open(ctx context.Context, cfg Config) (catalog.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Each branch returns a nil interface on error, not a typed nil pointer that would compare non-nil.
	if cfg.Driver == DriverMySQL {
		s, err := OpenMySQL(ctx, cfg.MySQL)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	path := cfg.SQLitePath
	if path == "" {
		path = DefaultSQLitePath
	}
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		return nil, err
	}
	return s, nil
}
