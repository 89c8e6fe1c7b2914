// Package pipeline runs the resize job for each S3 record: fetch the staged photo, make its derivatives, write them
// and the archived original, record the result in the catalog, and only then delete the staging copy.
//
// The order is the whole point. A crash or an error at any step before the final delete leaves the staging copy in
// place, so Lambda's retry (or a redelivered event) redoes the work and overwrites its own partial output; after
// the delete, the derivatives and the archived original already exist. No step can lose a photo. A photo that can
// never be processed is moved to the failed prefix with its reason, and the invocation succeeds, so a bad file
// cannot start a retry storm.
package pipeline
