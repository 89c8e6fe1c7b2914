package sqlstore

import (
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want Config
	}{
		"defaults": {
			env:  map[string]string{},
			want: Config{Driver: DriverSQLite, SQLitePath: DefaultSQLitePath, MySQL: MySQLConfig{Port: 3306, MaxOpenConns: 2}},
		},
		"sqlite path": {
			env:  map[string]string{"CATALOG_DRIVER": "SQLite", "CATALOG_SQLITE_PATH": "/tmp/catalog.db"},
			want: Config{Driver: DriverSQLite, SQLitePath: "/tmp/catalog.db", MySQL: MySQLConfig{Port: 3306, MaxOpenConns: 2}},
		},
		"mysql dsn": {
			env: map[string]string{"CATALOG_DRIVER": "mysql", "CATALOG_DSN": "u:p@tcp(proxy:3306)/imgpipe", "DB_MAX_OPEN_CONNS": "4"},
			want: Config{Driver: DriverMySQL, SQLitePath: DefaultSQLitePath,
				MySQL: MySQLConfig{DSN: "u:p@tcp(proxy:3306)/imgpipe", Port: 3306, MaxOpenConns: 4}},
		},
		"mysql fields": {
			env: map[string]string{"CATALOG_DRIVER": "mysql", "DB_HOST": "proxy.example", "DB_PORT": "3307",
				"DB_USER": "app", "DB_PASSWORD": "secret", "DB_NAME": "imgpipe", "DB_TLS": "true"},
			want: Config{Driver: DriverMySQL, SQLitePath: DefaultSQLitePath, MySQL: MySQLConfig{
				Host: "proxy.example", Port: 3307, User: "app", Password: "secret", Database: "imgpipe", TLS: "true", MaxOpenConns: 2}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatalf("ConfigFromEnv: %v", err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	cases := map[string]struct {
		env map[string]string
		// want are substrings that must all be in the joined error.
		want []string
	}{
		"unknown driver": {
			env:  map[string]string{"CATALOG_DRIVER": "postgres"},
			want: []string{`unknown driver "postgres"`},
		},
		"mysql with nothing": {
			env:  map[string]string{"CATALOG_DRIVER": "mysql"},
			want: []string{"DB_HOST", "DB_USER", "DB_NAME"},
		},
		"every problem at once": {
			env:  map[string]string{"CATALOG_DRIVER": "mysql", "DB_HOST": "h", "DB_PORT": "x", "DB_MAX_OPEN_CONNS": "many"},
			want: []string{`DB_PORT="x"`, `DB_MAX_OPEN_CONNS="many"`, "DB_USER", "DB_NAME"},
		},
		"bad dsn": {
			env:  map[string]string{"CATALOG_DRIVER": "mysql", "CATALOG_DSN": "u:p@tcp(h:3306)"},
			want: []string{"mysql DSN"},
		},
		"dsn without database": {
			env:  map[string]string{"CATALOG_DRIVER": "mysql", "CATALOG_DSN": "u:p@tcp(h:3306)/"},
			want: []string{"names no database"},
		},
		"port out of range": {
			env:  map[string]string{"CATALOG_DRIVER": "mysql", "DB_HOST": "h", "DB_USER": "u", "DB_NAME": "d", "DB_PORT": "70000"},
			want: []string{"port 70000"},
		},
		"negative pool": {
			env:  map[string]string{"CATALOG_DRIVER": "mysql", "DB_HOST": "h", "DB_USER": "u", "DB_NAME": "d", "DB_MAX_OPEN_CONNS": "-1"},
			want: []string{"pool sizes"},
		},
		"sqlite path with query": {
			env:  map[string]string{"CATALOG_SQLITE_PATH": "x.db?mode=ro"},
			want: []string{"contains '?'"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if err == nil {
				t.Fatal("ConfigFromEnv succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "u:p@") || strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestMySQLDriverConfig(t *testing.T) {
	for name, cfg := range map[string]MySQLConfig{
		"fields": {Host: "proxy", User: "app", Password: "pw", Database: "imgpipe"},
		// A DSN that asks for the opposite of what the store needs.
		"dsn": {DSN: "app:pw@tcp(proxy:3306)/imgpipe?parseTime=false&loc=Local&interpolateParams=false&readTimeout=2s"},
	} {
		t.Run(name, func(t *testing.T) {
			dc, err := cfg.withDefaults().driverConfig()
			if err != nil {
				t.Fatalf("driverConfig: %v", err)
			}
			if !dc.ParseTime || dc.Loc != time.UTC || !dc.InterpolateParams {
				t.Errorf("parseTime %v, loc %v, interpolateParams %v; want true, UTC, true", dc.ParseTime, dc.Loc, dc.InterpolateParams)
			}
			if dc.Addr != "proxy:3306" || dc.DBName != "imgpipe" || dc.User != "app" {
				t.Errorf("addr %q db %q user %q", dc.Addr, dc.DBName, dc.User)
			}
			if dc.Timeout != DefaultMySQLTimeout || dc.WriteTimeout != DefaultMySQLTimeout {
				t.Errorf("dial/write timeouts %v/%v, want %v", dc.Timeout, dc.WriteTimeout, DefaultMySQLTimeout)
			}
			if want := map[string]time.Duration{"fields": DefaultMySQLTimeout, "dsn": 2 * time.Second}[name]; dc.ReadTimeout != want {
				t.Errorf("read timeout %v, want %v (the DSN's own value wins)", dc.ReadTimeout, want)
			}
			if _, ok := dc.Params["charset"]; ok {
				t.Error("charset parameter set: it would send SET NAMES on every connection")
			}
		})
	}
}

func TestMySQLConfigDefaults(t *testing.T) {
	got := MySQLConfig{Host: "h", User: "u", Database: "d"}.withDefaults()
	want := MySQLConfig{Host: "h", User: "u", Database: "d", Port: 3306, MaxOpenConns: 2, MaxIdleConns: 2,
		ConnMaxLifetime: 5 * time.Minute, ConnMaxIdleTime: time.Minute,
		DialTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got := (MySQLConfig{MaxOpenConns: 6}).withDefaults(); got.MaxIdleConns != 6 {
		t.Errorf("MaxIdleConns = %d, want it to follow MaxOpenConns (6)", got.MaxIdleConns)
	}
	if err := (MySQLConfig{DSN: "x", Host: "h", User: "u", Database: "d"}).Validate(); err == nil {
		t.Error("Validate accepted a bad DSN because Host, User and Database were set")
	}
}
