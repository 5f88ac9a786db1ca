package livequery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard/core"
)

// Across nodes.
//
// Every node serves its own sockets; a change committed on node A must also
// reach the subscribers connected to node B. When the store is a
// core.Notifier (PostgreSQL's LISTEN/NOTIFY), each node relays the events of
// its change bus to the others on the channel "switchboard_livequery", and
// listens there for theirs. On SQLite (one node) nothing is relayed.
//
// The events travel whole, inline in the notifications, rather than as ids
// for the other nodes to fetch: a deleted object and the original of an
// update cannot be fetched afterwards, and a fetched object would be a later
// state than the one the event is about, which breaks the choice between
// enter, update and leave. It also saves every node a read per change.
// PostgreSQL limits a payload to 8000 bytes, so:
//
//	"1 <node> e <json>"                        one or more whole events (a JSON
//	                                           array), packed up to the limit
//	"1 <node> p <msg> <i> <n> <text>"          part i of n of one large event,
//	                                           split on UTF-8 boundaries
//	"1 <node> x <sha256 of a session token>"   a session was revoked: end its
//	                                           subscriptions (tokens themselves
//	                                           never travel)
//
// Parts of one event are sent one after the other from one goroutine, so
// PostgreSQL delivers them in order (notifications arrive in commit order);
// a node reassembles them per (node, msg), bounding what it holds (a part
// that never completes is dropped after a minute). Notifications do not
// touch the WAL, so even a large object costs the database less than an
// outbox table would.
//
// Delivery is at most once, like the local path: the bus publishes after
// commit, and a node that dies between its commit and its notification
// loses the event for the other nodes, as it loses its own sockets. When a
// node's listening connection drops, notifications are lost meanwhile: it
// then disconnects its clients with reconnect: true so that they resubscribe
// and reload, rather than miss changes silently.

const (
	relayChannel = "switchboard_livequery"
	// maxPayload stays under PostgreSQL's 8000 bytes with room for the
	// header.
	maxPayload      = 7800
	partTimeout     = time.Minute
	maxPartialBytes = 64 << 20
	relayQueue      = 10_000
)

type relay struct {
	s     *Server
	n     core.Notifier
	node  string
	queue chan []byte
	msgID atomic.Uint64

	// Listener state, used by the listening goroutine only.
	partial      map[string]*partialEvent
	partialBytes int
	listening    atomic.Bool

	sent, received, lost atomic.Int64
}

type partialEvent struct {
	parts []string
	have  int
	bytes int
	first time.Time
}

// wireEvent is an event as it crosses between nodes. Values are in Parse
// JSON (core.EncodeValue), which core.DecodeValue reads back losslessly.
type wireEvent struct {
	Kind      core.ChangeKind `json:"k"`
	ClassName string          `json:"c"`
	Object    map[string]any  `json:"o"`
	Original  map[string]any  `json:"r,omitempty"`
	At        int64           `json:"t"`
}

// startRelay starts relaying when the store can notify other nodes.
func (s *Server) startRelay() {
	n, ok := s.app.Store().(core.Notifier)
	if !ok {
		return
	}
	r := &relay{s: s, n: n, node: randomID(), queue: make(chan []byte, relayQueue), partial: map[string]*partialEvent{}}
	s.relay = r
	s.wg.Add(2)
	go r.sendLoop()
	go r.listenLoop()
}

// publish queues a local event for the other nodes without blocking.
func (r *relay) publish(ev *core.ChangeEvent) {
	b, err := json.Marshal(wireEvent{Kind: ev.Kind, ClassName: ev.ClassName, Object: encodeForWire(ev.Object), Original: encodeForWire(ev.Original), At: ev.At.UnixMilli()})
	if err != nil {
		r.lost.Add(1)
		r.s.log.Error("livequery: an event cannot be encoded for the other nodes", "class", ev.ClassName, "err", err)
		return
	}
	select {
	case r.queue <- b:
	default:
		r.lost.Add(1)
		r.s.log.Error("livequery: the queue to the other nodes is full; an event is lost for their subscribers", "class", ev.ClassName)
	}
}

// encodeForWire renders an object's values in Parse JSON; internal fields
// (password hashes, tokens) never leave the node.
func encodeForWire(o core.Object) map[string]any {
	if o == nil {
		return nil
	}
	out := make(map[string]any, len(o))
	for k, v := range o {
		if v == nil || strings.HasPrefix(k, "_") {
			continue
		}
		out[k] = core.EncodeValue(v)
	}
	return out
}

func decodeFromWire(m map[string]any) (core.Object, error) {
	if m == nil {
		return nil, nil
	}
	o := make(core.Object, len(m))
	for k, v := range m {
		if k == core.FieldACL {
			acl, err := core.DecodeACL(v)
			if err != nil {
				return nil, err
			}
			o[k] = acl
			continue
		}
		_, val, err := core.DecodeValue(v)
		if err != nil {
			return nil, err
		}
		o[k] = val
	}
	return o, nil
}

// sendLoop packs queued events into notifications until the server stops.
func (r *relay) sendLoop() {
	defer r.s.wg.Done()
	header := "1 " + r.node + " "
	for {
		var first []byte
		select {
		case <-r.s.ctx.Done():
			return
		case first = <-r.queue:
		}
		if first[0] == 'x' {
			r.notify(header+string(first), 0)
			continue
		}
		if len(header)+2+len(first)+2 > maxPayload {
			r.sendParts(header, first)
			continue
		}
		// Pack whatever else is waiting, up to the limit.
		batch, count := append([]byte(header+"e ["), first...), 1
	pack:
		for {
			select {
			case next := <-r.queue:
				if next[0] == 'x' || len(header)+len(next)+4 > maxPayload {
					r.notify(string(append(batch, ']')), count)
					if next[0] == 'x' {
						r.notify(header+string(next), 0)
					} else {
						r.sendParts(header, next)
					}
					batch = nil
					break pack
				}
				if len(batch)+1+len(next)+1 > maxPayload {
					r.notify(string(append(batch, ']')), count)
					batch, count = append([]byte(header+"e ["), next...), 1
					continue
				}
				batch, count = append(append(batch, ','), next...), count+1
			default:
				break pack
			}
		}
		if batch != nil {
			r.notify(string(append(batch, ']')), count)
		}
	}
}

// sendParts sends one large event in parts.
func (r *relay) sendParts(header string, event []byte) {
	id := strconv.FormatUint(r.msgID.Add(1), 36)
	text := string(event)
	chunk := maxPayload - len(header) - len(id) - 40
	var parts []string
	for len(text) > 0 {
		n := min(chunk, len(text))
		for n < len(text) && !utf8.RuneStart(text[n]) {
			n--
		}
		parts = append(parts, text[:n])
		text = text[n:]
	}
	for i, p := range parts {
		events := 0
		if i == len(parts)-1 {
			events = 1
		}
		if !r.notify(header+"p "+id+" "+strconv.Itoa(i)+" "+strconv.Itoa(len(parts))+" "+p, events) {
			return // the rest cannot be reassembled anyway
		}
	}
}

// notify sends one payload, retrying a few times; events counts what the
// payload carries, for the statistics. A payload that cannot be sent is
// reported and counted as lost.
func (r *relay) notify(payload string, events int) bool {

	var err error
	for attempt := range 4 {
		if attempt > 0 {
			select {
			case <-r.s.ctx.Done():
				return false
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = r.n.Notify(ctx, relayChannel, payload)
		cancel()
		if err == nil {
			r.sent.Add(int64(events))
			return true
		}
	}
	r.lost.Add(1)
	r.s.log.Error("livequery: relaying events to the other nodes failed; their subscribers miss them", "err", err)
	return false
}

// listenLoop receives the other nodes' events until the server stops.
func (r *relay) listenLoop() {
	defer r.s.wg.Done()
	for r.s.ctx.Err() == nil {
		err := r.n.Listen(r.s.ctx, relayChannel, r.receive)
		if r.s.ctx.Err() != nil {
			return
		}
		r.s.log.Warn("livequery: listening to the other nodes stopped; restarting", "err", err)
		select {
		case <-r.s.ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// receive handles one notification.
func (r *relay) receive(payload string) {

	if payload == "*" {
		// Listening (re)started. After the first time, notifications may
		// have been missed: clients must resubscribe and reload.
		if r.listening.Load() {
			r.s.log.Warn("livequery: the connection to the other nodes was lost; clients reconnect to catch up")
			go r.s.disconnectAll(websocket.StatusTryAgainLater, "changes from other servers may have been missed; reconnect and reload")
		}
		r.listening.Store(true)
		r.partial = map[string]*partialEvent{}
		r.partialBytes = 0
		return
	}
	version, rest, _ := strings.Cut(payload, " ")
	node, rest, _ := strings.Cut(rest, " ")
	kind, body, _ := strings.Cut(rest, " ")
	if version != "1" || node == r.node {
		return // our own, or from a newer node we cannot read
	}
	switch kind {
	case "e":
		r.deliver([]byte(body))
	case "p":
		r.part(node, body)
	case "x":
		r.s.revokeSessions(func(token string) bool { return tokenHash(token) == body })
	}
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// revoked tells the other nodes that a session is gone.
func (r *relay) revoked(token string) {
	select {
	case r.queue <- []byte("x " + tokenHash(token)):
	default:
		r.lost.Add(1)
	}
}

func (r *relay) deliver(array []byte) {
	var events []wireEvent
	if err := json.Unmarshal(array, &events); err != nil {
		r.s.log.Warn("livequery: an unreadable notification from another node", "err", err)
		return
	}
	for _, w := range events {
		ev := &core.ChangeEvent{Kind: w.Kind, ClassName: w.ClassName, Auth: core.MasterAuth(), At: time.UnixMilli(w.At).UTC()}
		var err error
		if ev.Object, err = decodeFromWire(w.Object); err == nil {
			ev.Original, err = decodeFromWire(w.Original)
		}
		if err != nil || ev.Object == nil || !core.ValidClassName(w.ClassName) {
			r.s.log.Warn("livequery: an unreadable event from another node", "class", w.ClassName, "err", err)
			continue
		}
		r.received.Add(1)
		r.s.enqueue(ev)
	}
}

// part collects one part of a large event: "<msg> <i> <n> <text>".
func (r *relay) part(node, body string) {
	msg, rest, _ := strings.Cut(body, " ")
	is, rest, _ := strings.Cut(rest, " ")
	ns, text, _ := strings.Cut(rest, " ")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if err1 != nil || err2 != nil || n <= 0 || n > maxPartialBytes/1000 || i < 0 || i >= n {
		return
	}
	now := time.Now()
	for k, p := range r.partial {
		if now.Sub(p.first) > partTimeout {
			r.partialBytes -= p.bytes
			delete(r.partial, k)
		}
	}
	key := node + " " + msg
	p := r.partial[key]
	if p == nil {
		p = &partialEvent{parts: make([]string, n), first: now}
		r.partial[key] = p
	}
	if len(p.parts) != n || p.parts[i] != "" || r.partialBytes+len(text) > maxPartialBytes {
		r.partialBytes -= p.bytes
		delete(r.partial, key)
		r.s.log.Warn("livequery: a large event from another node could not be reassembled; it is lost")
		return
	}
	p.parts[i] = text
	p.have++
	p.bytes += len(text)
	r.partialBytes += len(text)
	if p.have < n {
		return
	}
	r.partialBytes -= p.bytes
	delete(r.partial, key)
	r.deliver([]byte("[" + strings.Join(p.parts, "") + "]"))
}
