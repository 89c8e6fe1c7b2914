// Package catalog defines the image catalog: one row per uploaded image with its owner, its status in the pipeline
// (pending, ready, failed or expired), what the client sent with it, where its original and derivatives live in
// S3, and when it changed. It holds the types, the Store interface, the errors and the rules every backend shares,
// and no database code: the backends live in their own packages (sqlstore for SQLite and MySQL, dynamostore for
// DynamoDB) and pass one contract suite (catalogtest), so a function links only the backend it is built with.
//
// A few decisions shape every backend:
//
//   - A row is one item: the form fields and the derivatives are part of it rather than child rows, so recording a
//     resize result is one atomic write, and duplicate S3 events (they arrive at least once) cannot interleave
//     child rows or leave half of each.
//   - Only the object a row was made for may complete it (Store.MarkReady): the staging key must match and, once
//     ready, the ETag too. A stray object under an upload's id, a late event for a deleted upload, or a photo
//     uploaded again after processing can never replace an image.
//   - Ready wins: a late or duplicate failure never downgrades a ready row, while a successful retry does upgrade a
//     failed one. The rule holds under concurrent writers (a transaction in SQL, condition expressions in
//     DynamoDB).
//   - Lists page newest first with an opaque keyset cursor over (CreatedAt, ID) (Cursor), so rows inserted while a
//     client pages through never cause duplicates or gaps, which an offset would. Owners list their own images
//     through an index on the owner; administrators list all.
//
// Lazy opens a backend on first use, so a function cold-starting while its database is down still answers.
package catalog
