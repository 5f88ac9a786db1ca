package plugins

import (
	"context"
	"errors"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/switchboardhq/switchboard/core"
)

// unary runs one unary call of p with p's timeout and turns its error into
// the host's: fail-fast while p is down, a timeout that names the plugin,
// or the plugin's own error.
func unary[Resp any](ctx context.Context, p *process, call func(ctx context.Context, conn *grpc.ClientConn, opts ...grpc.CallOption) (Resp, error)) (Resp, error) {
	var zero Resp
	conn, err := p.connection()
	if err != nil {
		return zero, err
	}
	cctx, cancel := context.WithTimeout(ctx, p.spec.Timeout)
	defer cancel()
	var trailer metadata.MD
	resp, err := call(cctx, conn, grpc.Trailer(&trailer))
	if err != nil {
		return zero, p.callError(ctx, cctx.Err() != nil, err, trailer)
	}
	return resp, nil
}

// callError is the host's error for a failed call; timedOut says the
// call's own deadline (not the caller's) cut it off.
func (p *process) callError(ctx context.Context, timedOut bool, err error, trailer metadata.MD) error {
	if timedOut && ctx.Err() == nil {
		return core.Errorf(core.CodeConnectionFailed, "plugin %q did not answer within %s (its timeout); it may be overloaded or hung", p.spec.Name, p.spec.Timeout)
	}
	return fromStatus(ctx, p.spec.Name, err, trailer)
}

// watchdog cancels a stream when one step (sending a chunk, receiving
// one) takes longer than the plugin's timeout. Time spent by our own side
// (a slow uploader, a slow download reader) is not counted: a stream may
// last as long as it moves.
type watchdog struct {
	timeout time.Duration
	cancel  context.CancelFunc
	mu      sync.Mutex
	timer   *time.Timer
	fired   bool
}

func newWatchdog(timeout time.Duration, cancel context.CancelFunc) *watchdog {
	return &watchdog{timeout: timeout, cancel: cancel}
}

// step runs one step of the stream under the timeout.
func (w *watchdog) step(fn func() error) error {
	w.mu.Lock()
	if w.timer == nil {
		w.timer = time.AfterFunc(w.timeout, w.fire)
	} else {
		w.timer.Reset(w.timeout)
	}
	w.mu.Unlock()
	err := fn()
	w.mu.Lock()
	w.timer.Stop()
	w.mu.Unlock()
	return err
}

func (w *watchdog) fire() {
	w.mu.Lock()
	w.fired = true
	w.mu.Unlock()
	w.cancel()
}

// timedOut reports whether the watchdog cut the stream off.
func (w *watchdog) timedOut() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

// stop releases the timer.
func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

// errUnimplemented marks the error of a call the plugin does not
// implement (gRPC UNIMPLEMENTED).
var errUnimplemented = errors.New("unimplemented")
