// Package pipeline is the resize job: for every S3 ObjectCreated record on the staging prefix it works out which
// image the object is, makes the derivatives, archives the original, records the result in the catalog and
// deletes the staging copy, in that order, so a crash or an error at any step leaves the staging copy for the
// retry and no step can lose a photo. A photo that can never be processed is quarantined with its reason instead
// of being retried.
//
// Which image an object is follows from its key and the catalog: only staging/<uuid><ext> directly under the
// prefix can be an upload, and only the object the upload's row names, claimed before anything is written, may
// complete it. Every other object is a console photo with an id of its own, so no key can reach another image.
package pipeline
