package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/imgpipe/imgpipe/pkg/imageproc"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// The memory limit every child runs under: Go's soft limit a little under the function's memory, as a Go Lambda
// function should set it, and the hard line of 1 GiB that peak RSS must stay under.
const (
	GoMemLimit = "900MiB"
	HardLimit  = 1 << 30
)

// Result is a child's Report with what the parent saw.
type Result struct {
	Report
	Wall time.Duration // the child process from start to exit
}

// Run runs spec in a child: the executable of this process (a test binary whose TestMain calls RunChild when
// IsChild) started again with the spec in its environment and GOMEMLIMIT set (GOGC stays as it is). Peak RSS is per process and never
// goes down, so one child runs one file once. The child is killed, and Run fails, if it outlives kill.
func Run(ctx context.Context, spec Spec, kill time.Duration) (Result, error) {
	if spec.Timeout == 0 {
		spec.Timeout = FunctionTimeout
	}
	if spec.KillRSS == 0 {
		spec.KillRSS = HardLimit
	}
	if spec.GoMemLimit == "" {
		spec.GoMemLimit = GoMemLimit
	}
	self, err := os.Executable()
	if err != nil {
		return Result{}, err
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, kill)
	defer cancel()
	// -test.run matches nothing, so a test binary whose TestMain forgot IsChild runs no tests in the child.
	cmd := exec.CommandContext(ctx, self, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b), "GOMEMLIMIT="+spec.GoMemLimit)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err = cmd.Run()
	wall := time.Since(t0)
	if ctx.Err() != nil {
		return Result{Wall: wall}, fmt.Errorf("child killed after %v: %s", wall.Round(time.Millisecond), tail(stderr.String()))
	}
	if err != nil {
		return Result{Wall: wall}, fmt.Errorf("child: %w: %s", err, tail(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var rep Report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		return Result{Wall: wall}, fmt.Errorf("child report %q: %w (stderr: %s)", stdout.String(), err, tail(stderr.String()))
	}
	return Result{Report: rep, Wall: wall}, nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// Admitted says, from the header alone, whether Process would start decoding data for the request: Process
// checks the limits and the budget and then its context before it decodes, so with a context that is already
// cancelled it returns the refusal, or the context's error for a file it admits. It returns nil for an admitted
// file and the public refusal otherwise.
func Admitted(data []byte, req Request) (*publicerr.Error, error) {
	targets, err := req.Targets()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = imageproc.Process(ctx, data, imageproc.Request{Targets: targets, Limits: Limits()})
	switch {
	case errors.Is(err, context.Canceled):
		return nil, nil
	case err == nil:
		return nil, errors.New("hostile: Process ran with a cancelled context")
	}
	if p := publicerr.From(err); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("hostile: Process failed before decoding: %w", err)
}
