// Package catalog keeps one row per uploaded image: its status in the
// pipeline (pending, ready or failed), what the client sent with it, where its
// original and derivatives live in S3, and when it changed.
//
// Two backends implement the same Store interface and pass the same contract
// tests: SQLite (modernc.org/sqlite, pure Go, the embedded default for local
// runs and single-container deployments) and MySQL (RDS or Aurora, reached
// through RDS Proxy in production; MariaDB in tests).
//
// A few decisions shape both backends:
//
//   - The form fields and the derivatives are JSON text columns on the image
//     row rather than child tables. S3 delivers events at least once, so two
//     resize invocations for the same photo can finish at the same time; with
//     everything on one row each MarkReady is a single-statement atomic upsert,
//     and duplicates cannot interleave child rows or leave half of each.
//   - MarkReady and MarkFailed are upserts, because a photo put straight into
//     the staging prefix (from the console, say) has no row yet. Ready wins: a
//     late or duplicate failure never downgrades a ready row, while a
//     successful retry does upgrade a failed one. The rule is written in the
//     SQL itself so that it holds under concurrent writers.
//   - List pages newest first with an opaque keyset cursor over
//     (created_at, id), so rows inserted while a client pages through never
//     cause duplicates or gaps, which an OFFSET would.
//   - The schema is created and migrated inside Open, idempotently, so any
//     cold start may be the first one and two may race.
//
// Open builds either backend from a Config, and ConfigFromEnv reads that Config
// from the environment of a Lambda function.
package catalog
