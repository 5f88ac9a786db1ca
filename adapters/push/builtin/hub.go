package builtin

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Per connection: at most maxInflight messages sent and not acknowledged;
// the rest wait in the store until these are. A device that acknowledges
// nothing therefore holds at most maxInflight messages in memory.
const (
	maxInflight = 500
	// loadChunk bounds the installations read in one query.
	loadChunk = 200
)

var (
	errShutdown = errors.New("the server is shutting down")
	errReplaced = errors.New("closed")
)

// conn is one device connection, whatever its transport.
type conn struct {
	h            *hub
	installation string
	// wake tells the connection's writer that out has messages.
	wake      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	why       error

	mu       sync.Mutex
	inflight map[string]struct{}
	out      []*message // to send, in order
	// behind is set when messages were held back (too many in flight):
	// the queue is read again once the device caught up.
	behind bool
}

func (c *conn) close(why error) {
	c.closeOnce.Do(func() {
		c.why = why
		close(c.done)
	})
}

// offer sends m unless it is in flight already, or held back.
func (c *conn) offer(m *message) {
	if c.h.ch.deleting(m.ID) {
		return // acknowledged, its deletion on its way
	}
	c.mu.Lock()
	if _, sent := c.inflight[m.ID]; sent {
		c.mu.Unlock()
		return
	}
	if len(c.inflight) >= maxInflight {
		c.behind = true
		c.mu.Unlock()
		return
	}
	c.inflight[m.ID] = struct{}{}
	c.out = append(c.out, m)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take returns the messages to send, oldest first.
func (c *conn) take() []*message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.out
	c.out = nil
	return out
}

// holdBack notes that messages wait beyond those sent: the queue is read
// again once the device acknowledged what it has.
func (c *conn) holdBack() {
	c.mu.Lock()
	refill := len(c.inflight) == 0
	c.behind = !refill
	c.mu.Unlock()
	if refill {
		// What was read was acknowledged already and its deletion is on
		// its way: read again a little later, not in a tight loop.
		time.AfterFunc(50*time.Millisecond, func() { c.h.refill(c) })
	}
}

// acked takes the acknowledged ids that were sent on this connection (a
// device cannot acknowledge another's messages) and returns them. When the
// device caught up with held-back messages, the queue is read again.
func (c *conn) acked(ids []string) []string {
	var ok []string
	c.mu.Lock()
	for _, id := range ids {
		if _, sent := c.inflight[id]; sent {
			delete(c.inflight, id)
			ok = append(ok, id)
		}
	}
	refill := c.behind && len(c.inflight) == 0
	if refill {
		c.behind = false
	}
	c.mu.Unlock()
	if refill {
		go c.h.refill(c)
	}
	return ok
}

// hub holds this node's connections by installation objectId.
type hub struct {
	ch    *Channel
	mu    sync.RWMutex
	conns map[string][]*conn
}

func newHub(ch *Channel) *hub { return &hub{ch: ch, conns: map[string][]*conn{}} }

func (h *hub) open(installation string) *conn {
	c := &conn{h: h, installation: installation, wake: make(chan struct{}, 1), done: make(chan struct{}),
		inflight: map[string]struct{}{}}
	h.mu.Lock()
	h.conns[installation] = append(h.conns[installation], c)
	h.mu.Unlock()
	if h.ch.closing.Load() {
		c.close(errShutdown)
	}
	return c
}

func (h *hub) remove(c *conn) {
	c.close(errReplaced)
	h.mu.Lock()
	defer h.mu.Unlock()
	list := slices.DeleteFunc(h.conns[c.installation], func(x *conn) bool { return x == c })
	if len(list) == 0 {
		delete(h.conns, c.installation)
	} else {
		h.conns[c.installation] = list
	}
}

// deliver offers m to the connections of its device here, and reports
// whether there were any.
func (h *hub) deliver(m *message) bool {
	h.mu.RLock()
	list := h.conns[m.installation]
	h.mu.RUnlock()
	for _, c := range list {
		c.offer(m)
	}
	return len(list) > 0
}

// local returns the installations of ids connected here.
func (h *hub) local(ids []string) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for _, id := range ids {
		if len(h.conns[id]) > 0 {
			out = append(out, id)
		}
	}
	return out
}

// all returns every installation connected here.
func (h *hub) all() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.conns))
	for id := range h.conns {
		out = append(out, id)
	}
	return out
}

// refill reads c's device's waiting messages and sends them.
func (h *hub) refill(c *conn) {
	select {
	case <-c.done:
		return
	default:
	}
	h.load([]string{c.installation})
}

// load reads the waiting messages of installations connected here and
// offers them to their connections, a chunk of installations per query.
func (h *hub) load(installations []string) {
	for chunk := range slices.Chunk(installations, loadChunk) {
		limit := maxInflight
		if len(chunk) > 1 {
			limit = 20 * len(chunk)
		}
		ctx, cancel := context.WithTimeout(h.ch.ctx, 30*time.Second)
		msgs, err := h.ch.pending(ctx, chunk, limit)
		cancel()
		if err != nil {
			if h.ch.ctx.Err() == nil {
				h.ch.log.Error("push.builtin: reading waiting messages", "installations", len(chunk), "err", err)
			}
			return
		}
		for i := range msgs {
			h.deliver(&msgs[i])
		}
		switch {
		case len(msgs) < limit:
		case len(chunk) > 1:
			// More are waiting than one read brings: each device's own.
			for _, id := range chunk {
				h.load([]string{id})
			}
		default:
			// The device has more waiting: read on once it caught up.
			h.mu.RLock()
			list := slices.Clone(h.conns[chunk[0]])
			h.mu.RUnlock()
			for _, c := range list {
				c.holdBack()
			}
		}
	}
}

func (h *hub) closeAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, list := range h.conns {
		for _, c := range list {
			c.close(errShutdown)
		}
	}
}
