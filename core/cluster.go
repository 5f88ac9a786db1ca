package core

import "context"

// Notifier is an optional Store ability: broadcasting short messages to every
// node that uses the same database (PostgreSQL LISTEN/NOTIFY). The App uses
// it to invalidate caches (schema, roles, sessions, config) on every node
// within about a second of a change. A store without it serves one node.
type Notifier interface {
	// Notify sends payload on channel to every listening node, this one
	// included. Payloads are small (under 8000 bytes).
	Notify(ctx context.Context, channel, payload string) error
	// Listen calls fn for each payload on channel until ctx is done, then
	// returns nil. It reconnects after a lost connection; each time it
	// starts listening (the first time included, since nothing sent before
	// is delivered) it calls fn with the payload "*" so the listener can
	// drop everything it caches, since messages may have been missed
	// meanwhile. fn is called from one goroutine, one payload at a time.
	Listen(ctx context.Context, channel string, fn func(payload string)) error
}
