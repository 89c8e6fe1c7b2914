package catalog

import (
	"fmt"
	"strings"
)

// The write statements are built once per dialect from one description, so
// that SQLite and MySQL cannot drift apart in what MarkReady and MarkFailed
// keep, overwrite or refuse.

// insertColumns are the columns every write supplies, in the order of
// writeArgs.
var insertColumns = []string{
	"id", "status", "filename", "content_type", "bytes", "width", "height", "form_fields",
	"staging_key", "original_key", "failure_reason", "derivatives", "created_at", "updated_at",
}

// mergeColumn is a column that an upsert overwrites only when the incoming
// value is set, so that, for example, the resize function, which does not
// know the client's form fields, does not erase the ones the upload stored.
type mergeColumn struct {
	name string
	// isSet is a SQL condition on the incoming value, %[1]s.
	isSet string
}

var mergeColumns = []mergeColumn{
	// LENGTH rather than <> '': MySQL's PAD SPACE collations treat ' ' as ''.
	{"filename", "LENGTH(%[1]s) > 0"},
	{"content_type", "LENGTH(%[1]s) > 0"},
	{"bytes", "%[1]s <> 0"},
	{"width", "%[1]s <> 0"},
	{"height", "%[1]s <> 0"},
	{"form_fields", "%[1]s <> '" + emptyFields + "'"},
	{"staging_key", "LENGTH(%[1]s) > 0"},
	{"original_key", "LENGTH(%[1]s) > 0"},
	{"derivatives", "%[1]s <> '" + emptyDerivatives + "'"},
}

// upsertSyntax is what differs between the dialects' upserts.
type upsertSyntax struct {
	// clause turns an INSERT into an upsert on the primary key id.
	clause string
	// incoming and existing refer to the value being inserted and to the
	// stored one inside that clause.
	incoming, existing func(col string) string
}

func insertSQL() string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(insertColumns)), ", ")
	return "INSERT INTO images (" + strings.Join(insertColumns, ", ") + ") VALUES (" + marks + ")"
}

// markReadySQL inserts a ready row or merges into the existing one. Ready
// wins, so no condition on the stored status is needed.
func markReadySQL(u upsertSyntax) string {
	var set []string
	for _, c := range mergeColumns {
		set = append(set, fmt.Sprintf("%s = %s", c.name, merge(u, c)))
	}
	set = append(set,
		"failure_reason = ''",
		"updated_at = "+u.incoming("updated_at"),
		// status comes last: MySQL evaluates the assignments left to right
		// and each sees the ones before it, so an assignment that reads
		// status must precede the one that changes it.
		"status = '"+string(StatusReady)+"'",
	)
	return insertSQL() + " " + u.clause + " " + strings.Join(set, ", ")
}

// markFailedSQL inserts a failed row or merges into the existing one unless
// that one is ready, in which case every column keeps its value. The guard is
// repeated per column because MySQL's ON DUPLICATE KEY UPDATE has no WHERE.
func markFailedSQL(u upsertSyntax) string {
	ready := u.existing("status") + " = '" + string(StatusReady) + "'"
	guard := func(col, value string) string {
		return fmt.Sprintf("%s = CASE WHEN %s THEN %s ELSE %s END", col, ready, u.existing(col), value)
	}
	var set []string
	for _, c := range mergeColumns {
		set = append(set, guard(c.name, merge(u, c)))
	}
	set = append(set,
		guard("failure_reason", u.incoming("failure_reason")),
		guard("updated_at", u.incoming("updated_at")),
		// Last, as in markReadySQL, so every guard reads the stored status.
		// (A guard could not be fooled today, since this never sets status
		// to ready, but the order keeps it right if the rule changes.)
		guard("status", "'"+string(StatusFailed)+"'"),
	)
	return insertSQL() + " " + u.clause + " " + strings.Join(set, ", ")
}

func merge(u upsertSyntax, c mergeColumn) string {
	in := u.incoming(c.name)
	return fmt.Sprintf("CASE WHEN %s THEN %s ELSE %s END", fmt.Sprintf(c.isSet, in), in, u.existing(c.name))
}
