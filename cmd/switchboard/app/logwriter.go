package app

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Limits of the log buffer: lines wait at most logFlushEvery, a batch is
// written once logBufferSize bytes wait, and a writer waits for the
// output only when logBufferMax bytes are waiting (the output is stuck).
const (
	logFlushEvery = 100 * time.Millisecond
	logBufferSize = 64 << 10
	logBufferMax  = 4 << 20
)

// logBuffer holds log lines and writes them to w in batches, from a
// goroutine of its own: when logBufferSize bytes are waiting, when the
// oldest waiting line is logFlushEvery old, and on Flush. Under load every
// request writes an access line; one write system call per line was, after
// the database read, the largest single cost of a get by id, and a request
// that wrote a batch itself held its answer back for the length of the
// write. Batched off the request's path, hundreds of lines share one
// write and no request waits for the output. The price is that an info
// line can reach the log up to logFlushEvery late, and that a process
// killed outright loses that much: warnings and errors are not held (see
// flushOnWarn), and serve flushes on the way out. Hand-written because it
// is a few lines: slog has no buffering of its own, and bufio.Writer
// neither flushes on time nor writes off the caller's path.
type logBuffer struct {
	w     io.Writer
	every time.Duration
	kick  chan struct{} // wakes the writing goroutine; buffered, one pending
	stop  chan struct{} // ends it (Close)
	timer *time.Timer   // kicks once the oldest waiting line is every old

	mu      sync.Mutex
	changed *sync.Cond // a batch was written: room in buf, or Flush's turn
	buf     []byte     // lines waiting
	spare   []byte     // the last batch's buffer, reused
	armed   bool       // timer is running
	writing bool       // a batch is being written to w
	closed  bool       // Close was called: lines are written at once
}

func newLogBuffer(w io.Writer, every time.Duration) *logBuffer {
	b := &logBuffer{w: w, every: every, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	b.changed = sync.NewCond(&b.mu)
	b.timer = time.AfterFunc(time.Hour, b.wake)
	b.timer.Stop()
	go func() {
		for {
			select {
			case <-b.kick:
				b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Close writes what waits and stops the writing goroutine; lines written
// after it go out at once.
func (b *logBuffer) Close() {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	b.mu.Unlock()
	if !already {
		close(b.stop)
	}
	b.Flush()
}

func (b *logBuffer) wake() {
	select {
	case b.kick <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// Write keeps p for the next batch. It reports success: a failing log
// output cannot fail the request that logged.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	for len(b.buf) >= logBufferMax {
		b.wake()
		b.changed.Wait()
	}
	b.buf = append(b.buf, p...)
	switch {
	case b.closed:
		b.mu.Unlock()
		b.Flush()
		return len(p), nil
	case len(b.buf) >= logBufferSize:
		b.wake()
	case !b.armed:
		b.armed = true
		b.timer.Reset(b.every)
	}
	b.mu.Unlock()
	return len(p), nil
}

// Flush writes every line waiting now, and returns once they are written,
// after the batches before them.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	for b.writing {
		b.changed.Wait()
	}
	out := b.buf
	b.buf = b.spare[:0]
	b.spare = nil
	if b.armed {
		b.timer.Stop()
		b.armed = false
	}
	b.writing = true
	b.mu.Unlock()

	if len(out) > 0 {
		_, _ = b.w.Write(out)
	}

	b.mu.Lock()
	b.writing = false
	if cap(out) <= 2*logBufferSize { // a burst of huge lines should not stay allocated
		b.spare = out[:0]
	}
	b.changed.Broadcast()
	b.mu.Unlock()
}

// flushOnWarn is a slog.Handler that flushes the log buffer after each
// record at warning level or above, so that what an operator most needs
// is never the part a crash loses, and comes out in order after the info
// lines before it.
type flushOnWarn struct {
	slog.Handler
	buf *logBuffer
	// access is the format of Handler when it writes to buf with no
	// attributes or groups of its own, for LogAccess; accessNone else.
	access accessFormat
}

func (h flushOnWarn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushOnWarn) WithAttrs(as []slog.Attr) slog.Handler {
	return flushOnWarn{Handler: h.Handler.WithAttrs(as), buf: h.buf}
}

func (h flushOnWarn) WithGroup(name string) slog.Handler {
	return flushOnWarn{Handler: h.Handler.WithGroup(name), buf: h.buf}
}
