// Package e2e tests the deployable artefacts end to end: the real upload and resize `bootstrap` binaries, each run
// as a child process behind the project's Lambda Runtime API server (internal/lambdaruntime), against MinIO with a
// real bucket notification on the staging prefix delivered by its webhook. Nothing in between is a fake: the events
// are what API Gateway and MinIO send, and the binaries are built the way `make package` builds them.
//
// Run it with `make e2e`. MinIO is built once from a pinned version and cached; without it the test skips unless
// MINIO_REQUIRED=1, which CI sets.
package e2e
