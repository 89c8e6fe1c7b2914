// Package function holds what every Lambda function's constructor shares: the options that differ between Lambda
// and the local stack, and the clients built once per container (the bucket, the catalog with its backend chosen
// by CATALOG_DRIVER). Each function has one constructor in a subpackage (upload.New, resize.New), used by
// functions/<fn>/main.go and by the local stack alike, so that a new dependency is added in one place and `make run`
// runs exactly what Lambda runs. Each subpackage links only what its function needs: the upload function never
// links the image decoders the resize function carries.
//
// These are the only packages that read package config and know every other one; they hand the domain packages
// (api, pipeline) their settings as plain structs.
package function
