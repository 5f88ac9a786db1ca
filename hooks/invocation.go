package hooks

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/switchboardhq/switchboard/core"
)

// invocation states.
const (
	invRunning int32 = iota
	invDone
	invInterrupted
)

// Why an invocation was interrupted.
type stopReason int

const (
	errTimedOut stopReason = iota + 1
	errMemory
	errCancelled
)

// invocation is one run of cloud code on one runtime: a function, a job, a
// trigger, or loading main.js.
type invocation struct {
	// parent is the caller's context: when it ends, the script is stopped.
	parent  context.Context
	manager *Manager
	level   int
	label   string
	timeout time.Duration
	started time.Time
	vm      *jsvm

	// ctxMu guards ctx, made when a script first calls the backend (most
	// invocations never do, and a context with a deadline costs a timer):
	// the caller's context, bounded by the timeout, marked with the nesting
	// level. ended: the invocation was interrupted or finished, so a ctx
	// made now is made cancelled.
	ctxMu     sync.Mutex
	ctxv      context.Context
	ctxCancel context.CancelFunc
	ended     bool

	state  atomic.Int32
	reason atomic.Int32

	// results, when not nil, is where the caller waits for the outcome
	// (invoke); claimed decides who answers it: the runtime's goroutine with
	// the result, or the timeout's grace timer when a Go built-in ignores
	// the interrupt (giveUp).
	results chan execResult
	claimed atomic.Bool

	memoryLimit int64
	jobMessage  func(string)
	// what, name, className and req are what invoke runs: cloud.js's
	// run(what, name, className, request) (unset when loading main.js).
	what, name, className string
	req                   *Request
}

func (d *Deployment) newInvocation(parent context.Context, label string, timeout time.Duration) *invocation {
	return d.newInvocationAt(parent, nestingLevel(parent, d.manager), label, timeout)
}

// newInvocationAt is newInvocation for a caller that already knows the
// nesting level of parent.
func (d *Deployment) newInvocationAt(parent context.Context, level int, label string, timeout time.Duration) *invocation {
	if dl, ok := parent.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = max(left, time.Millisecond)
		}
	}
	return &invocation{
		parent:      parent,
		manager:     d.manager,
		level:       level,
		label:       label,
		timeout:     timeout,
		started:     time.Now(),
		memoryLimit: d.opts.MemoryLimit,
	}
}

// ctx is what the script's backend calls run under: the caller's context,
// bounded by the timeout, marked with the nesting level; cancelled once the
// invocation is interrupted or over.
func (inv *invocation) ctx() context.Context {
	inv.ctxMu.Lock()
	defer inv.ctxMu.Unlock()
	if inv.ctxv == nil {
		ctx, cancel := context.WithDeadline(inv.parent, inv.started.Add(inv.timeout))
		inv.ctxv = context.WithValue(ctx, nestingKey{m: inv.manager}, inv.level+1)
		inv.ctxCancel = cancel
		if inv.ended {
			cancel()
		}
	}
	return inv.ctxv
}

// cancel ends the invocation's context (see ctx).
func (inv *invocation) cancel() {
	inv.ctxMu.Lock()
	inv.ended = true
	cancel := inv.ctxCancel
	inv.ctxMu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// interrupt stops the invocation unless it already finished.
func (inv *invocation) interrupt(why stopReason) {
	if !inv.state.CompareAndSwap(invRunning, invInterrupted) {
		return
	}
	inv.reason.Store(int32(why))
	inv.cancel()
	if v := inv.vm; v != nil && v.rt != nil {
		v.rt.Interrupt(why)
		v.loop.StopNoWait()
	}
}

// timedOut is the timeout's timer: it interrupts the invocation and, for a
// caller waiting on results, gives the runtime stuckGrace more to stop
// before answering without it (giveUp).
func (inv *invocation) timedOut() {
	inv.interrupt(errTimedOut)
	if inv.results != nil {
		time.AfterFunc(stuckGrace, inv.giveUp)
	}
}

// giveUp answers the waiting caller with abandoned unless the runtime's
// goroutine answered first.
func (inv *invocation) giveUp() {
	if inv.claimed.CompareAndSwap(false, true) {
		inv.results <- execResult{abandoned: true}
	}
}

func (inv *invocation) interruptError() *core.Error {
	switch stopReason(inv.reason.Load()) {
	case errMemory:
		return core.Errorf(core.CodeScriptFailed, "%s was stopped: the server's memory limit for cloud code (%d MiB) was reached", inv.label, inv.memoryLimit>>20)
	case errCancelled:
		return core.Errorf(core.CodeScriptFailed, "%s was stopped: the request was cancelled", inv.label)
	}
	return core.Errorf(core.CodeScriptFailed, "%s timed out after %s", inv.label, inv.timeout.Round(time.Millisecond))
}

// nestingKey marks a context as coming from inside an invocation of one
// Manager's cloud code, with the nesting level as value.
type nestingKey struct{ m *Manager }

func nestingLevel(ctx context.Context, m *Manager) int {
	n, _ := ctx.Value(nestingKey{m: m}).(int)
	return n
}

// ScriptError is the internal cause of a cloud-code failure: the script's
// stack, with the bundle's file, line and column. The core logs it; clients
// see only the Parse error's message.
type ScriptError struct {
	Label string
	Stack string
}

func (e *ScriptError) Error() string { return e.Label + ": " + e.Stack }

// pcSuffix is goja's program-counter annotation in stack frames
// ("main.js:3:9(12)"), noise for a reader.
var pcSuffix = regexp.MustCompile(`(:\d+:\d+)\(\d+\)`)

// maxStackLines bounds a reported stack (a stack overflow has thousands of
// identical frames): the first lines and the last few are kept.
const maxStackLines = 40

func cleanStack(s string) string {
	s = pcSuffix.ReplaceAllString(s, "$1")
	lines := strings.Split(s, "\n")
	if len(lines) <= maxStackLines {
		return s
	}
	head, tail := lines[:maxStackLines-5], lines[len(lines)-5:]
	return strings.Join(head, "\n") + fmt.Sprintf("\n\t... %d more frames ...\n", len(lines)-maxStackLines) + strings.Join(tail, "\n")
}

// engineError turns an error from goja itself (an uncaught exception in the
// glue, a stack overflow) into a Parse error with the stack as cause.
func engineError(label string, err error) *core.Error {
	switch e := err.(type) {
	case *core.Error:
		return e
	case *goja.StackOverflowError:
		return &core.Error{Code: core.CodeScriptFailed, Message: fmt.Sprintf("%s: Maximum call stack size exceeded", label),
			Err: &ScriptError{Label: label, Stack: cleanStack(e.String())}}
	case *goja.Exception:
		msg := e.Value().String()
		if o, ok := e.Value().(*goja.Object); ok {
			if m := o.Get("message"); m != nil && !goja.IsUndefined(m) {
				msg = m.String()
			}
		}
		return &core.Error{Code: core.CodeScriptFailed, Message: msg,
			Err: &ScriptError{Label: label, Stack: cleanStack(strings.TrimSpace(e.String()))}}
	}
	return &core.Error{Code: core.CodeScriptFailed, Message: label + " failed", Err: err}
}
