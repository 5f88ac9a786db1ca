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
	// Listen calls fn for each payload on channel until ctx is done. It
	// reconnects after a lost connection; after a reconnect it calls fn with
	// the payload "*" so the listener can drop everything it caches, since
	// messages may have been missed meanwhile.
	Listen(ctx context.Context, channel string, fn func(payload string)) error
}
