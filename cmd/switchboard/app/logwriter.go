package app

import (
	"io"
	"sync"
)

// groupWriter writes log lines to w, coalescing the lines that arrive
// while a write to w is under way into the next one, the way a database
// groups commits. Each request's access line used to cost a write system
// call of its own, a tenth of the CPU of a get by id under load; now
// concurrent requests share them. A line written while no other write is
// under way goes out at once, before Write returns, as before; one that
// arrives during another's write goes out when that goroutine, which keeps
// writing until nothing is left, gets to it. Nothing waits on a timer, and
// no line is held once the writes stop. Hand-written: slog and the
// buffered writers we know of flush on a timer or on a size, which would
// hold lines back when traffic is light.
type groupWriter struct {
	w io.Writer

	mu      sync.Mutex
	pending []byte // lines waiting for the write under way
	spare   []byte // the last written buffer, reused
	writing bool   // a goroutine is writing and will take pending next
}

func newGroupWriter(w io.Writer) *groupWriter { return &groupWriter{w: w} }

func (g *groupWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	if g.writing {
		g.pending = append(g.pending, p...)
		g.mu.Unlock()
		return len(p), nil
	}
	g.writing = true
	g.mu.Unlock()
	n, err := g.w.Write(p)
	g.mu.Lock()
	for len(g.pending) > 0 {
		b := g.pending
		g.pending = g.spare[:0]
		g.mu.Unlock()
		_, _ = g.w.Write(b) // their writers were told they succeeded
		g.mu.Lock()
		if cap(b) <= 1<<20 {
			g.spare = b
		}
	}
	g.writing = false
	g.mu.Unlock()
	return n, err
}
