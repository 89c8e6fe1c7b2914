package lambdaruntime

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles the main package pkg into dir/bootstrap and returns the
// binary's path. pkg is anything go build accepts; a full import path such as
// "github.com/imgpipe/imgpipe/functions/resize" works from any test
// directory. It uses the deployment's -tags lambda.norpc, which the Runtime
// API server needs, and CGO_ENABLED=0, but builds for the host rather than
// linux/arm64 so that the binary can run here.
func Build(ctx context.Context, pkg, dir string) (string, error) {
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc,nodynamic", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("lambdaruntime: go build %s: %w\n%s", pkg, err, msg)
	}
	return out, nil
}
