package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// MySQL is the catalog.Store on MySQL or Aurora MySQL (RDS), normally reached
// through RDS Proxy; the tests run it against MariaDB.
type MySQL struct {
	*store
}

var _ catalog.Store = (*MySQL)(nil)

// MySQL error numbers the store branches on.
const (
	mysqlErrDuplicateEntry = 1062
	mysqlErrLockWait       = 1205
	mysqlErrDeadlock       = 1213
)

// migrationLockWait is how long a cold start waits, in seconds, for another
// container that is migrating the same database.
const migrationLockWait = 30

// OpenMySQL connects to the database cfg describes, checks that it answers,
// and brings its schema up to date. It fails, rather than retrying, when the
// database is unreachable: in Lambda that fails the cold start, which Lambda
// itself retries, and the dial and read timeouts keep it from hanging.
func OpenMySQL(ctx context.Context, cfg MySQLConfig) (*MySQL, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	dc, err := cfg.driverConfig()
	if err != nil {
		return nil, err
	}
	connector, err := mysql.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: mysql config: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxIdleConns)
	db.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	db.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)

	s := &MySQL{&store{db: db, d: dialect{
		name:        "mysql",
		forUpdate:   " FOR UPDATE",
		isDuplicate: func(err error) bool { return mysqlErrorIs(err, mysqlErrDuplicateEntry) },
		// Two transactions writing one new id can deadlock on InnoDB's gap
		// locks, or, at READ COMMITTED, both find no row and collide on the
		// insert; rerunning the transaction is the documented fix, and the
		// second run finds the first one's row.
		isRetryable: func(err error) bool {
			return mysqlErrorIs(err, mysqlErrDeadlock) || mysqlErrorIs(err, mysqlErrLockWait) ||
				mysqlErrorIs(err, mysqlErrDuplicateEntry)
		},
	}}}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: connect to mysql %s: %w", dc.Addr, err)
	}
	if err := migrateMySQL(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func mysqlErrorIs(err error, number uint16) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == number
}

// driverConfig turns cfg into the driver's config. A few settings are forced
// whatever the DSN says, because the store's correctness depends on them.
func (c MySQLConfig) driverConfig() (*mysql.Config, error) {
	var dc *mysql.Config
	if c.DSN != "" {
		var err error
		if dc, err = mysql.ParseDSN(c.DSN); err != nil {
			return nil, fmt.Errorf("sqlstore: mysql DSN: %w", err)
		}
	} else {
		dc = mysql.NewConfig()
		dc.Net = "tcp"
		dc.Addr = net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
		dc.User = c.User
		dc.Passwd = c.Password
		dc.DBName = c.Database
		dc.TLSConfig = c.TLS
	}
	// Times are written as UTC text and read as UTC; the store never uses
	// NOW(), so the server's time_zone does not matter.
	dc.ParseTime = true
	dc.Loc = time.UTC
	// Without interpolation the driver prepares every statement that has
	// parameters on the server (prepare, execute, close: two extra round
	// trips), and behind RDS Proxy a server-side prepared statement pins the
	// client connection to one database connection until it closes, which
	// defeats the multiplexing that lets many Lambda containers share a few
	// database connections. The driver escapes the values itself and refuses
	// to interpolate under the few charsets where that is ambiguous.
	dc.InterpolateParams = true
	// No charset parameter either: it would send SET NAMES on every new
	// connection, and the handshake already asks for utf8mb4 (the driver's
	// default collation is utf8mb4_general_ci), so no statement changes
	// session state that the proxy would have to track.
	if dc.Timeout == 0 {
		dc.Timeout = c.DialTimeout
	}
	if dc.ReadTimeout == 0 {
		dc.ReadTimeout = c.ReadTimeout
	}
	if dc.WriteTimeout == 0 {
		dc.WriteTimeout = c.WriteTimeout
	}
	if dc.DBName == "" {
		return nil, errors.New("sqlstore: mysql DSN names no database")
	}
	return dc, nil
}

// migrateMySQL runs the steps under a named lock, since MySQL's DDL commits
// implicitly and a transaction cannot make two cold starts take turns. The
// lock is session state, which pins the connection behind RDS Proxy, so the
// connection is closed afterwards rather than returned to the pool. Only a
// start that finds the schema out of date gets this far.
func migrateMySQL(ctx context.Context, db *sql.DB) error {
	if upToDate(ctx, db, mysqlMigrations) {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migration connection: %w", err)
	}
	defer func() {
		// Returning driver.ErrBadConn from Raw makes database/sql close the
		// connection instead of pooling it; that also drops the lock if
		// RELEASE_LOCK did not run.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()

	// Lock names are server-wide, so the database name is part of it; 64
	// characters is the limit.
	const lockName = "LEFT(CONCAT('imgpipe_catalog_migrate:', DATABASE()), 64)"
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+lockName+", ?)", migrationLockWait).Scan(&got); err != nil {
		return fmt.Errorf("sqlstore: take migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("sqlstore: migration lock not granted within %ds", migrationLockWait)
	}
	if err := applyMigrations(ctx, conn, mysqlVersionTable, mysqlMigrations); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "DO RELEASE_LOCK("+lockName+")"); err != nil {
		return fmt.Errorf("sqlstore: release migration lock: %w", err)
	}
	return nil
}
