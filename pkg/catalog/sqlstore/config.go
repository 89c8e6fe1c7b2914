package sqlstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Driver names for Config.Driver.
const (
	DriverSQLite = "sqlite"
	DriverMySQL  = "mysql"
)

// Defaults applied by Open and ConfigFromEnv.
const (
	// DefaultSQLitePath is relative to the working directory. In Lambda,
	// where only /tmp is writable, set CATALOG_SQLITE_PATH=/tmp/catalog.db.
	DefaultSQLitePath = "catalog.db"
	// DefaultMySQLPort is MySQL's and RDS Proxy's port.
	DefaultMySQLPort = 3306
	// DefaultMaxOpenConns is small because a Lambda container handles one
	// event at a time, and hundreds of containers times a large pool would
	// exhaust the database's (or the proxy's) connection limit.
	DefaultMaxOpenConns = 2
	// DefaultConnMaxLifetime bounds how long a connection is reused, so
	// that after a failover the pool reaches the new writer within minutes.
	DefaultConnMaxLifetime = 5 * time.Minute
	// DefaultConnMaxIdleTime drops connections left idle while the
	// container was frozen between invocations, so the next invocation
	// does not start by writing to a socket the server has closed.
	DefaultConnMaxIdleTime = time.Minute
	// DefaultMySQLTimeout is the dial, read and write timeout: a database
	// that is down makes an invocation fail in seconds instead of using up
	// its whole Lambda timeout.
	DefaultMySQLTimeout = 5 * time.Second
)

// Config selects and configures a backend for Open.
type Config struct {
	// Driver is DriverSQLite (the default when empty) or DriverMySQL.
	Driver string
	// SQLitePath is the SQLite file, or ":memory:"; DefaultSQLitePath when
	// empty.
	SQLitePath string
	// MySQL is used when Driver is DriverMySQL.
	MySQL MySQLConfig
}

// MySQLConfig says how to reach MySQL: either DSN, or Host, User, Database
// and optionally Port, Password and TLS. Zero pool and timeout values take the
// Default* constants, which suit Lambda.
type MySQLConfig struct {
	// DSN is a github.com/go-sql-driver/mysql DSN such as
	// "user:pass@tcp(proxy.example:3306)/imgpipe". When set, Host, Port,
	// User, Password, Database and TLS are ignored. parseTime, loc and
	// interpolateParams are forced on whatever it says; see OpenMySQL.
	DSN string

	Host     string
	Port     int // DefaultMySQLPort when 0
	User     string
	Password string
	Database string
	// TLS is the driver's tls parameter: "" (off), "true", "skip-verify",
	// "preferred", or a name registered with mysql.RegisterTLSConfig. RDS
	// Proxy can be set to require it.
	TLS string

	MaxOpenConns    int           // DefaultMaxOpenConns when 0
	MaxIdleConns    int           // MaxOpenConns when 0
	ConnMaxLifetime time.Duration // DefaultConnMaxLifetime when 0
	ConnMaxIdleTime time.Duration // DefaultConnMaxIdleTime when 0
	DialTimeout     time.Duration // DefaultMySQLTimeout when 0
	ReadTimeout     time.Duration // DefaultMySQLTimeout when 0
	WriteTimeout    time.Duration // DefaultMySQLTimeout when 0
}

// ConfigFromEnv reads a Config through getenv (os.Getenv in main, a map in
// tests), collecting every problem, and validates it. The variables are:
//
//	CATALOG_DRIVER       "sqlite" (default) or "mysql"
//	CATALOG_SQLITE_PATH  SQLite file (default "catalog.db"; use /tmp/... in Lambda)
//	CATALOG_DSN          MySQL DSN; when set, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME and DB_TLS are ignored
//	DB_HOST              MySQL or RDS Proxy endpoint (mysql without CATALOG_DSN)
//	DB_PORT              port (default 3306)
//	DB_USER              user (mysql without CATALOG_DSN)
//	DB_PASSWORD          password (may be empty)
//	DB_NAME              database (mysql without CATALOG_DSN)
//	DB_TLS               driver tls parameter: "", "true", "skip-verify", "preferred"
//	DB_MAX_OPEN_CONNS    connection pool size (default 2; also the idle pool size)
//
// The DB_* variables are read even with CATALOG_DSN set, so that a typo in
// DB_MAX_OPEN_CONNS is reported in either case.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	cfg := Config{
		Driver:     strings.ToLower(strings.TrimSpace(getenv("CATALOG_DRIVER"))),
		SQLitePath: getenv("CATALOG_SQLITE_PATH"),
		MySQL: MySQLConfig{
			DSN:      getenv("CATALOG_DSN"),
			Host:     getenv("DB_HOST"),
			User:     getenv("DB_USER"),
			Password: getenv("DB_PASSWORD"),
			Database: getenv("DB_NAME"),
			TLS:      getenv("DB_TLS"),
		},
	}
	if cfg.Driver == "" {
		cfg.Driver = DriverSQLite
	}
	if cfg.SQLitePath == "" {
		cfg.SQLitePath = DefaultSQLitePath
	}
	cfg.MySQL.Port = envInt(getenv, "DB_PORT", DefaultMySQLPort, &errs)
	cfg.MySQL.MaxOpenConns = envInt(getenv, "DB_MAX_OPEN_CONNS", DefaultMaxOpenConns, &errs)
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

func envInt(getenv func(string) string, name string, def int, errs *[]error) int {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("sqlstore: %s=%q is not an integer", name, s))
		return def
	}
	return n
}

// Validate reports every problem with c, joined.
func (c Config) Validate() error {
	switch c.Driver {
	case "", DriverSQLite:
		if strings.Contains(c.SQLitePath, "?") {
			return fmt.Errorf("sqlstore: SQLite path %q contains '?'", c.SQLitePath)
		}
		return nil
	case DriverMySQL:
		return c.MySQL.Validate()
	}
	return fmt.Errorf("sqlstore: unknown driver %q (want %q or %q)", c.Driver, DriverSQLite, DriverMySQL)
}

// Validate reports every problem with c, joined. It never includes the
// password or the DSN, which holds it, in an error.
func (c MySQLConfig) Validate() error {
	var errs []error
	if c.DSN != "" {
		if dc, err := mysql.ParseDSN(c.DSN); err != nil {
			errs = append(errs, fmt.Errorf("sqlstore: mysql DSN: %w", err))
		} else if dc.DBName == "" {
			errs = append(errs, errors.New("sqlstore: mysql DSN names no database"))
		}
	} else {
		for _, f := range []struct{ name, value string }{
			{"host (DB_HOST)", c.Host}, {"user (DB_USER)", c.User}, {"database (DB_NAME)", c.Database},
		} {
			if f.value == "" {
				errs = append(errs, fmt.Errorf("sqlstore: mysql needs a DSN (CATALOG_DSN) or a %s", f.name))
			}
		}
		if c.Port < 0 || c.Port > 65535 {
			errs = append(errs, fmt.Errorf("sqlstore: mysql port %d is out of range", c.Port))
		}
	}
	if c.MaxOpenConns < 0 || c.MaxIdleConns < 0 {
		errs = append(errs, fmt.Errorf("sqlstore: mysql pool sizes %d/%d must not be negative", c.MaxOpenConns, c.MaxIdleConns))
	}
	for _, d := range []time.Duration{c.ConnMaxLifetime, c.ConnMaxIdleTime, c.DialTimeout, c.ReadTimeout, c.WriteTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("sqlstore: mysql durations must not be negative, got %s", d))
			break
		}
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero values.
func (c MySQLConfig) withDefaults() MySQLConfig {
	if c.Port == 0 {
		c.Port = DefaultMySQLPort
	}
	if c.MaxOpenConns == 0 {
		c.MaxOpenConns = DefaultMaxOpenConns
	}
	if c.MaxIdleConns == 0 {
		c.MaxIdleConns = c.MaxOpenConns
	}
	setDefault := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDefault(&c.ConnMaxLifetime, DefaultConnMaxLifetime)
	setDefault(&c.ConnMaxIdleTime, DefaultConnMaxIdleTime)
	setDefault(&c.DialTimeout, DefaultMySQLTimeout)
	setDefault(&c.ReadTimeout, DefaultMySQLTimeout)
	setDefault(&c.WriteTimeout, DefaultMySQLTimeout)
	return c
}
