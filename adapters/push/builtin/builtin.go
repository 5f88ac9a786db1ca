// Package builtin is Switchboard's own push channel, the "builtin" push
// provider: devices connect to the server itself, over WebSocket or, where
// WebSocket is unavailable, Server-Sent Events, and receive their
// notifications there. It needs no cloud account, so it is the provider
// when none is configured.
//
//	import _ "github.com/switchboardhq/switchboard/adapters/push/builtin"
//
// # Delivery
//
// Every notification for a device is stored in the _PushQueue system class
// of the store, and sent at once to the device if it is connected (while
// the transaction runs: an acknowledgement that comes before the commit
// waits for it). It stays there until the device acknowledges it, or
// until it expires (the
// push's expiration, or defaultTTL): a device that is offline gets its
// messages, oldest first, when it connects again, and never an expired
// one. A device may get a message twice (after a crash of the server
// before its acknowledgement was stored): each message carries the pushId
// of its push, which clients use to drop repeats.
//
// With several nodes on PostgreSQL, the node that stores messages tells
// the others (LISTEN/NOTIFY on the channel "switchboard_push", the ids of
// the installations concerned), and the node that holds a device's
// connection reads them from the store and sends them.
//
// # The protocol
//
// Devices connect to /parse/pushChannel (under the API's mount path) with
// their app id, the installationId of their _Installation, and their
// session token when the installation belongs to a user (see
// core.App.IdentifyPushDevice).
//
// WebSocket (GET /parse/pushChannel with an Upgrade): JSON text messages.
//
//	→ {"op": "connect", "applicationId": "...", "installationId": "...",
//	   "sessionToken": "r:...", "clientKey": "..."}           first, within 10s
//	← {"op": "connected", "installationId": "..."}
//	← {"op": "push", "id": "<message id>", "pushId": "<_PushStatus id>",
//	   "data": {"alert": "...", ...}, "expiresAt": "2030-01-01T00:00:00.000Z"}
//	→ {"op": "ack", "ids": ["<message id>", ...]}              after handling
//	← {"op": "error", "code": 209, "error": "Invalid session token"}  then close
//
// The server pings every pingInterval; a connection that does not answer
// is closed. At most 500 messages are sent to a device and not yet
// acknowledged; the next ones wait in the queue until it catches up.
//
// Server-Sent Events (GET /parse/pushChannel with Accept:
// text/event-stream), for clients without WebSocket: the credentials go in
// the query string (applicationId, installationId, sessionToken,
// clientKey) or in the X-Parse-* headers. Events: "connected", then "push"
// with the message as data and its id as the event id; a comment every
// pingInterval keeps proxies from closing the stream. Acknowledgements go
// to POST /parse/pushChannel/ack with the same credentials (headers, or
// the body's applicationId, installationId, sessionToken, clientKey) and
// {"ids": [...]} in the body; the answer is {"acked": n}. Errors before the
// stream starts are Parse errors ({"code": N, "error": "..."}).
//
// # Options
//
// The "builtin" section of the push config; every option may be left out:
//
//	push:
//	  builtin:
//	    defaultTTL: 672h    # how long a message waits for an offline device without an expiration
//	    pingInterval: 25s   # keep-alives of idle connections
//	    maxBatch: 500       # devices stored per transaction
package builtin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/adapters/push/internal/pushkit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's registered name.
const Name = core.BuiltinPushProvider

func init() { core.PushProviders.Register(Name, Open) }

// queueClass is the system class of the messages.
const queueClass = "_PushQueue"

// Options is the "builtin" section of the push config.
type Options struct {
	// DefaultTTL is how long a message without an expiration waits for
	// its device (default 4 weeks, as FCM and Web Push keep one).
	DefaultTTL core.Duration `json:"defaultTTL"`
	// PingInterval is the keep-alive of idle connections (default 25s).
	PingInterval core.Duration `json:"pingInterval"`
	// MaxBatch is the most devices stored in one transaction (default 500).
	MaxBatch int `json:"maxBatch"`
}

// Channel is the built-in push channel: a core.PushSender and a
// core.PushChannel.
type Channel struct {
	opts  Options
	store core.Store
	log   *slog.Logger
	hub   *hub
	relay *relay // nil on a store that cannot notify other nodes

	classMu sync.Mutex
	class   *core.Class

	// lastSeq is the seq of the last message stored (see nextSeq).
	lastSeq atomic.Int64

	// conns counts the requests being served; once closing is set (under
	// connsMu, so that no request is counted while Close waits) new
	// connections are refused.
	connsMu sync.RWMutex
	conns   sync.WaitGroup
	closing atomic.Bool

	acks  chan []string
	ackMu sync.Mutex
	acked map[string]time.Time // acknowledged: when deleted (zero: not yet)
	// uncommitted are messages sent while their transaction runs.
	uncommitted map[string]struct{}
	ctx         context.Context
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

var (
	_ core.PushSender  = (*Channel)(nil)
	_ core.PushChannel = (*Channel)(nil)
)

// Open opens the channel on env.Store.
func Open(ctx context.Context, env core.ProviderEnv) (core.PushSender, error) {
	opts := Options{}
	if err := core.DecodeOptions(env.Options, &opts); err != nil {
		return nil, err
	}
	if opts.DefaultTTL == 0 {
		opts.DefaultTTL = core.Duration(28 * 24 * time.Hour)
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = core.Duration(25 * time.Second)
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = 500
	}
	switch {
	case opts.DefaultTTL < core.Duration(time.Second):
		return nil, fmt.Errorf("defaultTTL: %s is too short; use at least 1s", time.Duration(opts.DefaultTTL))
	case opts.PingInterval < core.Duration(time.Second):
		return nil, fmt.Errorf("pingInterval: %s is too short; use at least 1s", time.Duration(opts.PingInterval))
	case opts.MaxBatch < 1 || opts.MaxBatch > 5000:
		return nil, fmt.Errorf("maxBatch: %d; use 1 to 5000", opts.MaxBatch)
	}
	if env.Store == nil {
		return nil, errors.New("the built-in channel keeps its messages in the store, and none was given")
	}
	log := env.Logger
	if log == nil {
		log = slog.Default()
	}
	ch := &Channel{opts: opts, store: env.Store, log: log, acks: make(chan []string, 1024), acked: map[string]time.Time{},
		uncommitted: map[string]struct{}{}}
	ch.ctx, ch.cancel = context.WithCancel(context.Background())
	ch.hub = newHub(ch)
	if n, ok := env.Store.(core.Notifier); ok {
		ch.relay = newRelay(ch, n)
		ch.wg.Add(1)
		go func() { defer ch.wg.Done(); ch.relay.listen(ch.ctx) }()
	}
	ch.wg.Add(2)
	go func() { defer ch.wg.Done(); ch.flushAcks() }()
	go func() { defer ch.wg.Done(); ch.expireLoop() }()
	return ch, nil
}

// MaxBatch is the most devices stored in one transaction.
func (ch *Channel) MaxBatch() int { return ch.opts.MaxBatch }

// Close closes every connection ("going away": devices reconnect, to
// another node if there is one) and stops the channel. Messages not yet
// acknowledged stay in the queue.
func (ch *Channel) Close() error {
	ch.connsMu.Lock()
	ch.closing.Store(true)
	ch.connsMu.Unlock()
	ch.hub.closeAll()
	done := make(chan struct{})
	go func() { ch.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second): // devices that do not answer the close
	}
	ch.cancel()
	ch.wg.Wait()
	return nil
}

// message is one stored notification for one device.
type message struct {
	ID           string         `json:"id"`
	PushID       string         `json:"pushId"`
	Data         map[string]any `json:"data"`
	ExpiresAt    time.Time      `json:"-"`
	installation string
	seq          int64
}

// nextSeq orders messages: the time in microseconds, made unique and
// increasing on this node (it stays exact in a float64 for centuries).
// Messages stored by different nodes in the same microsecond have no
// order between them, as they had none when sent.
func (ch *Channel) nextSeq() int64 {
	for {
		last := ch.lastSeq.Load()
		next := max(time.Now().UnixMicro(), last+1)
		if ch.lastSeq.CompareAndSwap(last, next) {
			return next
		}
	}
}

// Send stores the notification for each device of the batch, then sends
// it to those connected (here or, through the relay, on another node).
// Every device is PushDelivered once its message is stored: the channel
// has accepted it, as a cloud provider accepts one for an offline device.
func (ch *Channel) Send(ctx context.Context, b core.PushBatch) ([]core.PushResult, error) {
	if err := pushkit.CheckBatch(Name, b, ch.opts.MaxBatch); err != nil {
		return nil, err
	}
	n := b.Notification
	now := core.Now()
	exp := n.Expiration
	if exp.IsZero() {
		exp = now.Add(time.Duration(ch.opts.DefaultTTL))
	}
	c, err := ch.queue(ctx)
	if err != nil {
		return nil, pushkit.Unavailable(Name, err)
	}
	base := n.Data.Map()
	msgs := make([]message, len(b.Devices))
	for i, d := range b.Devices {
		data := base
		if badge, ok := n.Data.Badge.For(d.Badge); ok && n.Data.Badge.Increment {
			data = maps.Clone(base)
			data["badge"] = badge
		}
		msgs[i] = message{ID: core.NewObjectID(), PushID: n.ID, Data: data, ExpiresAt: exp, installation: d.ID, seq: ch.nextSeq()}
	}
	// The devices connected here get their messages while the messages are
	// stored: a device's acknowledgement is kept until the store commits
	// (see flushAcks), and a batch that fails to store is sent again by
	// the core, which the devices tell by its pushId.
	ch.storing(msgs, true)
	var elsewhere []string
	for i := range msgs {
		if !ch.hub.deliver(&msgs[i]) {
			elsewhere = append(elsewhere, msgs[i].installation)
		}
	}
	err = ch.store.Tx(ctx, func(ctx context.Context, tx core.Store) error {
		for _, m := range msgs {
			obj := core.Object{core.FieldObjectID: m.ID, core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
				"installation": m.installation, "push": m.PushID, "data": m.Data, "expiresAt": m.ExpiresAt, "seq": float64(m.seq)}
			if err := tx.Insert(ctx, c, obj); err != nil {
				return err
			}
		}
		return nil
	})
	ch.storing(msgs, false)
	if err != nil {
		if cerr := pushkit.Canceled(ctx); cerr != nil {
			return nil, cerr
		}
		return nil, pushkit.Unavailable(Name, fmt.Errorf("storing %d messages: %w", len(msgs), err))
	}
	// A device that connected while the messages were being stored read
	// the queue before they were in it: offer them again now. Connections
	// that have one in flight, or acknowledged it, skip it.
	for i := range msgs {
		ch.hub.deliver(&msgs[i])
	}
	// Other nodes read the messages from the store: only now can they.
	if ch.relay != nil && len(elsewhere) > 0 {
		ch.relay.announce(ctx, elsewhere)
	}
	results := make([]core.PushResult, len(msgs))
	for i := range results {
		results[i] = pushkit.Delivered()
	}
	return results, nil
}

// queue returns the _PushQueue class, creating it on first use.
func (ch *Channel) queue(ctx context.Context) (*core.Class, error) {
	ch.classMu.Lock()
	defer ch.classMu.Unlock()
	if ch.class != nil {
		return ch.class, nil
	}
	want := core.NewSystemClass(queueClass)
	err := ch.store.CreateClass(ctx, want)
	switch {
	case err == nil:
		ch.class = want
		return want, nil
	case !core.IsCode(err, core.CodeDuplicateValue):
		return nil, err
	}
	classes, err := ch.store.Schemas(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range classes {
		if c.Name == queueClass {
			ch.class = c
			return c, nil
		}
	}
	return nil, fmt.Errorf("%s exists but is not in the stored schemas", queueClass)
}

// pending reads the unexpired messages of installations, oldest first, at
// most limit.
func (ch *Channel) pending(ctx context.Context, installations []string, limit int) ([]message, error) {
	c, err := ch.queue(ctx)
	if err != nil {
		return nil, err
	}
	var where core.Expr = core.Cmp{Field: "installation", Op: core.OpEq, Value: installations[0]}
	if len(installations) > 1 {
		vals := make([]any, len(installations))
		for i, id := range installations {
			vals[i] = id
		}
		where = core.In{Field: "installation", Values: vals}
	}
	rows, err := ch.store.Find(ctx, c, &core.Query{
		Where: core.And{Exprs: []core.Expr{where, core.Cmp{Field: "expiresAt", Op: core.OpGt, Value: core.Now()}}},
		Order: []core.OrderKey{{Field: "seq"}, {Field: core.FieldObjectID}},
		Limit: limit,
	})
	if err != nil {
		return nil, err
	}
	out := make([]message, 0, len(rows))
	for _, o := range rows {
		m := message{ID: o.ID()}
		m.installation, _ = o["installation"].(string)
		m.PushID, _ = o["push"].(string)
		m.Data, _ = o["data"].(map[string]any)
		m.ExpiresAt, _ = o["expiresAt"].(time.Time)
		out = append(out, m)
	}
	return out, nil
}

// ackMemory is how long this node remembers acknowledged messages after
// deleting them: a read of the queue that started before the deletion
// still returns them, and they must not be sent again.
const ackMemory = 30 * time.Second

// ack queues acknowledged messages for deletion. Until they are deleted,
// and ackMemory after, no connection of this node is sent them again (a
// device that reconnects at once would otherwise get what it just
// acknowledged).
func (ch *Channel) ack(ids []string) {
	if len(ids) == 0 {
		return
	}
	ch.ackMu.Lock()
	for _, id := range ids {
		ch.acked[id] = time.Time{}
	}
	ch.ackMu.Unlock()
	select {
	case ch.acks <- ids:
	case <-ch.ctx.Done():
	}
}

// storing marks messages as being stored (on) or no longer (off): an
// acknowledgement of one of them waits for its commit before it deletes.
func (ch *Channel) storing(msgs []message, on bool) {
	ch.ackMu.Lock()
	defer ch.ackMu.Unlock()
	for i := range msgs {
		if on {
			ch.uncommitted[msgs[i].ID] = struct{}{}
		} else {
			delete(ch.uncommitted, msgs[i].ID)
		}
	}
}

// remember notes messages acknowledged and deleted (see ackMemory).
func (ch *Channel) remember(ids []string) {
	now := time.Now()
	ch.ackMu.Lock()
	defer ch.ackMu.Unlock()
	for _, id := range ids {
		ch.acked[id] = now
	}
}

// deleting reports whether message id was acknowledged lately.
func (ch *Channel) deleting(id string) bool {
	ch.ackMu.Lock()
	defer ch.ackMu.Unlock()
	_, ok := ch.acked[id]
	return ok
}

// flushAcks deletes acknowledged messages in batches: many devices
// acknowledge at once after a push, and one statement per batch keeps the
// store's writer free.
func (ch *Channel) flushAcks() {
	const maxIDs = 500
	var ids []string
	flush := func() {
		if len(ids) == 0 {
			return
		}
		// Messages still being stored are deleted once they are: their
		// ids wait for the next flush.
		var ready, later []string
		ch.ackMu.Lock()
		for _, id := range ids {
			if _, storing := ch.uncommitted[id]; storing {
				later = append(later, id)
			} else {
				ready = append(ready, id)
			}
		}
		ch.ackMu.Unlock()
		if len(ready) > 0 {
			if _, err := ch.deleteMessages(context.Background(), ready, ""); err != nil {
				// The messages stay and are sent again on the next
				// connection; the client drops repeats by pushId.
				ch.log.Error("push.builtin: deleting acknowledged messages", "count", len(ready), "err", err)
			}
			ch.remember(ready)
		}
		ids = append(ids[:0], later...)
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	forget := time.NewTicker(ackMemory / 2)
	defer forget.Stop()
	for {
		select {
		case batch := <-ch.acks:
			ids = append(ids, batch...)
			if len(ids) >= maxIDs {
				flush()
			}
		case <-t.C:
			flush()
		case <-forget.C:
			ch.ackMu.Lock()
			for id, at := range ch.acked {
				if !at.IsZero() && time.Since(at) > ackMemory {
					delete(ch.acked, id)
				}
			}
			ch.ackMu.Unlock()
		case <-ch.ctx.Done():
			for {
				select {
				case batch := <-ch.acks:
					ids = append(ids, batch...)
				default:
					flush()
					return
				}
			}
		}
	}
}

// deleteMessages deletes messages by id, of installation only when it is
// not empty, and returns how many went.
func (ch *Channel) deleteMessages(ctx context.Context, ids []string, installation string) (int64, error) {
	c, err := ch.queue(ctx)
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(ids))
	for i, id := range ids {
		vals[i] = id
	}
	var where core.Expr = core.In{Field: core.FieldObjectID, Values: vals}
	if installation != "" {
		where = core.And{Exprs: []core.Expr{where, core.Cmp{Field: "installation", Op: core.OpEq, Value: installation}}}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return ch.store.Delete(ctx, c, where, nil)
}

// expireLoop deletes expired messages every few minutes.
func (ch *Channel) expireLoop() {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ch.ctx.Done():
			return
		case <-t.C:
			ch.expire()
		}
	}
}

func (ch *Channel) expire() {
	ctx, cancel := context.WithTimeout(ch.ctx, time.Minute)
	defer cancel()
	c, err := ch.queue(ctx)
	if err == nil {
		_, err = ch.store.Delete(ctx, c, core.Cmp{Field: "expiresAt", Op: core.OpLte, Value: core.Now()}, nil)
	}
	if err != nil && ch.ctx.Err() == nil {
		ch.log.Error("push.builtin: deleting expired messages", "err", err)
	}
}
