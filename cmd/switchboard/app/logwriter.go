package app

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Limits of the log buffer: lines wait at most logFlushEvery, and never
// more than logBufferSize bytes of them.
const (
	logFlushEvery = 100 * time.Millisecond
	logBufferSize = 64 << 10
)

// logBuffer holds log lines and writes them to w in batches: when
// logBufferSize bytes are waiting, when the oldest waiting line is
// logFlushEvery old, and on Flush. Under load every request writes an
// access line; one write system call per line was, after the database
// read, the largest single cost of a get by id. Batched, hundreds of lines
// share one. The price is that an info line can reach the log up to
// logFlushEvery late, and that a process killed outright loses that much:
// warnings and errors are not held (see flushOnWarn), and serve flushes
// on the way out. Hand-written because it is a few lines: slog has no
// buffering of its own, and bufio.Writer alone never flushes on time.
type logBuffer struct {
	w     io.Writer
	every time.Duration

	mu    sync.Mutex // held across the write to w, so batches keep their order
	buf   []byte
	timer *time.Timer // flushes the buffer; armed while it holds lines
	armed bool
}

func newLogBuffer(w io.Writer, every time.Duration) *logBuffer {
	return &logBuffer{w: w, every: every}
}

// Write keeps p for the next batch. It reports success: a failing log
// output cannot fail the request that logged.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logBufferSize {
		b.writeLocked()
		return len(p), nil
	}
	if !b.armed {
		b.armed = true
		if b.timer == nil {
			b.timer = time.AfterFunc(b.every, b.Flush)
		} else {
			b.timer.Reset(b.every)
		}
	}
	return len(p), nil
}

// Flush writes every waiting line now.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writeLocked()
}

func (b *logBuffer) writeLocked() {
	if b.armed {
		b.timer.Stop()
		b.armed = false
	}
	if len(b.buf) == 0 {
		return
	}
	_, _ = b.w.Write(b.buf)
	if cap(b.buf) > 4*logBufferSize {
		b.buf = nil // one burst of huge lines should not stay allocated
	} else {
		b.buf = b.buf[:0]
	}
}

// flushOnWarn is a slog.Handler that flushes the log buffer after each
// record at warning level or above, so that what an operator most needs
// is never the part a crash loses, and comes out in order after the info
// lines before it.
type flushOnWarn struct {
	slog.Handler
	buf *logBuffer
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
