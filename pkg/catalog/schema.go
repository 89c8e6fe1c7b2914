package catalog

// migration is one step of the schema. Steps are applied in order, each at
// most once per database, and the version of the last one applied is recorded
// in schema_version. Append new steps; never edit an applied one.
type migration struct {
	version int
	stmts   []string
}

// The two lists describe the same tables and must keep the same versions.
//
// The form fields and derivatives are JSON text on the image row: see the
// package comment for why. Times are DATETIME(6) in MySQL and fixed-width
// TEXT in SQLite (see timeLayout). The (created_at, id) index serves List's
// keyset pages in both.
var sqliteMigrations = []migration{
	{version: 1, stmts: []string{
		`CREATE TABLE IF NOT EXISTS images (
			id             TEXT    NOT NULL PRIMARY KEY,
			status         TEXT    NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
			filename       TEXT    NOT NULL DEFAULT '',
			content_type   TEXT    NOT NULL DEFAULT '',
			bytes          INTEGER NOT NULL DEFAULT 0,
			width          INTEGER NOT NULL DEFAULT 0,
			height         INTEGER NOT NULL DEFAULT 0,
			form_fields    TEXT    NOT NULL DEFAULT '{}',
			staging_key    TEXT    NOT NULL DEFAULT '',
			original_key   TEXT    NOT NULL DEFAULT '',
			failure_reason TEXT    NOT NULL DEFAULT '',
			derivatives    TEXT    NOT NULL DEFAULT '[]',
			created_at     TEXT    NOT NULL,
			updated_at     TEXT    NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS images_created_at_id ON images (created_at, id)`,
	}},
}

// MySQL: the id is ASCII with a binary collation so that it orders byte by
// byte like SQLite's TEXT, which the cursor's tie-break on id relies on, and
// so that ids differing only in case are different rows. TEXT columns take no
// DEFAULT before MySQL 8.0.13, so every write supplies them.
var mysqlMigrations = []migration{
	{version: 1, stmts: []string{
		`CREATE TABLE IF NOT EXISTS images (
			id             VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
			status         VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
			filename       VARCHAR(255)  NOT NULL DEFAULT '',
			content_type   VARCHAR(255)  NOT NULL DEFAULT '',
			bytes          BIGINT        NOT NULL DEFAULT 0,
			width          INT           NOT NULL DEFAULT 0,
			height         INT           NOT NULL DEFAULT 0,
			form_fields    MEDIUMTEXT    NOT NULL,
			staging_key    VARCHAR(1024) NOT NULL DEFAULT '',
			original_key   VARCHAR(1024) NOT NULL DEFAULT '',
			failure_reason TEXT          NOT NULL,
			derivatives    MEDIUMTEXT    NOT NULL,
			created_at     DATETIME(6)   NOT NULL,
			updated_at     DATETIME(6)   NOT NULL,
			PRIMARY KEY (id),
			KEY images_created_at_id (created_at, id),
			CONSTRAINT images_status CHECK (status IN ('pending', 'ready', 'failed'))
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
	}},
}

// Version tables. They are created outside the numbered steps, since they
// record them.
const (
	sqliteVersionTable = `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at TEXT    NOT NULL
	)`
	mysqlVersionTable = `CREATE TABLE IF NOT EXISTS schema_version (
		version    INT         NOT NULL PRIMARY KEY,
		applied_at DATETIME(6) NOT NULL
	) ENGINE=InnoDB`
)
