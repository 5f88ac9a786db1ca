package builtin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// Across nodes.
//
// The node that stores a push's messages delivers them to the devices
// connected to it, and tells the other nodes about the rest on the
// Notifier channel "switchboard_push":
//
//	"1 <node> <installation objectId> <installation objectId> ..."
//
// packed up to maxPayload bytes (PostgreSQL takes at most 8000). A node
// that holds one of those devices reads its waiting messages from the
// queue and sends them. Only ids travel: the messages themselves are in
// the store, so a lost notification delays nothing beyond the device's
// next connection, and when a node's listening connection comes back
// (the payload "*") it reads the queue again for every device it holds.
const (
	relayChannel = "switchboard_push"
	maxPayload   = 7800
)

type relay struct {
	ch   *Channel
	n    core.Notifier
	node string
}

func newRelay(ch *Channel, n core.Notifier) *relay {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &relay{ch: ch, n: n, node: hex.EncodeToString(b)}
}

// announce tells the other nodes that installations have new messages.
func (r *relay) announce(ctx context.Context, installations []string) {
	head := "1 " + r.node
	var b strings.Builder
	send := func() {
		if b.Len() == 0 {
			return
		}
		if err := r.n.Notify(context.WithoutCancel(ctx), relayChannel, head+b.String()); err != nil {
			// The messages are stored: the devices get them when they
			// connect again.
			r.ch.log.Error("push.builtin: telling the other nodes about new messages", "err", err)
		}
		b.Reset()
	}
	for _, id := range installations {
		if len(head)+b.Len()+1+len(id) > maxPayload {
			send()
		}
		b.WriteByte(' ')
		b.WriteString(id)
	}
	send()
}

// listen reads the other nodes' announcements until ctx ends.
func (r *relay) listen(ctx context.Context) {
	err := r.n.Listen(ctx, relayChannel, func(payload string) {
		if payload == "*" {
			// (Re)connected: anything may have been missed meanwhile.
			r.ch.hub.load(r.ch.hub.all())
			return
		}
		fields := strings.Fields(payload)
		if len(fields) < 3 || fields[0] != "1" || fields[1] == r.node {
			return
		}
		if here := r.ch.hub.local(fields[2:]); len(here) > 0 {
			r.ch.hub.load(here)
		}
	})
	if err != nil && ctx.Err() == nil {
		r.ch.log.Error("push.builtin: listening to the other nodes stopped", "err", err)
	}
}
