package sqlstore

// migration is one step of the schema. Steps are applied in order, each at most once per database, and the version
// of the last one applied is recorded in schema_version. Append new steps; never edit an applied one.
type migration struct {
	version int
	stmts   []string
}

// The two lists describe the same tables and must keep the same versions.
//
// The form fields and derivatives are JSON text on the image row: see package catalog for why. Times are
// DATETIME(6) in MySQL and fixed-width TEXT in SQLite (see timeLayout). Three indexes serve the three listings:
// (created_at, id) all images newest first, (owner, created_at, id) one owner's, and (status, created_at, id) the
// pending rows the sweep looks at, oldest first.
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
	// Owners, origins, the processed ETag, direct-upload expiry and the expired status. SQLite cannot alter a
	// CHECK constraint, so the table is rebuilt; rows from before get no owner (administrators see them) and an
	// origin guessed from whether their staging key carries their id, which only uploads' keys do.
	{version: 2, stmts: []string{
		`CREATE TABLE images_v2 (
			id             TEXT    NOT NULL PRIMARY KEY,
			status         TEXT    NOT NULL CHECK (status IN ('pending', 'ready', 'failed', 'expired')),
			owner          TEXT    NOT NULL DEFAULT '',
			origin         TEXT    NOT NULL DEFAULT 'upload' CHECK (origin IN ('upload', 'direct', 'console')),
			filename       TEXT    NOT NULL DEFAULT '',
			content_type   TEXT    NOT NULL DEFAULT '',
			bytes          INTEGER NOT NULL DEFAULT 0,
			width          INTEGER NOT NULL DEFAULT 0,
			height         INTEGER NOT NULL DEFAULT 0,
			form_fields    TEXT    NOT NULL DEFAULT '{}',
			staging_key    TEXT    NOT NULL DEFAULT '',
			source_etag    TEXT    NOT NULL DEFAULT '',
			original_key   TEXT    NOT NULL DEFAULT '',
			failure_reason TEXT    NOT NULL DEFAULT '',
			derivatives    TEXT    NOT NULL DEFAULT '[]',
			expires_at     TEXT,
			created_at     TEXT    NOT NULL,
			updated_at     TEXT    NOT NULL
		)`,
		`INSERT INTO images_v2 (id, status, owner, origin, filename, content_type, bytes, width, height, form_fields,
			staging_key, source_etag, original_key, failure_reason, derivatives, expires_at, created_at, updated_at)
		SELECT id, status, '', CASE WHEN instr(staging_key, id) > 0 THEN 'upload' ELSE 'console' END, filename,
			content_type, bytes, width, height, form_fields, staging_key, '', original_key, failure_reason, derivatives,
			NULL, created_at, updated_at
		FROM images`,
		`DROP TABLE images`,
		`ALTER TABLE images_v2 RENAME TO images`,
		`CREATE INDEX images_created_at_id ON images (created_at, id)`,
		`CREATE INDEX images_owner_created_at_id ON images (owner, created_at, id)`,
		`CREATE INDEX images_status_created_at_id ON images (status, created_at, id)`,
	}},
}

// MySQL: the id is ASCII with a binary collation so that it orders byte by byte like SQLite's TEXT, which the
// cursor's tie-break on id relies on, and so that ids differing only in case are different rows; the owner is
// VARBINARY for the same reason (token subjects are case-sensitive, and a case-insensitive collation would let
// "Alice" list "alice"'s photos). TEXT columns take no DEFAULT before MySQL 8.0.13, so every write supplies them.
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
	// One ALTER, which InnoDB applies atomically, then the origin guess as in SQLite's step 2.
	{version: 2, stmts: []string{
		`ALTER TABLE images
			ADD COLUMN owner       VARBINARY(255) NOT NULL DEFAULT '' AFTER status,
			ADD COLUMN origin      VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'upload' AFTER owner,
			ADD COLUMN source_etag VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER staging_key,
			ADD COLUMN expires_at  DATETIME(6) NULL AFTER derivatives,
			DROP CONSTRAINT images_status,
			ADD CONSTRAINT images_status_v2 CHECK (status IN ('pending', 'ready', 'failed', 'expired')),
			ADD CONSTRAINT images_origin CHECK (origin IN ('upload', 'direct', 'console')),
			ADD KEY images_owner_created_at_id (owner, created_at, id),
			ADD KEY images_status_created_at_id (status, created_at, id)`,
		`UPDATE images SET origin = 'console' WHERE LOCATE(id, staging_key) = 0`,
	}},
}

// Version tables. They are created outside the numbered steps, since they record them.
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
